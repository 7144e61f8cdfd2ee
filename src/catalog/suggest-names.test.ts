import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { suggestNames } from './suggest-names.js';

const names = ['fs__read_text_file', 'fs__read_file', 'fs__write_file', 'fs__list_directory', 'memory__read_graph', 'memory__search_nodes', 'triage_bug', 'save_note'];

describe('regression issue 9 #17: "did you mean" for tool and workflow names', () => {
  it('suggests tools of the same server whose name ends with or contains what was typed', () => {
    assert.deepEqual(suggestNames('memory__graph', names, '__'), ['memory__read_graph']);
    assert.deepEqual(suggestNames('fs__directory', names, '__'), ['fs__list_directory']);
    assert.deepEqual(suggestNames('fs__read', names, '__').sort(), ['fs__read_file', 'fs__read_text_file']);
    // Not another server's tool that happens to contain it.
    assert.deepEqual(suggestNames('fs__graph', names, '__'), []);
  });

  it('suggests workflow names, and tools by their tool part when no server was typed', () => {
    assert.deepEqual(suggestNames('triage', names, '__'), ['triage_bug']);
    assert.deepEqual(suggestNames('read_graph', names, '__'), ['memory__read_graph']);
  });

  it('still suggests near misspellings', () => {
    assert.deepEqual(suggestNames('fs__raed_file', names, '__')[0], 'fs__read_file');
    assert.deepEqual(suggestNames('save_ntoe', names, '__'), ['save_note']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DownstreamContext } from '../core/pipeline.js';
import { linkParentOf, runLinkOf, withRunLink } from './run-link.js';

const downstream: DownstreamContext = {
  era: 'modern',
  sessionId: 's',
  signal: new AbortController().signal,
  clientCapabilities: {},
  progressToken: undefined,
  notify: async () => {},
  log: () => {}
};

describe('run links', () => {
  it('a link travels with the context, to the tool it names only, and survives a spread of the context', () => {
    const linked = withRunLink(downstream, { runId: 'run_a.routed', tool: 'reader', force: false });
    assert.deepEqual(runLinkOf(linked, 'reader'), { runId: 'run_a.routed', tool: 'reader', force: false });
    assert.equal(runLinkOf(linked, 'writer'), undefined);
    assert.equal(runLinkOf({ ...linked, signal: new AbortController().signal }, 'reader')?.runId, 'run_a.routed');
    assert.equal(runLinkOf(downstream, 'reader'), undefined);
  });

  it('no client can send one: it is not in the context\'s JSON, and a context rebuilt from JSON has none', () => {
    const linked = withRunLink(downstream, { runId: 'run_a.routed', tool: 'reader', force: true });
    const json = JSON.stringify(linked);
    assert.doesNotMatch(json, /routed/);
    assert.equal(runLinkOf({ ...downstream, ...(JSON.parse(json) as object) }, 'reader'), undefined);
  });

  it('a linked run names the run it belongs to', () => {
    assert.equal(linkParentOf('run_mx1.routed'), 'run_mx1');
    assert.equal(linkParentOf('run_mx1'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createLogger } from '../telemetry/logger.js';
import { Catalog, toPublicName } from './catalog.js';

describe('toPublicName', () => {
  it('prefixes with the server and "__"', () => {
    assert.equal(toPublicName('github', 'list_issues', true), 'github__list_issues');
  });

  it('keeps the name as is without a prefix', () => {
    assert.equal(toPublicName('conf', 'test.tool/with-odd chars', false), 'test.tool/with-odd chars');
  });

  it('replaces characters LLM APIs refuse', () => {
    assert.equal(toPublicName('fs', 'read.file/v2', true), 'fs__read_file_v2');
  });

  it('shortens long names to 64 characters, stably and uniquely', () => {
    const long = 'a'.repeat(80);
    const first = toPublicName('server', long, true);
    assert.equal(first.length, 64);
    assert.equal(first, toPublicName('server', long, true));
    assert.notEqual(first, toPublicName('server', 'a'.repeat(79) + 'b', true));
    assert.match(first, /^[A-Za-z0-9_-]{1,64}$/);
  });
});

describe('local tools', () => {
  const logger = createLogger({ level: 'silent' });
  const tool = (name: string) => ({
    definition: { name, description: `the ${name} tool`, inputSchema: { type: 'object' as const } },
    call: async () => ({ content: [{ type: 'text', text: name }] })
  });

  it('joins the catalog under its own name and announces the change', () => {
    const catalog = new Catalog([], logger);
    const changes: string[] = [];
    catalog.onChange(change => changes.push(`${change.upstream}:${change.kinds.join(',')}`));
    catalog.setLocalTools('workflows', [tool('triage_bug'), tool('summarise')]);
    assert.deepEqual(
      catalog.tools.map(entry => [entry.name, entry.upstream, entry.local !== undefined]),
      [
        ['triage_bug', 'workflows', true],
        ['summarise', 'workflows', true]
      ]
    );
    assert.deepEqual(changes, ['workflows:tools']);
    catalog.setLocalTools('workflows', []);
    assert.equal(catalog.findTool('triage_bug'), undefined);
    assert.throws(() => catalog.getTool('triage_bug'), /unknown tool "triage_bug"/);
  });

  it('reports a clash between two sources instead of shadowing', () => {
    const catalog = new Catalog([], logger);
    catalog.setLocalTools('workflows', [tool('same')]);
    catalog.setLocalTools('other', [tool('same')]);
    assert.equal(catalog.tools.length, 1);
    assert.equal(catalog.getTool('same').upstream, 'workflows');
    assert.match(catalog.nameClashes.join('\n'), /"same" of other .* "workflows" keeps it/);
  });
});

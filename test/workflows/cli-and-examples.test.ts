import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { repoRoot, startHttpGateway, writeConfig } from '../helpers/gateway.js';
import { fixtureServers, textOf } from './helpers.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: text => void (out += text + '\n'), err: text => void (err += text + '\n') });
  return { code, out, err };
}

describe('examples/workflows over the default servers (examples are tests)', () => {
  it('the chain, the fan-out and the map run and give the documented results', async () => {
    const loaded = loadConfig(join(repoRoot, 'examples/default.yaml'));
    assert.deepEqual(Object.keys(loaded.config.workflows).sort(), ['read_notes', 'save_note', 'workspace_overview']);
    loaded.config.store.path = ':memory:';
    await using core = new GatewayCore({ config: loaded.config, configPath: loaded.path, logger: createLogger({ level: 'error' }) });
    await core.start();
    const call = (name: string, args: Record<string, unknown> = {}) =>
      core.pipeline({
        method: 'tools/call',
        params: { name, arguments: args },
        downstream: { era: 'legacy', sessionId: 'test', signal: new AbortController().signal, clientCapabilities: {}, progressToken: undefined, notify: async () => {}, log: () => {} }
      });
    const sandbox = join(repoRoot, 'examples/sandbox');
    const title = `example-test-${process.pid}`;
    try {
      const saved = await call('save_note', { title, text: 'written by a workflow' });
      assert.equal(saved.isError, undefined, textOf(saved));
      assert.deepEqual(saved.structuredContent, {
        path: join(sandbox, `${title}.md`),
        content: `# ${title}\n\nwritten by a workflow\n`,
        entity: { name: title, entityType: 'note', observations: ['written by a workflow', `saved as ${title}.md`] }
      });

      const overview = await call('workspace_overview');
      assert.equal(overview.isError, undefined, textOf(overview));
      const summary = overview.structuredContent as { directory: string; files: string[]; entities: number; everything_up: boolean };
      assert.equal(summary.directory, sandbox);
      assert.ok(summary.files.includes('README.md') && summary.files.includes(`${title}.md`), JSON.stringify(summary.files));
      assert.ok(summary.entities >= 1);
      assert.equal(summary.everything_up, true);

      const notes = await call('read_notes', { lines: 1 });
      assert.equal(notes.isError, undefined, textOf(notes));
      const heads = JSON.parse(textOf(notes)) as Array<{ path: string; head: string }>;
      assert.deepEqual(
        heads.filter(note => note.path.endsWith('README.md') || note.path.endsWith(`${title}.md`)).map(note => [note.path, note.head.trim()]).sort(),
        [
          [join(sandbox, 'README.md'), '# Sandbox'],
          [join(sandbox, `${title}.md`), `# ${title}`]
        ]
      );
      // Derived annotations: a chain that writes is not read-only; the read-only ones are.
      assert.equal(core.catalog.findTool('save_note')!.definition.annotations?.readOnlyHint, false);
      assert.equal(core.catalog.findTool('workspace_overview')!.definition.annotations?.readOnlyHint, true);
      assert.equal(core.catalog.findTool('read_notes')!.definition.annotations?.readOnlyHint, true);
    } finally {
      rmSync(join(sandbox, `${title}.md`), { force: true });
      await call('memory__delete_entities', { entityNames: [title] });
    }
  });
});

describe('manifold workflows check | run | runs', () => {
  it('check passes the examples', async () => {
    const result = await cli(['workflows', 'check', '--config', join(repoRoot, 'examples/default.yaml')]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /3 workflow\(s\) checked: 0 error\(s\), 0 warning\(s\): all good/);
  });

  it('check reports unknown tools, missing required arguments and impossible retries, and exits 1', async () => {
    await using config = writeConfig({
      servers: fixtureServers,
      workflows: {
        broken: {
          steps: [
            { id: 'a', call: 'fix__need' },
            { id: 'b', call: 'fix__needs', with: { a: 'x', c: 1 } },
            { id: 'c', call: 'fix__flaky_write', with: { key: 'k', failures: 0 }, retry: 2 }
          ]
        }
      }
    });
    const result = await cli(['workflows', 'check', '--config', config.path]);
    assert.equal(result.code, 1);
    assert.deepEqual(result.out.trim().split('\n'), [
      'workflows.broken.steps.0.call: unknown tool "fix__need"; did you mean "fix__needs", "fix__sleep", "fix__text"?',
      'warning: workflows.broken.steps.1.with: tool "fix__needs" has no argument "c" (its arguments: "a", "b")',
      'workflows.broken.steps.1.with: tool "fix__needs" requires "b", which "with" does not set (it sets "a", "c")',
      'warning: workflows.broken.steps.2.retry: retry is ignored: tool "fix__flaky_write" is neither read-only nor idempotent by its annotations (set retry.force: true to retry it anyway)'
    ]);
    assert.match(result.err, /1 workflow\(s\) checked: 2 error\(s\), 2 warning\(s\)/);
  });

  it('serve logs each problem a workflow has with the tools, once the servers are up', async () => {
    await using config = writeConfig({
      servers: fixtureServers,
      workflows: { w: { steps: [{ id: 'a', call: 'fix__nope' }, { id: 'b', call: 'fix__needs', with: { a: 'x' } }] } }
    });
    await using gateway = await startHttpGateway(config.path, ['--log-level', 'warn']);
    const stderr = gateway.stderr();
    assert.match(stderr, /workflow "w" will fail when run: workflows\.w\.steps\.0\.call: unknown tool "fix__nope"/);
    assert.match(stderr, /workflow "w" will fail when run: workflows\.w\.steps\.1\.with: tool "fix__needs" requires "b"/);
    assert.equal(stderr.match(/unknown tool "fix__nope"/g)?.length, 1, 'reported once');
  });

  it('check reports definition errors without starting servers', async () => {
    await using config = writeConfig({ servers: fixtureServers, workflows: { w: { steps: [{ id: 'a', call: 'fix__text', with: { text: '{{ steps.z.result }}' } }] } } });
    const result = await cli(['workflows', 'check', '--config', config.path]);
    assert.equal(result.code, 1);
    assert.match(result.out, /workflows\.w\.steps\.0\.with\.text: there is no step "z"/);
  });

  it('run shows progress and the result; runs lists the run and shows its timeline', async () => {
    await using config = writeConfig({
      servers: fixtureServers,
      workflows: {
        two: {
          input: { type: 'object', properties: { n: { type: 'number' } } },
          steps: [
            { id: 'first', call: 'fix__text', with: { text: '{{ $string(input.n) }}' } },
            { id: 'both', parallel: { x: { call: 'fix__sleep', with: { ms: 50, label: 'cli-x' } }, y: { call: 'fix__sleep', with: { ms: 50, label: 'cli-y' } } } }
          ],
          output: '{{ steps.first.result + 1 }}'
        }
      }
    });
    const ran = await cli(['run', 'two', 'n=41', '--config', config.path]);
    assert.equal(ran.code, 0, ran.err);
    assert.equal(ran.out.trim(), '42');
    assert.match(ran.err, /\[1\/2\] step "first" done in \d+ ms/);
    assert.match(ran.err, /step "both": 2 of 2 branches done/);
    const runId = /run (run_\w+) completed/.exec(ran.err)?.[1];
    assert.ok(runId, ran.err);
    assert.ok(existsSync(join(config.dir, '.manifold/manifold.db')));

    const listed = await cli(['runs', '--config', config.path]);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${runId}\\s+two\\s+completed`));

    const timeline = await cli(['runs', runId, '--config', config.path]);
    assert.equal(timeline.code, 0, timeline.err);
    const lines = timeline.out.split('\n');
    assert.match(lines[0]!, new RegExp(`run ${runId}  workflow two  completed`));
    for (const step of ['first', 'both', 'both.x', 'both.y']) assert.ok(lines.some(line => new RegExp(`\\|[ #]+\\|\\s+${step.replace('.', '\\.')}\\s`).test(line)), `${step} in\n${timeline.out}`);

    const failed = await cli(['run', 'two', 'n="x"', '--config', config.path]);
    assert.equal(failed.code, 1);
    assert.match(failed.out, /Invalid arguments for workflow "two"/);
  });
});

/**
 * Resuming runs that failed or cannot be resumed, in process (the crash tests with real processes are in
 * durable-runs.test.ts): a failed run resumes at its failed step without repeating the calls before it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DownstreamContext } from '../../src/core/pipeline.js';
import { runIdMetaKey } from '../../src/workflows/index.js';
import { fixtureServers, startTestGateway, textOf } from './helpers.js';

const downstream = (): DownstreamContext => ({
  era: 'legacy',
  sessionId: 'test',
  signal: new AbortController().signal,
  clientCapabilities: {},
  progressToken: undefined,
  notify: async () => {},
  log: () => {}
});

describe('resume a run', { timeout: 60_000 }, () => {
  it('a failed run resumes at its failed step: the calls before it are not made again, the output reads their recorded results', async () => {
    await using gateway = await startTestGateway({
      servers: fixtureServers,
      workflows: {
        chain: {
          input: { type: 'object', properties: { key: { type: 'string' } } },
          steps: [
            { id: 'pre', call: 'fix__flaky', with: { key: '{{ input.key }}', failures: 0 } },
            { id: 'write', call: 'fix__flaky_write', with: { key: "{{ input.key & '-w' }}", failures: 1 } }
          ],
          output: { pre: '{{ steps.pre.result.calls }}', write: '{{ steps.write.result.calls }}' }
        }
      }
    });
    const failed = await gateway.call('chain', { key: 'k' });
    assert.equal(failed.isError, true);
    const runId = String((failed._meta as Record<string, unknown>)[runIdMetaKey]);
    const runs = gateway.core.workflows.runs;
    const resumed = runs.resume(runId, { force: false }, downstream());
    assert.ok(resumed.done, 'a failed run is resumed');
    const result = await resumed.done;
    assert.equal(result.isError, undefined, textOf(result));
    // pre's recorded result (its first and only call), write's second call (the first returned an error).
    assert.deepEqual(result.structuredContent, { pre: 1, write: 2 });
    assert.deepEqual((await gateway.journal()).calls, { k: 1, 'k-w': 2 });
    assert.equal(runs.status(runId)?.status, 'completed');
    assert.equal(gateway.core.workflows.store?.getRun(runId)?.run.resumes, 1);

    // Completed: nothing to resume.
    assert.throws(() => runs.resume(runId, { force: false }, downstream()), /run "run_\w+" completed; there is nothing to resume/);
    assert.throws(() => runs.resume('run_missing', { force: false }, downstream()), /no run "run_missing" in the run store/);
    // A run recorded before runs were journaled has no arguments to resume with.
    gateway.core.workflows.store?.startRun({ id: 'run_old', workflow: 'chain', status: 'running', startedAt: 1, input: '{}' });
    gateway.core.workflows.store?.endRun('run_old', { status: 'failed', endedAt: 2 });
    assert.throws(() => runs.resume('run_old', { force: false }, downstream()), /recorded before runs were journaled .*run the workflow again/);
  });
});

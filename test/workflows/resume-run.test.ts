/**
 * Resuming runs that failed or cannot be resumed, in process (the crash tests with real processes are in
 * durable-runs.test.ts): a failed run resumes at its failed step without repeating the calls before it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DownstreamContext } from '../../src/core/pipeline.js';
import { runIdMetaKey } from '../../src/workflows/index.js';
import { waitFor } from '../helpers/gateway.js';
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

  it('a run started by a plain tool call is reported while it runs, cannot be resumed or cancelled by id, and ends cancelled with its call', async () => {
    await using gateway = await startTestGateway({ servers: fixtureServers, workflows: { waits: { steps: [{ id: 'h', call: 'fix__hang', with: { label: 'x' } }] } } });
    const controller = new AbortController();
    const pending = gateway.call('waits', {}, { signal: controller.signal });
    const store = gateway.core.workflows.store!;
    await waitFor(() => store.listRuns({ workflow: 'waits' })[0]?.status === 'running', 'the run to start');
    const runId = store.listRuns({ workflow: 'waits' })[0]!.id;
    const runs = gateway.core.workflows.runs;
    assert.equal(runs.status(runId)?.status, 'running');
    assert.deepEqual(runs.status(runId)?.progress, { steps_done: 0, steps_total: 1 });
    await assert.rejects(runs.cancel(runId), /was started by a tool call that is still open; cancel that call to stop it/);
    assert.throws(() => runs.resume(runId, { force: false }, downstream()), new RegExp(`run "${runId}" is running in process ${process.pid}`));
    controller.abort();
    await pending;
    assert.equal(runs.status(runId)?.status, 'cancelled');
  });
});

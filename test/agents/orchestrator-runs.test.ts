/**
 * Orchestrator runs survive a restart: the gateway (a real process) kills itself with SIGKILL at journal points of
 * an orchestrator run (MANIFOLD_TEST_CRASH_AFTER): after the plan, after one worker task, inside a worker's tool
 * loop. Restarted with `gateway.resumeInterrupted` it goes on by itself; `manifold runs resume` finishes it. The
 * scripted model server outlives the gateways and records every model request (so a plan asked twice shows); the
 * counter fixture counts the tool calls that really ran.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { type RecordedRequest, startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { connectHttp, fixtureServer, writeConfig } from '../helpers/gateway.js';
import { callTool, dyingCallMs, cli, counts, crashed, runRecord, startGateway } from './crash-helpers.js';
import { firstUserText, systemPrompt, toolResults } from './wire.js';

/** Which model call a request was: the planner, the synthesis, or a worker's turn on its task. */
function what(request: RecordedRequest): string {
  const system = systemPrompt(request);
  if (system.startsWith('PLAN')) return 'plan';
  if (system.startsWith('SYNTH')) return 'synthesis';
  return `${firstUserText(request).split('\n')[0]} turn ${toolResults(request).length + 1}`;
}

describe('an orchestrator run survives kill -9 of the gateway (openai)', { timeout: 300_000 }, () => {
  it('resumes from the journal: the plan is not asked again, a finished worker is not run again, a worker in flight goes on from its own journal', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('PLAN')) {
        const plan = { steps: [{ tasks: [{ worker: 'reader', task: 'read a' }, { worker: 'reader', task: 'read b' }] }, { tasks: [{ worker: 'writer', task: 'write c' }] }] };
        return { text: JSON.stringify(plan), usage: { input: 50, output: 5 } };
      }
      if (system.startsWith('SYNTH')) return { text: 'the synthesis', usage: { input: 30, output: 3 } };
      const task = firstUserText(request).split('\n')[0]!;
      if (toolResults(request).length > 0) return { text: `done: ${task}`, usage: { input: 20, output: 2 } };
      const [tool, key] = task.split(' ');
      return { toolCalls: [{ name: `c__${tool}`, arguments: { key } }], usage: { input: 10, output: 1 } };
    });
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    const config = (withWriter: boolean) => ({
      gateway: { resumeInterrupted: true },
      // Rewritten below without the test helper: the counter's destructive write runs without a person's yes.
      security: { approval: { enabled: false } },
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: {
        reader: { model: 'local', servers: ['c'], instruction: 'WORKER reader' },
        ...(withWriter ? { writer: { model: 'local', servers: ['c'], instruction: 'WORKER writer' } } : {})
      },
      // One task at a time, so that each crash point finds the same tasks done.
      orchestrators: { conductor: { model: 'local', workers: withWriter ? ['reader', 'writer'] : ['reader'], instruction: 'PLAN', synthesis: 'SYNTH', plan: 'full', maxParallel: 1 } }
    });
    await using written = writeConfig(config(true));
    let runId: string;
    {
      // 1. Killed right after the plan was journaled.
      await using gateway = await startGateway(written.path, 'call-done:plan');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'conductor', { task: 'read a and b, then write c' }, dyingCallMs));
      await crashed(gateway);
      const listed = JSON.parse((await cli(written.path, ['runs', '--json'])).stdout);
      runId = listed[0].id;
      assert.equal(listed[0].kind, 'orchestrator');
    }
    assert.deepEqual(model.requests.map(what), ['plan']);
    {
      // 2. Restarted: it resumes the run by itself (resumeInterrupted), and is killed once the first task's result is journaled.
      await using gateway = await startGateway(written.path, 'call-done:step:1.task:0');
      await crashed(gateway);
      assert.match(gateway.stderr(), new RegExp(`resuming orchestrator run ${runId}`));
    }
    // The plan was not asked again; the first task ran its two turns and its tool call.
    assert.deepEqual(model.requests.map(what), ['plan', 'read a turn 1', 'read a turn 2']);
    assert.deepEqual(counts(file), { 'read a': 1 });
    {
      // 3. Again by itself; killed inside the second task's tool loop, right after its tool call returned.
      await using gateway = await startGateway(written.path, 'call-done:step:1.task:1.turn:1.call:0');
      await crashed(gateway);
    }
    // The first task was not run again (no model call, no tool call of it).
    assert.deepEqual(model.requests.map(what), ['plan', 'read a turn 1', 'read a turn 2', 'read b turn 1']);
    assert.deepEqual(counts(file), { 'read a': 1, 'read b': 1 });

    // 4. With a worker the run needs taken out of the config, resuming fails, naming it; nothing runs.
    writeFileSync(written.path, stringify(config(false)));
    const refused = await cli(written.path, ['runs', 'resume', runId]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, new RegExp(`cannot resume run "${runId}" of orchestrator "conductor": orchestrator "conductor" cannot run with the config now: its worker "writer" is not a configured agent \\(agents\\.writer\\)`));
    assert.equal((await runRecord(written.path, runId)).run.status, 'interrupted');
    assert.equal(model.requests.length, 4);

    // 5. Put back, `manifold runs resume` finishes it: the second task goes on from its journaled tool result.
    writeFileSync(written.path, stringify(config(true)));
    const finished = await cli(written.path, ['runs', 'resume', runId, '--json']);
    assert.equal(finished.code, 0, finished.stderr + finished.stdout);
    const result = JSON.parse(finished.stdout);
    assert.equal(result.content[0].text, 'the synthesis');
    assert.deepEqual(model.requests.map(what), ['plan', 'read a turn 1', 'read a turn 2', 'read b turn 1', 'read b turn 2', 'write c turn 1', 'write c turn 2', 'synthesis']);
    // The second task's turn 2 was fed the tool result journaled before the crash (its first and only call).
    assert.deepEqual(toolResults(model.requests[4]!).map(entry => JSON.parse(entry.text)), [{ key: 'b', read: 1 }]);
    assert.deepEqual(counts(file), { 'read a': 1, 'read b': 1, 'write c': 1 });
    // The result holds every task, and the usage of every model call once, across the four executions.
    assert.deepEqual(result.structuredContent.tasks.map((task: any) => [task.step, task.worker, task.task, task.outcome, task.text]), [
      [1, 'reader', 'read a', 'ok', 'done: read a'],
      [1, 'reader', 'read b', 'ok', 'done: read b'],
      [2, 'writer', 'write c', 'ok', 'done: write c']
    ]);
    assert.equal(result.structuredContent.usage.calls.length, 8);
    assert.equal(result.structuredContent.usage.totalTokens, 55 + 3 * (11 + 22) + 33);
    const { run, steps } = await runRecord(written.path, runId);
    assert.equal(run.status, 'completed');
    assert.ok(run.resumes >= 3, `resumes: ${run.resumes}`);
    assert.deepEqual(JSON.parse(run.result)._meta['manifold/usage'].byAgent, {
      conductor: { calls: 2, inputTokens: 80, outputTokens: 8, totalTokens: 88 },
      reader: { calls: 4, inputTokens: 60, outputTokens: 6, totalTokens: 66 },
      writer: { calls: 2, inputTokens: 30, outputTokens: 3, totalTokens: 33 }
    });
    // The timeline says what was replayed: the plan and the first task, in the later executions.
    assert.ok(steps.some(step => step.path === 'plan' && step.kind === 'model-turn' && /replayed from the journal/.test(step.detail ?? '')));
    assert.ok(steps.some(step => step.path === 'step 1 task 1 reader' && step.kind === 'task' && /replayed from the journal/.test(step.detail ?? '')));
  });
  it('iterative: a worker\'s write in flight at the crash stops the resume (interrupted, named) until --force; each plan step is asked once', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('PLAN')) {
        const next = firstUserText(request).includes('Results so far') ? { complete: true } : { complete: false, tasks: [{ worker: 'writer', task: 'write x' }] };
        return { text: JSON.stringify(next), usage: { input: 50, output: 5 } };
      }
      if (system.startsWith('SYNTH')) return { text: 'the synthesis', usage: { input: 30, output: 3 } };
      if (toolResults(request).length > 0) return { text: 'done: write x', usage: { input: 20, output: 2 } };
      return { toolCalls: [{ name: 'c__write', arguments: { key: 'x' } }], usage: { input: 10, output: 1 } };
    });
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    await using config = writeConfig({
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { writer: { model: 'local', servers: ['c'], instruction: 'WORKER writer' } },
      orchestrators: { lead: { model: 'local', workers: ['writer'], instruction: 'PLAN', synthesis: 'SYNTH', plan: 'iterative' } }
    });
    let runId: string;
    {
      // Killed as the worker's write (destructive, not idempotent) was in flight, before it ran.
      await using gateway = await startGateway(config.path, 'call-start:step:1.task:0.turn:1.call:0');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'lead', { task: 'write x' }, dyingCallMs));
      await crashed(gateway);
      runId = JSON.parse((await cli(config.path, ['runs', '--json'])).stdout)[0].id;
    }
    assert.deepEqual(model.requests.map(what), ['plan', 'write x turn 1']);
    assert.deepEqual(counts(file), {});
    // Without --force nothing runs: the run stays interrupted, and the message names the call and its tool.
    const refused = await cli(config.path, ['runs', 'resume', runId]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /interrupted/);
    assert.match(refused.stdout, /step:1\.task:0\.turn:1\.call:0.*c__write/);
    assert.equal((await runRecord(config.path, runId)).run.status, 'interrupted');
    assert.equal(model.requests.length, 2);
    // With --force the write is made (once), and the run goes on: the first plan step is not asked again.
    const forced = await cli(config.path, ['runs', 'resume', runId, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr + forced.stdout);
    const result = JSON.parse(forced.stdout);
    assert.equal(result.content[0].text, 'the synthesis');
    assert.deepEqual(model.requests.map(what), ['plan', 'write x turn 1', 'write x turn 2', 'plan', 'synthesis']);
    assert.deepEqual(counts(file), { 'write x': 1 });
    assert.deepEqual(result.structuredContent.plans, [{ step: 1, complete: false, tasks: [{ worker: 'writer', task: 'write x' }] }, { step: 2, complete: true, tasks: [] }]);
    assert.equal(result.structuredContent.usage.calls.length, 5);
  });
});

/**
 * Agents called directly as tools are runs: recorded in the run store (kind, input, status, a step per model turn
 * and tool call, token usage per model and agent) and journaled, so after kill -9 of the gateway (a real process,
 * MANIFOLD_TEST_CRASH_AFTER at exact journal points) `runs_resume` / `manifold runs resume` go on without asking
 * the model again for a turn it answered or calling a tool again that returned. The scripted model server outlives
 * the gateways and records every model request; the counter fixture counts the tool calls that really ran.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { connectHttp, connectStdio, fixtureServer, manifoldCommand, stopChild, waitForStderr, writeConfig } from '../helpers/gateway.js';
import { callTool, dyingCallMs } from './crash-helpers.js';
import { firstUserText, protocols, replayedToolCalls, systemPrompt, toolResults } from './wire.js';

async function startGateway(configPath: string, crashAfter?: string): Promise<{ url: string; child: ChildProcess; stderr: () => string } & AsyncDisposable> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(crashAfter ? { MANIFOLD_TEST_CRASH_AFTER: crashAfter } : {}) }
  });
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 30_000);
  return { url: match[1] as string, child, stderr, [Symbol.asyncDispose]: () => stopChild(child, 5000) };
}

async function crashed(gateway: { child: ChildProcess; stderr: () => string }): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) await once(gateway.child, 'exit');
  assert.equal(gateway.child.signalCode, 'SIGKILL', `the gateway should have killed itself:\n${gateway.stderr()}`);
}

/** `manifold <args> --config <path>` in its own process: exit code and output. */
async function cli(configPath: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

function counts(file: string): Record<string, number> {
  const result: Record<string, number> = {};
  if (!existsSync(file)) return result;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) result[line] = (result[line] ?? 0) + 1;
  return result;
}

for (const protocol of protocols) {
  describe(`a direct agent call is a recorded run (${protocol})`, { timeout: 120_000 }, () => {
    it('manifold runs <id> --json shows the run, a step per model turn and tool call, and its token usage', async () => {
      await using model = await startScriptedModelServer([
        { toolCalls: [{ name: 'echo__echo', arguments: { message: 'hi' } }], usage: { input: 100, output: 10 } },
        { text: 'echoed hi', usage: { input: 150, output: 5 } },
        { text: JSON.stringify({ route: 'shouting', confidence: 0.9, reasoning: 'a text to return' }), usage: { input: 40, output: 7 } }
      ]);
      await using config = writeConfig({
        servers: { echo: fixtureServer('echo.ts') },
        models: { local: { provider: protocol, baseURL: model.baseURL, model: `scripted-${protocol}`, apiKey: 'key' } },
        agents: { probe: { model: 'local', servers: ['echo'] } },
        workflows: { shout: { description: 'Returns the given text unchanged.', input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, steps: [{ id: 'say', call: 'echo__echo', with: { message: '{{ input.text }}' } }] } },
        routers: { front: { model: 'local', routes: { echoing: { server: 'echo', description: 'Repeats messages.' }, shouting: { workflow: 'shout', description: 'Returns a text.' } }, default: 'echoing' } }
      });
      let runId: string;
      let routerRunId: string;
      {
        await using gateway = await connectStdio(config.path);
        const result = await callTool(gateway.client, 'probe', { task: 'echo hi' });
        assert.equal(result.isError, false, result.text);
        assert.equal(result.text, 'echoed hi');
        runId = result.meta['manifold/run-id'];
        assert.match(runId, /^run_\w+$/);
        const routed = await callTool(gateway.client, 'front', { request: 'return hi', arguments: { text: 'hi' } });
        assert.equal(routed.isError, false, routed.text);
        routerRunId = routed.meta['manifold/run-id'];
      }
      // A router called directly is a run too (recorded and journaled), with its classification's usage.
      const routerRun = JSON.parse((await cli(config.path, ['runs', routerRunId, '--json'])).stdout).run;
      assert.deepEqual([routerRun.kind, routerRun.workflow, routerRun.status], ['router', 'front', 'completed']);
      assert.deepEqual(JSON.parse(routerRun.input), { request: 'return hi', arguments: { text: 'hi' } });
      assert.deepEqual(JSON.parse(routerRun.result)._meta['manifold/usage'].byAgent, { front: { calls: 1, inputTokens: 40, outputTokens: 7, totalTokens: 47 } });
      const shown = await cli(config.path, ['runs', runId, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      const { run, steps } = JSON.parse(shown.stdout);
      assert.equal(run.kind, 'agent');
      assert.equal(run.workflow, 'probe');
      assert.equal(run.status, 'completed');
      assert.deepEqual(JSON.parse(run.input), { task: 'echo hi' });
      assert.ok(run.endedAt >= run.startedAt);
      assert.deepEqual(
        steps.map((step: any) => [step.path, step.kind, step.tool, step.status]),
        [
          ['turn 1', 'model-turn', 'model', 'ok'],
          ['turn 1 call 1', 'tool-call', 'echo__echo', 'ok'],
          ['turn 2', 'model-turn', 'model', 'ok']
        ]
      );
      assert.match(steps[0].detail, /100 in \+ 10 out tokens/);
      const usage = JSON.parse(run.result)._meta['manifold/usage'];
      const totals = { calls: 2, inputTokens: 250, outputTokens: 15, totalTokens: 265 };
      assert.deepEqual(Object.values(usage.byModel), [totals]);
      assert.deepEqual(usage.byAgent, { probe: totals });
      assert.deepEqual(usage.calls.map((call: any) => [call.turn, call.inputTokens, call.outputTokens, call.agent]), [[1, 100, 10, 'probe'], [2, 150, 5, 'probe']]);
      // The list and the timeline say what ran.
      const list = await cli(config.path, ['runs']);
      assert.match(list.stdout, new RegExp(`${runId}\\s+agent probe\\s+completed`));
      assert.match(list.stdout, new RegExp(`${routerRunId}\\s+router front\\s+completed`));
      const timeline = await cli(config.path, ['runs', runId]);
      assert.match(timeline.stdout, new RegExp(`run ${runId}  agent probe  completed`));
      assert.match(timeline.stdout, /model usage 2 call\(s\), 250 in \+ 15 out tokens/);
      assert.match(timeline.stdout, /by agent: probe 2 call\(s\)/);
    });
  });
}

describe('a direct orchestrator call is a recorded run (openai)', { timeout: 120_000 }, () => {
  it('records each worker task\'s model turns and tool calls as steps, and the usage by worker; a failed one resumed asks the planner again', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('PLAN')) return { text: JSON.stringify({ steps: [{ tasks: [{ worker: 'echoer', task: 'say a' }, { worker: 'echoer', task: 'say b' }] }] }), usage: { input: 50, output: 5 } };
      if (system.startsWith('SYNTH')) return { text: 'the synthesis', usage: { input: 30, output: 3 } };
      if (system.startsWith('BAD')) return { text: 'no plan today' };
      const task = firstUserText(request).split('\n')[0]!;
      if (toolResults(request).length > 0) return { text: `done: ${task}`, usage: { input: 20, output: 2 } };
      return { toolCalls: [{ name: 'echo__echo', arguments: { message: task } }], usage: { input: 10, output: 1 } };
    });
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts') },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { echoer: { model: 'local', servers: ['echo'], instruction: 'WORKER echoer' } },
      orchestrators: {
        conductor: { model: 'local', workers: ['echoer'], instruction: 'PLAN', synthesis: 'SYNTH', plan: 'full' },
        broken: { model: 'local', workers: ['echoer'], instruction: 'BAD', synthesis: 'SYNTH', plan: 'full' }
      }
    });
    let runId: string;
    let failedId: string;
    {
      await using gateway = await connectStdio(config.path);
      const result = await callTool(gateway.client, 'conductor', { task: 'say a and b' });
      assert.equal(result.isError, false, result.text);
      runId = result.meta['manifold/run-id'];
      const failed = await callTool(gateway.client, 'broken', { task: 'say c' });
      assert.equal(failed.isError, true);
      failedId = failed.meta['manifold/run-id'];
    }
    // A failed orchestrator run is recorded as failed, with its error; resumed, it asks the planner again (a plan
    // that failed is not journaled), here in vain.
    const failedRun = JSON.parse((await cli(config.path, ['runs', failedId, '--json'])).stdout).run;
    assert.deepEqual([failedRun.kind, failedRun.status], ['orchestrator', 'failed']);
    assert.match(failedRun.error, /no usable plan/);
    const asked = model.requests.length;
    const resume = await cli(config.path, ['runs', 'resume', failedId]);
    assert.notEqual(resume.code, 0);
    assert.match(resume.stdout, /Orchestrator "broken" got no usable plan while planning/);
    assert.deepEqual(model.requests.slice(asked).map(request => systemPrompt(request).split('\n')[0]), ['BAD', 'BAD']);
    const { run, steps } = JSON.parse((await cli(config.path, ['runs', runId, '--json'])).stdout);
    assert.deepEqual([run.kind, run.workflow, run.status], ['orchestrator', 'conductor', 'completed']);
    // The worker tasks' turns and calls (the plan, each task as a whole and the synthesis are steps too).
    assert.deepEqual(
      steps.filter((step: any) => step.kind === 'model-turn' || step.kind === 'tool-call').filter((step: any) => step.path.startsWith('step ')).map((step: any) => `${step.path} ${step.kind}`).sort(),
      ['1 turn 1 model-turn', '1 turn 1 call 1 tool-call', '1 turn 2 model-turn', '2 turn 1 model-turn', '2 turn 1 call 1 tool-call', '2 turn 2 model-turn'].map(rest => `step 1 task ${rest.replace(/^(\d) /, '$1 echoer ')}`).sort()
    );
    const usage = JSON.parse(run.result)._meta['manifold/usage'];
    assert.deepEqual(usage.byAgent.echoer, { calls: 4, inputTokens: 60, outputTokens: 6, totalTokens: 66 });
    assert.equal(usage.totalTokens, 66 + 55 + 33);
  });
});

describe('a direct agent run survives kill -9 of the gateway (openai)', { timeout: 240_000 }, () => {
  it('resumes from the journal: no answered model turn is asked again, no finished tool call repeated; a write in flight stops it interrupted until --force', async () => {
    await using model = await startScriptedModelServer([
      { toolCalls: [{ name: 'c__read', arguments: { key: 'a' } }], usage: { input: 10, output: 1 } },
      { toolCalls: [{ name: 'c__write', arguments: { key: 'b' } }], usage: { input: 20, output: 2 } },
      { text: 'read a, wrote b', usage: { input: 30, output: 3 } }
    ]);
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    await using config = writeConfig({
      gateway: { runTools: true },
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { worker: { model: 'local', servers: ['c'] } }
    });
    let runId: string;
    {
      // 1. Killed right after the first tool call's result was journaled.
      await using gateway = await startGateway(config.path, 'call-done:turn:1.call:0');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'worker', { task: 'read a, then write b' }, dyingCallMs));
      await crashed(gateway);
      const listed = JSON.parse((await cli(config.path, ['runs', '--json'])).stdout);
      runId = listed[0].id;
      assert.equal(listed[0].kind, 'agent');
    }
    assert.equal(model.requests.length, 1);
    assert.deepEqual(counts(file), { 'read a': 1 });
    {
      // 2. Resumed over MCP; killed right after the second model turn's answer was journaled.
      await using gateway = await startGateway(config.path, 'call-done:turn:2');
      await using client = await connectHttp(gateway.url);
      // The resumed run goes on in the background and may reach the crash point before this answer is sent
      // (the audit row is written first): a lost answer is the crash, not a refusal.
      const resumed = await callTool(client, 'runs_resume', { run_id: runId }, dyingCallMs).catch(() => undefined);
      if (resumed) assert.equal(resumed.isError, false, resumed.text);
      await crashed(gateway);
    }
    // Turn 1 was not asked again (turn 2 was asked with the journaled read result); read a ran once.
    assert.equal(model.requests.length, 2);
    assert.deepEqual(toolResults(model.requests[1]!).map(result => JSON.parse(result.text)), [{ key: 'a', read: 1 }]);
    assert.deepEqual(counts(file), { 'read a': 1 });
    {
      // 3. Resumed; killed as the write (not idempotent) was in flight, before it ran.
      await using gateway = await startGateway(config.path, 'call-start:turn:2.call:0');
      await using client = await connectHttp(gateway.url);
      // The resumed run goes on in the background and may reach the crash point before this answer is sent
      // (the audit row is written first): a lost answer is the crash, not a refusal.
      const resumed = await callTool(client, 'runs_resume', { run_id: runId }, dyingCallMs).catch(() => undefined);
      if (resumed) assert.equal(resumed.isError, false, resumed.text);
      await crashed(gateway);
    }
    assert.equal(model.requests.length, 2, 'turn 2 was replayed from the journal');
    assert.deepEqual(counts(file), { 'read a': 1 });
    // 4. Without --force it stays interrupted, naming the write in flight; nothing runs.
    const refused = await cli(config.path, ['runs', 'resume', runId]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /interrupted/);
    assert.match(refused.stdout, /turn:2\.call:0.*c__write/);
    assert.equal(JSON.parse((await cli(config.path, ['runs', runId, '--json'])).stdout).run.status, 'interrupted');
    assert.equal(model.requests.length, 2);
    // 5. With --force it goes on: the write is called, the model asked for turn 3 only.
    const forced = await cli(config.path, ['runs', 'resume', runId, '--force']);
    assert.equal(forced.code, 0, forced.stderr + forced.stdout);
    assert.match(forced.stdout, /read a, wrote b/);
    assert.equal(model.requests.length, 3);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1 });
    // The last request replays the whole conversation: both tool calls the model made, and both results.
    assert.deepEqual(replayedToolCalls(model.requests[2]!).map(([, name, args]) => [name, args]), [['c__read', { key: 'a' }], ['c__write', { key: 'b' }]]);
    assert.deepEqual(toolResults(model.requests[2]!).map(result => JSON.parse(result.text)), [{ key: 'a', read: 1 }, { key: 'b', wrote: 1 }]);
    const { run, steps } = JSON.parse((await cli(config.path, ['runs', runId, '--json'])).stdout);
    assert.equal(run.status, 'completed');
    assert.ok(run.resumes >= 3, `resumes: ${run.resumes}`);
    assert.ok(steps.some((step: any) => step.kind === 'tool-call' && step.tool === 'c__read' && /replayed from the journal/.test(step.detail ?? '')));
    // Usage counts every model call of the run once, across its executions.
    assert.deepEqual(JSON.parse(run.result)._meta['manifold/usage'].byAgent, { worker: { calls: 3, inputTokens: 60, outputTokens: 6, totalTokens: 66 } });
  });
});

/**
 * Run and step ids in the audit log of direct agent, orchestrator and router calls: each tool call an agent makes
 * (a direct agent, an orchestrator's worker) has the run's id and the step path its run record gives that call;
 * the router's routed call carries the router's run and `route <name>`; the row of a call that is a run names it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { connectStdio, fixtureServer, manifoldCommand, repoRoot, writeConfig } from '../helpers/gateway.js';
import { firstUserText, systemPrompt, toolResults } from '../agents/wire.js';
import { auditRows } from './helpers.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function runSteps(configPath: string, runId: string): Promise<{ path: string; kind: string; tool: string }[]> {
  const { stdout } = await run(manifoldCommand.command, [...manifoldCommand.args, 'runs', runId, '--json', '--config', configPath], { cwd: repoRoot });
  return JSON.parse(stdout).steps;
}

describe('audit rows of direct agent, orchestrator and router calls', { timeout: 120_000 }, () => {
  it('carry the run id and the step path of the run record', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('PLAN')) return { text: JSON.stringify({ steps: [{ tasks: [{ worker: 'echoer', task: 'say a' }, { worker: 'echoer', task: 'say b' }] }] }), usage: { input: 5, output: 1 } };
      if (system.startsWith('SYNTH')) return { text: 'the synthesis', usage: { input: 3, output: 1 } };
      if (system.includes('WORKER')) {
        const task = firstUserText(request).split('\n')[0]!;
        if (toolResults(request).length > 0) return { text: `done: ${task}`, usage: { input: 2, output: 1 } };
        return { toolCalls: [{ name: 'echo__echo', arguments: { message: task } }], usage: { input: 1, output: 1 } };
      }
      // The router's classification.
      return { text: JSON.stringify({ route: 'shouting', confidence: 0.9, reasoning: 'a text to return' }), usage: { input: 4, output: 1 } };
    });
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts') },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { echoer: { model: 'local', servers: ['echo'], instruction: 'WORKER echoer' } },
      orchestrators: { conductor: { model: 'local', workers: ['echoer'], instruction: 'PLAN', synthesis: 'SYNTH', plan: 'full' } },
      workflows: { shout: { description: 'Returns the given text unchanged.', input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, steps: [{ id: 'say', call: 'echo__echo', with: { message: '{{ input.text }}' } }] } },
      routers: { front: { model: 'local', routes: { echoing: { server: 'echo', description: 'Repeats messages.' }, shouting: { workflow: 'shout', description: 'Returns a text.' } }, default: 'echoing' } }
    });
    const ids: Record<string, string> = {};
    {
      await using gateway = await connectStdio(config.path);
      for (const [tool, args] of [['echoer', { task: 'say hi' }], ['conductor', { task: 'say a and b' }], ['front', { request: 'return hi', arguments: { text: 'hi' } }]] as const) {
        const result = await gateway.client.callTool({ name: tool, arguments: args });
        assert.notEqual(result.isError, true, JSON.stringify(result.content));
        ids[tool] = (result._meta as Record<string, string>)['manifold/run-id']!;
        assert.match(ids[tool], /^run_\w+$/);
      }
    }
    const rows = await auditRows(config.path);
    // The row of each call that is a run names the run it made.
    for (const tool of ['echoer', 'conductor', 'front']) {
      const own = rows.filter(row => row.target === tool);
      assert.deepEqual(own.map(row => [row.runId, row.stepId]), [[ids[tool], null]], tool);
    }
    // Each agent tool call: the run's id and the path of its step record.
    for (const tool of ['echoer', 'conductor']) {
      const calls = rows.filter(row => row.target === 'echo__echo' && row.runId === ids[tool]);
      const steps = (await runSteps(config.path, ids[tool]!)).filter(step => step.kind === 'tool-call');
      assert.equal(calls.length, tool === 'echoer' ? 1 : 2, `${tool}: ${JSON.stringify(rows.map(row => [row.target, row.runId, row.stepId]))}`);
      assert.deepEqual(calls.map(row => row.stepId).sort(), steps.map(step => step.path).sort(), tool);
    }
    assert.equal(rows.find(row => row.runId === ids.echoer && row.target === 'echo__echo')?.stepId, 'turn 1 call 1');
    // The router: its routed workflow call carries the router's run and the route; the workflow's step its own run.
    const routed = rows.filter(row => row.target === 'shout');
    assert.deepEqual(routed.map(row => [row.runId, row.stepId]), [[ids.front, 'route shouting']]);
    const step = rows.filter(row => row.target === 'echo__echo' && row.stepId === 'say');
    assert.equal(step.length, 1);
    assert.equal(step[0]!.runId, `${ids.front}.routed`);
    // No row of these calls lacks a run.
    assert.deepEqual(rows.filter(row => row.runId === null).map(row => row.target), []);
  });
});

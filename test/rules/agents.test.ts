import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Principal } from '../../src/core/principal.js';
import { offeredTools, systemPrompt, toolResults } from '../agents/wire.js';
import { type RecordedRequest, type ScriptTurn, startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';
import { startRulesGateway, textOf } from './helpers.js';

const bob: Principal = { name: 'bob', kind: 'key' };
const carol: Principal = { name: 'carol', kind: 'key' };

describe('an agent runs as its caller', { timeout: 60_000 }, () => {
  it('it is offered only the tools its caller may see, a call to another is refused, and its run is the caller\'s', async () => {
    await using model = await startScriptedModelServer();
    await using gateway = await startRulesGateway({
      servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'k' } },
      agents: {
        probe: { model: 'local', servers: ['echo', 'fix'], tools: ['echo', 'text'] },
        worker: { model: 'local', servers: ['echo', 'fix'], tools: ['echo', 'text'], instruction: 'WORKER' }
      },
      orchestrators: { lead: { model: 'local', workers: ['worker'], instruction: 'PLAN', synthesis: 'SYNTH', plan: 'full' } },
      routers: { front: { model: 'local', routes: { texts: { server: 'fix', tools: ['text', 'needs'], description: 'Text utilities.' } }, default: 'texts' } },
      workflows: { ask: { steps: [{ id: 'look', agent: 'probe', task: 'look' }] } },
      store: { path: ':memory:' },
      rules: [{ deny: 'principal.name == "bob" && server == "echo"' }, { deny: 'principal.name == "bob" && tool == "fix__needs"' }]
    });

    model.reset([{ text: 'done' }]);
    const asCarol = await gateway.connect(carol);
    assert.equal(textOf(await asCarol.callTool({ name: 'probe', arguments: { task: 'look' } })).includes('done'), true);
    assert.deepEqual(offeredTools(model.requests[0]!), ['echo__echo', 'fix__text']);

    // The model asks for echo__echo though it was not offered: refused as any tool it was not offered.
    model.reset([{ toolCalls: [{ id: 'c1', name: 'echo__echo', arguments: { message: 'x' } }] }, { text: 'gave up' }]);
    const asBob = await gateway.connect(bob);
    const result = await asBob.callTool({ name: 'probe', arguments: { task: 'look' } });
    assert.deepEqual(offeredTools(model.requests[0]!), ['fix__text']);
    const fedBack = toolResults(model.requests[1]!);
    assert.equal(fedBack.length, 1);
    assert.equal(fedBack[0]!.text, 'There is no tool "echo__echo" among your tools; call one of: fix__text.');
    const runId = (result._meta as Record<string, string> | undefined)?.['manifold/run-id'];
    assert.ok(runId, JSON.stringify(result));
    assert.equal(gateway.core.workflows.store?.getRun(runId)?.run.principal, 'bob');

    // A workflow's agent step runs as the workflow's caller too.
    model.reset([{ text: 'step done' }]);
    await asBob.callTool({ name: 'ask', arguments: {} });
    assert.deepEqual(offeredTools(model.requests[0]!), ['fix__text']);
    model.reset([{ text: 'step done' }]);
    await asCarol.callTool({ name: 'ask', arguments: {} });
    assert.deepEqual(offeredTools(model.requests[0]!), ['echo__echo', 'fix__text']);

    // An orchestrator's workers too.
    const byRole = (request: RecordedRequest): ScriptTurn => {
      const system = systemPrompt(request);
      if (system.startsWith('PLAN')) return { text: JSON.stringify({ steps: [{ tasks: [{ worker: 'worker', task: 'look' }] }] }) };
      if (system.startsWith('SYNTH')) return { text: 'the synthesis' };
      return { text: 'worker done' };
    };
    const workerOffers = () => model.requests.filter(request => systemPrompt(request).startsWith('WORKER')).map(offeredTools);
    model.reset((_index, request) => byRole(request));
    assert.equal(textOf(await asBob.callTool({ name: 'lead', arguments: { task: 'look around' } })), 'the synthesis');
    assert.deepEqual(workerOffers(), [['fix__text']]);
    model.reset((_index, request) => byRole(request));
    await asCarol.callTool({ name: 'lead', arguments: { task: 'look around' } });
    assert.deepEqual(workerOffers(), [['echo__echo', 'fix__text']]);

    // A router's server route: its tool loop is offered only what the caller may see of that server.
    const routed = (_index: number, request: RecordedRequest): ScriptTurn =>
      offeredTools(request).length === 0 ? { text: JSON.stringify({ route: 'texts', confidence: 0.9, reasoning: 'texts' }) } : { text: 'routed done' };
    const routeOffers = () => model.requests.map(offeredTools).filter(tools => tools.length > 0);
    model.reset(routed);
    await asBob.callTool({ name: 'front', arguments: { request: 'make a text' } });
    assert.deepEqual(routeOffers(), [['fix__text']]);
    model.reset(routed);
    await asCarol.callTool({ name: 'front', arguments: { request: 'make a text' } });
    assert.deepEqual(routeOffers(), [['fix__needs', 'fix__text']]);
  });
});

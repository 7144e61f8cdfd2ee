/**
 * Router runs survive a restart: the gateway (a real process) kills itself with SIGKILL right after the route
 * decision was journaled, inside a server route's tool loop, inside a routed agent's run and inside a routed
 * workflow's run (MANIFOLD_TEST_CRASH_AFTER). Resumed (at start with `gateway.resumeInterrupted`, with
 * `manifold runs resume`, with runs_resume), the decision is not asked of the model again, and the routed call goes
 * on from its journal: no model turn asked twice (the scripted model server's recorded requests), no tool call
 * made twice (the counter fixture).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { type RecordedRequest, startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { connectHttp, fixtureServer, waitFor, writeConfig } from '../helpers/gateway.js';
import { callTool, dyingCallMs, cli, counts, crashed, runRecord, startGateway } from './crash-helpers.js';
import { firstUserText, systemPrompt, toolResults } from './wire.js';

/** Which model call a request was: the router's decision, or a turn of the server route's loop or of the agent. */
function what(request: RecordedRequest): string {
  const system = systemPrompt(request);
  const turn = toolResults(request).length + 1;
  if (system.startsWith('ROUTE')) return `route ${firstUserText(request).split(':')[0]}`;
  if (system.startsWith('SERVER')) return `server turn ${turn}`;
  return `agent turn ${turn}`;
}

describe('a router run survives kill -9 of the gateway (openai)', { timeout: 400_000 }, () => {
  it('resumes from the journal: the route decision is not asked again; a server route\'s loop, a routed agent run and a routed workflow run go on from theirs', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const system = systemPrompt(request);
      const results = toolResults(request).length;
      if (system.startsWith('ROUTE')) {
        return { text: JSON.stringify({ route: firstUserText(request).split(':')[0], confidence: 0.9, reasoning: 'it says so' }), usage: { input: 40, output: 4 } };
      }
      if (system.startsWith('SERVER')) {
        if (results === 0) return { toolCalls: [{ name: 'c__read', arguments: { key: 'a' } }], usage: { input: 10, output: 1 } };
        if (results === 1) return { toolCalls: [{ name: 'c__write', arguments: { key: 'b' } }], usage: { input: 10, output: 1 } };
        return { text: 'read a, wrote b', usage: { input: 10, output: 1 } };
      }
      if (results === 0) return { toolCalls: [{ name: 'c__read', arguments: { key: 'c' } }], usage: { input: 20, output: 2 } };
      return { text: 'read c', usage: { input: 20, output: 2 } };
    });
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    const config = (withWorkflow: boolean) => ({
      gateway: { resumeInterrupted: true, runTools: true },
      // Rewritten below without the test helper: the counter's destructive write runs without a person's yes.
      security: { approval: { enabled: false } },
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { reader: { model: 'local', servers: ['c'], instruction: 'AGENT' } },
      ...(withWorkflow ? { workflows: { flow: { description: 'Reads d, writes e.', steps: [{ id: 'first', call: 'c__read', with: { key: 'd' } }, { id: 'second', call: 'c__write', with: { key: 'e' } }] } } } : {}),
      routers: {
        front: {
          model: 'local',
          instruction: 'ROUTE',
          routes: {
            direct: { server: 'c', instruction: 'SERVER', description: 'The counter server itself.' },
            agent: { agent: 'reader', description: 'An agent that reads.' },
            ...(withWorkflow ? { flow: { workflow: 'flow', description: 'A workflow.' } } : {})
          },
          default: 'direct'
        }
      }
    });
    await using written = writeConfig(config(true));
    const latestRouterRun = async () => JSON.parse((await cli(written.path, ['runs', '--json'])).stdout).find((run: any) => run.kind === 'router').id as string;

    // A server route: killed right after the decision was journaled.
    let serverRun: string;
    {
      await using gateway = await startGateway(written.path, 'call-done:route');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'front', { request: 'direct: read a, then write b' }, dyingCallMs));
      await crashed(gateway);
      serverRun = await latestRouterRun();
    }
    assert.deepEqual(model.requests.map(what), ['route direct']);
    {
      // Restarted, it resumes by itself and is killed inside the route's loop, once the read returned.
      await using gateway = await startGateway(written.path, 'call-done:routed.turn:1.call:0');
      await crashed(gateway);
    }
    assert.deepEqual(model.requests.map(what), ['route direct', 'server turn 1']);
    assert.deepEqual(counts(file), { 'read a': 1 });
    // `manifold runs resume` finishes it: no decision asked again, the read not made again.
    const finished = await cli(written.path, ['runs', 'resume', serverRun, '--json']);
    assert.equal(finished.code, 0, finished.stderr + finished.stdout);
    const result = JSON.parse(finished.stdout);
    assert.equal(result.content[0].text, 'read a, wrote b');
    assert.deepEqual([result.structuredContent.route, result.structuredContent.decidedBy], ['direct', 'model']);
    assert.deepEqual(model.requests.map(what), ['route direct', 'server turn 1', 'server turn 2', 'server turn 3']);
    assert.deepEqual(toolResults(model.requests[2]!).map(entry => JSON.parse(entry.text)), [{ key: 'a', read: 1 }]);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1 });
    const serverRecord = await runRecord(written.path, serverRun);
    assert.equal(serverRecord.run.status, 'completed');
    assert.ok(serverRecord.steps.some(step => step.path === 'route' && step.kind === 'route' && /replayed from the journal/.test(step.detail ?? '')));
    assert.ok(serverRecord.steps.some(step => step.path === 'route direct turn 1 call 1' && step.tool === 'c__read'));
    // Usage counts each model call once: the decision and three turns.
    assert.equal(result.structuredContent.usage.totalTokens, 44 + 3 * 11);

    // An agent route: killed inside the agent's run, once its tool call returned.
    let agentRun: string;
    {
      await using gateway = await startGateway(written.path, 'call-done:turn:1.call:0');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'front', { request: 'agent: read c' }, dyingCallMs));
      await crashed(gateway);
      agentRun = await latestRouterRun();
    }
    assert.deepEqual(model.requests.slice(4).map(what), ['route agent', 'agent turn 1']);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'read c': 1 });
    // The routed agent's run is its own (kind agent), linked under the router run's id.
    const linked = await runRecord(written.path, `${agentRun}.routed`);
    assert.deepEqual([linked.run.kind, linked.run.workflow], ['agent', 'reader']);
    {
      // Restarted: the router is resumed at start, and it resumes its agent's run (which the gateway left to it);
      // the agent asks only its second turn.
      await using gateway = await startGateway(written.path);
      await waitFor(async () => (await runRecord(written.path, agentRun)).run.status === 'completed', 'the router run to complete', 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${gateway.stderr()}`);
      });
      assert.match(gateway.stderr(), new RegExp(`resuming router run ${agentRun}`));
      assert.match(gateway.stderr(), new RegExp(`resuming agent run ${agentRun}\\.routed`));
    }
    assert.deepEqual(model.requests.slice(4).map(what), ['route agent', 'agent turn 1', 'agent turn 2']);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'read c': 1 });
    const agentRecord = await runRecord(written.path, agentRun);
    assert.equal(JSON.parse(agentRecord.run.result).content[0].text, 'read c');
    assert.equal((await runRecord(written.path, `${agentRun}.routed`)).run.status, 'completed');

    // A workflow route: killed inside the workflow's run, once its first call returned.
    {
      await using gateway = await startGateway(written.path, 'call-done:first');
      await using client = await connectHttp(gateway.url);
      await assert.rejects(callTool(client, 'front', { request: 'flow: read d and write e' }, dyingCallMs));
      await crashed(gateway);
    }
    const flowRun = await latestRouterRun();
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'read c': 1, 'read d': 1 });
    assert.equal((await runRecord(written.path, `${flowRun}.routed`)).run.kind, 'workflow');
    // With the workflow taken out of the config, resuming fails, naming what is missing; nothing runs.
    writeFileSync(written.path, stringify(config(false)));
    const refused = await cli(written.path, ['runs', 'resume', flowRun]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, new RegExp(`cannot resume run "${flowRun}" of router "front": router "front" cannot run with the config now: its route "flow" leads to workflow "flow", which is not configured \\(workflows\\.flow\\)`));
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'read c': 1, 'read d': 1 });
    // Put back, runs_resume finishes it: the workflow goes on from its journal (the read is not made again).
    writeFileSync(written.path, stringify(config(true)));
    {
      await using gateway = await startGateway(written.path);
      await using client = await connectHttp(gateway.url);
      const resumed = await callTool(client, 'runs_resume', { run_id: flowRun, wait: true });
      assert.equal(resumed.isError, false, resumed.text);
      assert.equal(resumed.structured.route, 'flow');
    }
    assert.deepEqual(model.requests.slice(7).map(what), ['route flow']);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'read c': 1, 'read d': 1, 'write e': 1 });
    assert.equal((await runRecord(written.path, `${flowRun}.routed`)).run.status, 'completed');
  });
});

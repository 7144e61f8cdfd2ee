/**
 * Routers end to end, over both model protocols: a real gateway (stdio subprocess) with real fixture MCP
 * servers, a real SDK client calling the router's tool, and the scripted model server answering the
 * classification (and a server route's tool loop). Assertions come from the router's result (route,
 * confidence, candidates, usage) and from the recorded model requests (what was asked, which tools a server
 * route's loop was offered, and that BM25 skipped the model).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startScriptedModelServer, type ScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { connectStdio, type ConnectedClient, fixtureServer, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';
import { firstUserText, offeredTools, protocols, systemPrompt } from './wire.js';

const route = (name: string, confidence: number, reasoning = `because ${name}`) =>
  JSON.stringify({ route: name, confidence, reasoning });

for (const protocol of protocols) {
  describe(`routers over the ${protocol} protocol`, () => {
    let model: ScriptedModelServer;
    let config: TempConfig;
    let gateway: ConnectedClient;

    before(async () => {
      model = await startScriptedModelServer();
      config = writeConfig({
        servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
        store: { path: ':memory:' },
        models: { local: { provider: protocol, baseURL: model.baseURL, model: `scripted-${protocol}`, maxRetries: 0 } },
        agents: { helper: { model: 'local', servers: ['echo'], instruction: 'You help with echo.' } },
        workflows: {
          shout: {
            description: 'Returns the given text unchanged.',
            input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
            steps: [{ id: 'say', call: 'fix__text', with: { text: '{{ input.text }}' } }]
          }
        },
        routers: {
          front: {
            model: 'local',
            description: 'Sends a request where it belongs.',
            instruction: 'Requests come from the test suite.',
            routes: {
              echoing: { server: 'echo', description: 'Repeats messages back (echo).' },
              helping: { agent: 'helper', description: 'An agent for echo chores.' },
              shouting: { workflow: 'shout', description: 'Returns a text unchanged.' },
              texts: { server: 'fix', tools: ['text'], description: 'Text utilities.' }
            },
            default: 'helping',
            minConfidence: 0.6
          },
          ranked: {
            model: 'local',
            routes: [{ server: 'echo' }, { agent: 'helper' }, { name: 'wf', workflow: 'shout' }],
            default: 'echo',
            topK: 3
          },
          quick: {
            model: 'local',
            prefilter: 'bm25',
            routes: {
              weather: { agent: 'helper', description: 'Forecasts, temperature, rain and wind for a city.' },
              billing: { agent: 'helper', description: 'Invoices, payments, refunds and subscriptions.' }
            },
            default: 'billing'
          }
        }
      });
      gateway = await connectStdio(config.path);
    });

    after(async () => {
      await gateway?.[Symbol.asyncDispose]();
      await model?.close();
      await config?.[Symbol.asyncDispose]();
    });

    const call = (name: string, args: Record<string, unknown>) =>
      gateway.client.callTool({ name, arguments: args }) as Promise<any>;

    it('each router is a catalog tool named by its key, input {request, arguments?}', async () => {
      const { tools } = await gateway.client.listTools();
      const front = tools.find(tool => tool.name === 'front');
      assert.ok(front, tools.map(tool => tool.name).join(', '));
      assert.equal(front.description, 'Sends a request where it belongs.');
      assert.deepEqual(front.inputSchema.required, ['request']);
      assert.deepEqual(Object.keys(front.inputSchema.properties ?? {}), ['request', 'arguments']);
      assert.ok(tools.some(tool => tool.name === 'ranked'));
    });

    it('routes to an agent: the agent runs with the request as its task', async () => {
      model.reset([
        { text: route('helping', 0.9, 'an echo chore'), usage: { input: 80, output: 20 } },
        { text: 'Helper done.', usage: { input: 40, output: 4 } }
      ]);
      const result = await call('front', { request: 'please do an echo chore' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'Helper done.');
      const structured = result.structuredContent;
      assert.equal(structured.route, 'helping');
      assert.deepEqual(structured.target, { kind: 'agent', name: 'helper' });
      assert.equal(structured.confidence, 0.9);
      assert.equal(structured.reasoning, 'an echo chore');
      assert.equal(structured.fallback, false);
      assert.equal(structured.decidedBy, 'model');
      assert.equal(structured.usage.classification.totalTokens, 100);
      assert.equal(structured.usage.routed.totalTokens, 44);
      assert.equal(structured.usage.totalTokens, 144);
      assert.equal(structured.result.agent, 'helper');
      // The classification: the routes and the instruction in the system prompt, the request as the message, no tools.
      const [classify, agentCall] = model.requests as [any, any];
      assert.match(systemPrompt(classify), /^Requests come from the test suite\.\n\nYou are a router/);
      assert.match(systemPrompt(classify), /- shouting \(workflow shout\): Returns a text unchanged\./);
      assert.match(systemPrompt(classify), /- texts \(server fix\): Text utilities\./);
      assert.equal(firstUserText(classify), 'please do an echo chore');
      assert.deepEqual(offeredTools(classify), []);
      // The agent's own run: its instruction, the request as its task, its tools.
      assert.equal(systemPrompt(agentCall), 'You help with echo.');
      assert.equal(firstUserText(agentCall), 'please do an echo chore');
      assert.deepEqual(offeredTools(agentCall), ['echo__echo']);
    });

    it('routes to a workflow: called through the pipeline with the arguments', async () => {
      model.reset([{ text: route('shouting', 0.8) }]);
      const result = await call('front', { request: 'say it back', arguments: { text: 'hello there' } });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.route, 'shouting');
      assert.deepEqual(result.structuredContent.target, { kind: 'workflow', name: 'shout' });
      assert.match(JSON.stringify(result.content), /hello there/);
      assert.match(firstUserText(model.requests[0]!), /Arguments given with the request: \{"text":"hello there"\}/);
      assert.equal(model.requests.length, 1);
    });

    it('routes to a server: a tool loop offered only that server’s tools (narrowed by the route’s globs)', async () => {
      model.reset([
        { text: route('texts', 0.95) },
        { toolCalls: [{ id: 'c1', name: 'fix__text', arguments: { text: 'routed' } }] },
        { text: 'The text tool said: routed' }
      ]);
      const result = await call('front', { request: 'return the word routed' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'The text tool said: routed');
      assert.deepEqual(result.structuredContent.target, { kind: 'server', name: 'fix' });
      assert.equal(result.structuredContent.result.steps[0].outcome, 'ok');
      assert.equal(model.requests.length, 3);
      assert.deepEqual(offeredTools(model.requests[1]!), ['fix__text']);
      assert.deepEqual(offeredTools(model.requests[2]!), ['fix__text']);

      model.reset([{ text: route('echoing', 0.95) }, { text: 'nothing to echo' }]);
      const echoing = await call('front', { request: 'echo nothing' });
      assert.equal(echoing.isError, undefined, firstText(echoing));
      assert.deepEqual(offeredTools(model.requests[1]!), ['echo__echo']);
    });

    it('below minConfidence takes the default route, and says so', async () => {
      model.reset([{ text: route('shouting', 0.3, 'a guess') }, { text: 'Default helper answered.' }]);
      const result = await call('front', { request: 'something vague' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'Default helper answered.');
      const structured = result.structuredContent;
      assert.equal(structured.route, 'helping');
      assert.equal(structured.fallback, true);
      assert.deepEqual(structured.candidates, [{ route: 'shouting', confidence: 0.3, reasoning: 'a guess' }]);
      assert.equal(structured.confidence, 0.3);
    });

    it('a route that is not declared is sent back once; the repaired answer is taken', async () => {
      model.reset([{ text: route('github', 0.9) }, { text: route('shouting', 0.9) }]);
      const result = await call('front', { request: 'shout', arguments: { text: 'fixed' } });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.route, 'shouting');
      assert.equal(result.structuredContent.usage.classification.calls.length, 2);
      const repair = model.requests[1]!.body.messages as any[];
      assert.match(
        JSON.stringify(repair.at(-1)),
        /route \\"github\\" is not declared; the routes are: echoing, helping, shouting, texts/
      );
    });

    it('a second undeclared route is a tool error, reason model_output_invalid, keeping the raw text', async () => {
      model.reset([{ text: route('github', 0.9) }, { text: 'I insist: ' + route('gitlab', 0.9) }]);
      const result = await call('front', { request: 'open an issue' });
      assert.equal(result.isError, true);
      assert.match(
        firstText(result),
        /^Router "front" could not choose a route: model "local" .* did not answer with a route/
      );
      const structured = result.structuredContent;
      assert.equal(structured.reason, 'model_output_invalid');
      assert.equal(structured.raw, 'I insist: ' + route('gitlab', 0.9));
      assert.match(structured.why, /route "gitlab" is not declared/);
      assert.equal(structured.usage.calls.length, 2);
      assert.equal(model.requests.length, 2, 'nothing was routed');
    });

    it('top-k: ranked candidates best first, the first taken; list-form routes named by their target', async () => {
      model.reset([
        {
          text: JSON.stringify({
            routes: [
              { route: 'helper', confidence: 0.2, reasoning: 'maybe' },
              { route: 'echo', confidence: 0.7, reasoning: 'likely' },
              { route: 'wf', confidence: 0.1, reasoning: 'unlikely' }
            ]
          })
        },
        { text: 'echo loop done' }
      ]);
      const result = await call('ranked', { request: 'echo this' });
      assert.equal(result.isError, undefined, firstText(result));
      const structured = result.structuredContent;
      assert.equal(structured.route, 'echo');
      assert.deepEqual(
        structured.candidates.map((candidate: any) => [candidate.route, candidate.confidence]),
        [
          ['echo', 0.7],
          ['helper', 0.2],
          ['wf', 0.1]
        ]
      );
      assert.match(systemPrompt(model.requests[0]!), /Rank up to 3 routes/);
    });

    it('the BM25 prefilter decides without the model when one route clearly wins', async () => {
      model.reset([{ text: 'Helper answered about rain.' }]);
      const result = await call('quick', { request: 'will there be rain and wind tomorrow' });
      assert.equal(result.isError, undefined, firstText(result));
      const structured = result.structuredContent;
      assert.equal(structured.route, 'weather');
      assert.equal(structured.decidedBy, 'bm25');
      assert.equal(structured.confidence, 1);
      assert.equal(structured.usage.classification.totalTokens, 0);
      assert.deepEqual(
        structured.bm25.map((entry: any) => entry.route),
        ['weather', 'billing']
      );
      assert.equal(structured.bm25[1].score, 0);
      // The only model request is the agent's own run: no classification was asked for.
      assert.equal(model.requests.length, 1);
      assert.equal(firstUserText(model.requests[0]!), 'will there be rain and wind tomorrow');
      assert.equal(systemPrompt(model.requests[0]!), 'You help with echo.');
    });

    it('the BM25 prefilter asks the model when it is not sure', async () => {
      model.reset([{ text: route('billing', 0.8) }, { text: 'Helper answered.' }]);
      const result = await call('quick', { request: 'what is it like out there' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.decidedBy, 'model');
      assert.equal(result.structuredContent.route, 'billing');
      assert.equal(model.requests.length, 2);
      assert.match(systemPrompt(model.requests[0]!), /You are a router/);

      // Both routes match a word: within the margin, so the model decides.
      model.reset([{ text: route('weather', 0.7) }, { text: 'Helper answered.' }]);
      const close = await call('quick', { request: 'rain refunds' });
      assert.equal(close.isError, undefined, firstText(close));
      assert.equal(close.structuredContent.decidedBy, 'model');
      const [best, second] = close.structuredContent.bm25;
      assert.ok(second.score > 0 && best.score < 2 * second.score, JSON.stringify(close.structuredContent.bm25));
      assert.equal(model.requests.length, 2);
    });

    it('rejects a missing request and unknown arguments before any model call', async () => {
      model.reset([]);
      const missing = await call('front', {});
      assert.equal(missing.isError, true);
      assert.match(firstText(missing), /Invalid arguments for router "front": expected \{"request"/);
      const extra = await call('front', { request: 'x', task: 'y' });
      assert.match(firstText(extra), /unknown argument\(s\) "task"/);
      assert.equal(model.requests.length, 0);
    });
  });
}

describe('a router whose route names a workflow of workflowDirs that does not exist', () => {
  it('is a tool error, reason route_unavailable, naming the route and the missing tool', async () => {
    await using model = await startScriptedModelServer([{ text: route('report', 0.9) }]);
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts') },
      store: { path: ':memory:' },
      workflowDirs: ['flows'],
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'm', maxRetries: 0 } },
      routers: { front: { model: 'local', routes: { report: { workflow: 'missing' } }, default: 'report' } }
    });
    mkdirSync(join(config.dir, 'flows'));
    await using gateway = await connectStdio(config.path);
    const result = (await gateway.client.callTool({ name: 'front', arguments: { request: 'the report' } })) as any;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.reason, 'route_unavailable');
    assert.match(
      firstText(result),
      /^Router "front" chose route "report" \(workflow "missing"\), which failed: unknown tool "missing"/
    );
  });
});

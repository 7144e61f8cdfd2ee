/**
 * A `routed` view: the client sees a `route` meta tool; its choice (by the router's model, or BM25) narrows
 * that session's tool list to the route's tools, with notifications/tools/list_changed to that session only.
 * Real gateways (stdio and HTTP), real SDK clients, the scripted model server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startScriptedModelServer, type ScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import {
  connectHttp,
  connectStdio,
  fixtureServer,
  startHttpGateway,
  type TempConfig,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';
import { protocols } from './wire.js';

const route = (name: string, confidence: number) =>
  JSON.stringify({ route: name, confidence, reasoning: `for ${name}` });
const names = (tools: Array<{ name: string }>) => tools.map(tool => tool.name).sort();

for (const protocol of protocols) {
  describe(`a routed view over the ${protocol} protocol`, () => {
    let model: ScriptedModelServer;
    let config: TempConfig;

    before(async () => {
      model = await startScriptedModelServer();
      const routers = {
        pick: {
          model: 'local',
          routes: {
            echoing: { server: 'echo', description: 'Repeats messages.' },
            texts: { server: 'fix', tools: ['text', 'needs'], description: 'Text utilities.' }
          },
          default: 'echoing'
        }
      };
      config = writeConfig({
        servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
        store: { path: ':memory:' },
        models: { local: { provider: protocol, baseURL: model.baseURL, model: 'router-model', maxRetries: 0 } },
        routers,
        views: {
          default: { discovery: 'routed', router: 'pick' },
          narrow: { discovery: 'routed', router: 'pick', exclude: ['fix__needs'] }
        }
      });
    });

    after(async () => {
      await model?.close();
      await config?.[Symbol.asyncDispose]();
    });

    it('lists route alone, then only the chosen route’s tools, with list_changed; calls outside the route are refused', async () => {
      await using gateway = await connectStdio(config.path);
      let changed = 0;
      gateway.client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
      assert.deepEqual(names((await gateway.client.listTools()).tools), ['route']);
      const early = (await gateway.client.callTool({ name: 'echo__echo', arguments: { message: 'x' } })) as any;
      assert.equal(early.isError, true);
      assert.match(firstText(early), /Call "route" first/);

      model.reset([{ text: route('texts', 0.9) }]);
      const chosen = (await gateway.client.callTool({
        name: 'route',
        arguments: { request: 'work on some text' }
      })) as any;
      assert.equal(chosen.isError, undefined, firstText(chosen));
      assert.equal(chosen.structuredContent.route, 'texts');
      assert.deepEqual(chosen.structuredContent.tools, ['fix__text', 'fix__needs']);
      await waitFor(() => changed > 0, 'tools/list_changed after route');
      assert.deepEqual(names((await gateway.client.listTools()).tools), ['fix__needs', 'fix__text', 'route']);
      const ok = (await gateway.client.callTool({ name: 'fix__text', arguments: { text: 'in route' } })) as any;
      assert.equal(firstText(ok), 'in route');
      const outside = (await gateway.client.callTool({ name: 'echo__echo', arguments: { message: 'x' } })) as any;
      assert.equal(outside.isError, true);
      assert.match(firstText(outside), /"echo__echo" is not a tool of the chosen route "texts"; call "route" again/);

      // Below minConfidence: the default route.
      model.reset([{ text: route('texts', 0.2) }]);
      const fallback = (await gateway.client.callTool({ name: 'route', arguments: { request: 'hmm' } })) as any;
      assert.equal(fallback.structuredContent.route, 'echoing');
      assert.equal(fallback.structuredContent.fallback, true);
      assert.deepEqual(names((await gateway.client.listTools()).tools), ['echo__echo', 'route']);
    });

    it('each session has its own choice; a view keeps only its own tools of the route', async () => {
      await using gateway = await startHttpGateway(config.path);
      await using first = await connectHttp(`${gateway.url}/narrow`);
      await using second = await connectHttp(`${gateway.url}/narrow`);
      let secondChanged = 0;
      second.setNotificationHandler('notifications/tools/list_changed', () => void secondChanged++);
      model.reset([{ text: route('texts', 0.9) }]);
      const chosen = (await first.callTool({ name: 'route', arguments: { request: 'text please' } })) as any;
      assert.deepEqual(chosen.structuredContent.tools, ['fix__text'], 'fix__needs is excluded from this view');
      assert.deepEqual(names((await first.listTools()).tools), ['fix__text', 'route']);
      assert.deepEqual(names((await second.listTools()).tools), ['route']);
      assert.equal(secondChanged, 0);
    });

    it('an invalid answer twice leaves the list as it was and says why', async () => {
      await using gateway = await connectStdio(config.path);
      model.reset([{ text: route('ghost', 0.9) }, { text: route('ghost', 0.9) }]);
      const result = (await gateway.client.callTool({ name: 'route', arguments: { request: 'boo' } })) as any;
      assert.equal(result.isError, true);
      assert.match(firstText(result), /Router "pick" could not choose a route: .*route "ghost" is not declared/);
      assert.deepEqual(names((await gateway.client.listTools()).tools), ['route']);
    });
  });
}

describe('a routed view for a 2026-07-28 client without a session', () => {
  it('lists route and every tool of the view; route answers with the chosen tools', async () => {
    await using model = await startScriptedModelServer([
      { text: JSON.stringify({ route: 'texts', confidence: 0.9, reasoning: 'text' }) }
    ]);
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
      store: { path: ':memory:' },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'm', maxRetries: 0 } },
      routers: {
        pick: {
          model: 'local',
          routes: { echoing: { server: 'echo' }, texts: { server: 'fix', tools: ['text'] } },
          default: 'echoing'
        }
      },
      views: { routed: { discovery: 'routed', router: 'pick', servers: ['echo', 'fix'] } }
    });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(`${gateway.url}/routed`, { era: 'modern' });
    const listed = names((await client.listTools()).tools);
    assert.ok(
      listed.includes('route') && listed.includes('echo__echo') && listed.includes('fix__text'),
      listed.join(', ')
    );
    const chosen = (await client.callTool({ name: 'route', arguments: { request: 'some text' } })) as any;
    assert.equal(chosen.isError, undefined, firstText(chosen));
    assert.deepEqual(chosen.structuredContent.tools, ['fix__text']);
    assert.match(firstText(chosen), /this request has no session, so the tool list does not narrow/);
  });
});

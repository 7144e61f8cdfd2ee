/**
 * A router on the client's own model (provider: sampling): the classification is a sampling/createMessage
 * request to the calling client (a real SDK client whose handler replays a script), in both protocol eras.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { connectStdio, type Era, fixtureServer, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';

const text = (value: string) => ({
  role: 'assistant',
  content: { type: 'text', text: value },
  model: 'client-model',
  stopReason: 'endTurn'
});

async function connectWithSampling(configPath: string, era: Era, script: unknown[]) {
  const connected = await connectStdio(configPath, { era, capabilities: { sampling: {} } });
  const asked: any[] = [];
  connected.client.setRequestHandler('sampling/createMessage', request => {
    asked.push(request.params);
    const answer = script[asked.length - 1];
    if (!answer) throw new Error(`the script has no answer ${asked.length}`);
    return answer as never;
  });
  return { ...connected, asked };
}

describe("routers on the client's own model (provider: sampling)", () => {
  let config: TempConfig;
  before(() => {
    config = writeConfig({
      servers: { fix: fixtureServer('workflow-tools.ts') },
      store: { path: ':memory:' },
      models: { mine: { provider: 'sampling' } },
      workflows: {
        say: {
          description: 'Returns a text unchanged.',
          input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          steps: [{ id: 'say', call: 'fix__text', with: { text: '{{ input.text }}' } }]
        }
      },
      routers: {
        front: {
          model: 'mine',
          routes: { saying: { workflow: 'say' }, fixing: { server: 'fix' } },
          default: 'fixing'
        }
      }
    });
  });
  after(async () => config[Symbol.asyncDispose]());

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client: the classification is asked of the client's model, and the route runs`, async () => {
      await using gateway = await connectWithSampling(config.path, era, [
        text(JSON.stringify({ route: 'saying', confidence: 0.9, reasoning: 'it asks to say something' }))
      ]);
      const result = (await gateway.client.callTool({
        name: 'front',
        arguments: { request: 'say hi', arguments: { text: 'hi from sampling' } }
      })) as any;
      assert.equal(result.isError, undefined, firstText(result));
      assert.match(JSON.stringify(result.content), /hi from sampling/);
      assert.equal(result.structuredContent.route, 'saying');
      assert.equal(result.structuredContent.decidedBy, 'model');
      assert.equal(gateway.asked.length, 1);
      assert.match(
        gateway.asked[0].systemPrompt,
        /You are a router[\s\S]*- saying \(workflow say\): Returns a text unchanged\./
      );
      assert.equal(gateway.asked[0].tools, undefined, 'a classification offers no tools');
    });

    it(`${era} client: an undeclared route twice is a tool error keeping the raw text`, async () => {
      await using gateway = await connectWithSampling(config.path, era, [
        text(JSON.stringify({ route: 'ghost', confidence: 0.9, reasoning: 'x' })),
        text('still {"route": "ghost", "confidence": 0.9, "reasoning": "x"}')
      ]);
      const result = (await gateway.client.callTool({ name: 'front', arguments: { request: 'boo' } })) as any;
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_output_invalid');
      assert.equal(result.structuredContent.raw, 'still {"route": "ghost", "confidence": 0.9, "reasoning": "x"}');
      assert.equal(gateway.asked.length, 2);
      assert.match(
        JSON.stringify(gateway.asked[1].messages),
        /route \\"ghost\\" is not declared; the routes are: saying, fixing/
      );
    });
  }
});

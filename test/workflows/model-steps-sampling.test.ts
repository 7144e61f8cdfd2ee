/**
 * Model steps on the calling client's own model (`provider: sampling`): a real SDK client whose sampling handler
 * replays a script, in both protocol eras; a workflow's agent step and aggregate ask the client's model through
 * the run's caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { connectStdio, fixtureServer, repoRoot, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';

const text = (value: string) => ({ role: 'assistant', content: { type: 'text', text: value }, model: 'client-model', stopReason: 'endTurn' });

describe("model steps on the client's own model (provider: sampling)", { timeout: 120_000 }, () => {
  let config: TempConfig;
  before(() => {
    config = writeConfig({
      servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
      models: { mine: { provider: 'sampling', model: 'hint', maxOutputTokens: 500 } },
      agents: { helper: { model: 'mine', servers: ['echo'], instruction: 'Help with echo.' } },
      workflows: {
        sampled: {
          steps: [
            {
              id: 'gather',
              parallel: { ask: { agent: 'helper', task: 'Echo hello.' }, plain: { call: 'fix__text', with: { text: 'plain' } } },
              aggregate: { model: 'mine', instruction: 'Combine.' }
            }
          ],
          output: { combined: '{{ steps.gather.result }}' }
        }
      }
    });
  });
  after(async () => config[Symbol.asyncDispose]());

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client: the agent step's tool loop and the aggregate are asked of the client's model`, async () => {
      await using gateway = await connectStdio(config.path, { era, capabilities: { sampling: { tools: {} } } });
      const asked: any[] = [];
      gateway.client.setRequestHandler('sampling/createMessage', request => {
        asked.push(request.params);
        const system = String(request.params.systemPrompt ?? '');
        if (system.startsWith('Combine.')) return text('combined: hello + plain') as never;
        if (asked.filter(params => String(params.systemPrompt).startsWith('Help')).length === 1) {
          return { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'echo__echo', input: { message: 'hello' } }], model: 'client-model', stopReason: 'toolUse' } as never;
        }
        return text('echoed hello') as never;
      });
      const result = (await gateway.client.callTool({ name: 'sampled', arguments: {} })) as any;
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.combined, 'combined: hello + plain');
      assert.equal(asked.length, 3);
      assert.deepEqual(asked[0].tools.map((tool: any) => tool.name), ['echo__echo']);
      const aggregate = asked.find(params => String(params.systemPrompt).startsWith('Combine.'));
      assert.match(aggregate.messages[0].content.text, /## ask\necho(ed)? hello[\s\S]*## plain\nplain/);
      assert.deepEqual(Object.keys(result.structuredContent.usage.byModel), ['mine']);
    });
  }
});

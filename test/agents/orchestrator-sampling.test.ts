/**
 * An orchestrator on the calling client's own model (provider: sampling), both protocol eras: the planner, the
 * workers (two at once) and the synthesis each ask the client through sampling/createMessage. The client's
 * handler answers by who asks (the system prompt), since the two workers ask in no fixed order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { connectStdio, fixtureServer, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';

const text = (value: string) => ({
  role: 'assistant',
  content: { type: 'text', text: value },
  model: 'client-model',
  stopReason: 'endTurn'
});

describe("orchestrators on the client's own model (provider: sampling)", () => {
  let config: TempConfig;
  before(() => {
    config = writeConfig({
      servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
      models: { mine: { provider: 'sampling' } },
      agents: {
        echoer: { model: 'mine', servers: ['echo'], instruction: 'WORKER echoer' },
        texter: { model: 'mine', servers: ['fix'], tools: ['text'], instruction: 'WORKER texter' }
      },
      orchestrators: {
        lead: { model: 'mine', workers: ['echoer', 'texter'], instruction: 'PLAN', synthesis: 'SYNTH' }
      }
    });
  });
  after(async () => config[Symbol.asyncDispose]());

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client: plan, two workers at once over their own tools, synthesis, all through sampling`, async () => {
      await using gateway = await connectStdio(config.path, { era, capabilities: { sampling: { tools: {} } } });
      const asked: any[] = [];
      gateway.client.setRequestHandler('sampling/createMessage', request => {
        const params = request.params as any;
        asked.push(params);
        const system = String(params.systemPrompt ?? '');
        if (system.startsWith('PLAN'))
          return text(
            JSON.stringify({
              steps: [
                {
                  tasks: [
                    { worker: 'echoer', task: 'say hi' },
                    { worker: 'texter', task: 'write bye' }
                  ]
                }
              ]
            })
          ) as never;
        if (system.startsWith('SYNTH')) return text('hi and bye') as never;
        const last = params.messages.at(-1);
        if (Array.isArray(last.content) && last.content[0]?.type === 'tool_result')
          return text(`done: ${last.content[0].content[0].text}`) as never;
        const tool = params.tools[0].name;
        return {
          role: 'assistant',
          content: [
            {
              type: 'tool_use',
              id: `tu_${tool}`,
              name: tool,
              input: tool === 'echo__echo' ? { message: 'hi' } : { text: 'bye' }
            }
          ],
          model: 'client-model',
          stopReason: 'toolUse'
        } as never;
      });
      const result = (await gateway.client.callTool({ name: 'lead', arguments: { task: 'greet' } })) as any;
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'hi and bye');
      // 1 plan + 2 × 2 worker calls + 1 synthesis.
      assert.equal(asked.length, 6);
      const toolsOf = (prefix: string) =>
        asked
          .filter(params => String(params.systemPrompt).startsWith(prefix))
          .map(params => (params.tools ?? []).map((tool: any) => tool.name));
      assert.deepEqual(toolsOf('WORKER echoer'), [['echo__echo'], ['echo__echo']]);
      assert.deepEqual(toolsOf('WORKER texter'), [['fix__text'], ['fix__text']]);
      assert.deepEqual(toolsOf('PLAN'), [[]]);
      assert.deepEqual(
        result.structuredContent.tasks.map((task: any) => [task.worker, task.outcome, task.text]),
        [
          ['echoer', 'ok', 'done: hi'],
          ['texter', 'ok', 'done: bye']
        ]
      );
    });
  }
});

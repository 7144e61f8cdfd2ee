/**
 * `provider: sampling`: the calling client's own model, through MCP sampling/createMessage. A real SDK client
 * whose sampling handler replays a script and records what it was asked; both protocol eras (a 2025 client gets
 * the request on its session; a 2026-07-28 client gets input_required rounds from the gateway), with and without
 * the client's `sampling.tools`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ClientCapabilities } from '@modelcontextprotocol/client';

import { connectStdio, type Era, fixtureServer, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';

type Answer = Record<string, unknown>;

async function connectWithSampling(configPath: string, era: Era, capabilities: ClientCapabilities, script: Answer[]) {
  const connected = await connectStdio(configPath, { era, capabilities });
  const asked: any[] = [];
  connected.client.setRequestHandler('sampling/createMessage', request => {
    asked.push(request.params);
    const answer = script[asked.length - 1];
    if (!answer) throw new Error(`the script has no answer ${asked.length}`);
    return answer as never;
  });
  return { ...connected, asked };
}

const text = (value: string): Answer => ({
  role: 'assistant',
  content: { type: 'text', text: value },
  model: 'client-model',
  stopReason: 'endTurn'
});

describe("agents on the client's own model (provider: sampling)", () => {
  let config: TempConfig;
  before(() => {
    config = writeConfig({
      servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
      models: { mine: { provider: 'sampling', model: 'claude-hint', maxOutputTokens: 1000 } },
      agents: { helper: { model: 'mine', servers: ['echo'], instruction: 'Help with echo.' } }
    });
  });
  after(async () => config[Symbol.asyncDispose]());

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client with sampling.tools: tools offered as MCP tools, tool_use answered with tool_result`, async () => {
      await using gateway = await connectWithSampling(config.path, era, { sampling: { tools: {} } }, [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'echo__echo', input: { message: 'via sampling' } }],
          model: 'client-model',
          stopReason: 'toolUse'
        },
        text('echo said: via sampling')
      ]);
      const result = (await gateway.client.callTool({ name: 'helper', arguments: { task: 'echo something' } })) as any;
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'echo said: via sampling');
      assert.equal(gateway.asked.length, 2);
      const [first, second] = gateway.asked;
      assert.deepEqual(
        first.tools.map((tool: any) => tool.name),
        ['echo__echo']
      );
      assert.equal(first.systemPrompt, 'Help with echo.');
      assert.equal(first.maxTokens, 1000);
      assert.deepEqual(first.modelPreferences, { hints: [{ name: 'claude-hint' }] });
      assert.deepEqual(first.messages, [{ role: 'user', content: { type: 'text', text: 'echo something' } }]);
      assert.deepEqual(second.messages.slice(1), [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'echo__echo', input: { message: 'via sampling' } }]
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', toolUseId: 'tu_1', content: [{ type: 'text', text: 'via sampling' }] }]
        }
      ]);
      assert.deepEqual(
        result.structuredContent.steps.map((step: any) => [step.tool, step.outcome]),
        [['echo__echo', 'ok']]
      );
      assert.deepEqual(
        result.structuredContent.usage.calls.map((call: any) => [call.inputTokens, call.outputTokens]),
        [
          [0, 0],
          [0, 0]
        ]
      );
    });
  }

  it('a client without sampling.tools is asked for JSON in text, and one bad answer is repaired', async () => {
    await using gateway = await connectWithSampling(config.path, 'legacy', { sampling: {} }, [
      text('```json\n{"tool_calls": [{"name": "echo__echo", "arguments": {"message": "json mode"}}]}\n```'),
      text('I believe it worked.'),
      text('{"answer": "done in json mode"}')
    ]);
    const result = (await gateway.client.callTool({ name: 'helper', arguments: { task: 'echo in json' } })) as any;
    assert.equal(result.isError, undefined, firstText(result));
    assert.equal(firstText(result), 'done in json mode');
    assert.equal(gateway.asked.length, 3);
    const [first, second, third] = gateway.asked;
    assert.equal(first.tools, undefined);
    assert.match(
      first.systemPrompt,
      /^Help with echo\.\n\nYou can use these tools:\n- echo__echo: Returns its message argument as text/
    );
    assert.match(first.systemPrompt, /\{"answer": "<your final answer>"\}/);
    assert.deepEqual(second.messages.at(-1), {
      role: 'user',
      content: { type: 'text', text: 'Tool results:\n- echo__echo: json mode' }
    });
    assert.deepEqual(third.messages.at(-2), {
      role: 'assistant',
      content: { type: 'text', text: 'I believe it worked.' }
    });
    assert.match(
      third.messages.at(-1).content.text,
      /^That answer is not the JSON asked for: it holds no JSON object\./
    );
    assert.deepEqual(
      result.structuredContent.usage.calls.map((call: any) => call.attempts),
      [1, 2]
    );
  });

  it('an answer that stays unreadable after the repair is a model error that keeps the raw text', async () => {
    await using gateway = await connectWithSampling(config.path, 'legacy', { sampling: {} }, [
      text('no json here'),
      text('{"tool_calls": "broken"}')
    ]);
    const result = (await gateway.client.callTool({ name: 'helper', arguments: { task: 'x' } })) as any;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.reason, 'model_error');
    assert.match(
      firstText(result),
      /did not answer with the JSON asked for \(expected \{"answer": string\} or \{"tool_calls"/
    );
    assert.equal(gateway.asked.length, 2);
  });

  it('a client that did not declare sampling gets a clear error naming the way out', async () => {
    await using gateway = await connectStdio(config.path, { era: 'legacy', capabilities: {} });
    const result = (await gateway.client.callTool({ name: 'helper', arguments: { task: 'x' } })) as any;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.reason, 'model_error');
    assert.match(
      firstText(result),
      /this client did not declare the sampling capability.*models\.mine\.provider: openai or anthropic/
    );
  });
});

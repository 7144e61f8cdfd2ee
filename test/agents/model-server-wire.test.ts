/**
 * The scripted model server speaks the real wire: the official `openai` and `@anthropic-ai/sdk` clients parse
 * its answers, streamed and not, with tool calls (arguments split across deltas) and usage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { startScriptedModelServer, type ScriptTurn } from '../fixtures/model-server/scripted-model-server.js';

const toolTurn: ScriptTurn = {
  text: 'Let me look.',
  toolCalls: [
    { name: 'everything__echo', arguments: { message: 'hello wire' } },
    { name: 'everything__get-sum', arguments: { a: 2, b: 3 } }
  ],
  usage: { input: 321, output: 45 }
};
const textTurn: ScriptTurn = { text: 'All done: 5.', usage: { input: 400, output: 7 } };

describe('the scripted model server, read by the official OpenAI client', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streamed' : 'non-streamed'}: text, tool calls and usage`, async () => {
      await using server = await startScriptedModelServer([toolTurn, textTurn]);
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
      const request = {
        model: 'scripted-gpt',
        messages: [{ role: 'user' as const, content: 'add 2 and 3' }],
        tools: [{ type: 'function' as const, function: { name: 'everything__echo', parameters: { type: 'object' } } }]
      };
      let text: string;
      let calls: Array<{ id: string; name: string; arguments: string }>;
      let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
      let finish: string | null | undefined;
      if (stream) {
        const runner = client.chat.completions.stream({
          ...request,
          stream: true,
          stream_options: { include_usage: true }
        });
        const completion = await runner.finalChatCompletion();
        const choice = completion.choices[0]!;
        text = choice.message.content ?? '';
        calls = (choice.message.tool_calls ?? []).map(call => ({
          id: call.id,
          name: (call as any).function.name,
          arguments: (call as any).function.arguments
        }));
        usage = completion.usage;
        finish = choice.finish_reason;
      } else {
        const completion = await client.chat.completions.create(request);
        const choice = completion.choices[0]!;
        text = choice.message.content ?? '';
        calls = (choice.message.tool_calls ?? []).map(call => ({
          id: call.id,
          name: (call as any).function.name,
          arguments: (call as any).function.arguments
        }));
        usage = completion.usage;
        finish = choice.finish_reason;
      }
      assert.equal(text, 'Let me look.');
      assert.equal(finish, 'tool_calls');
      assert.deepEqual(
        calls.map(call => [call.name, JSON.parse(call.arguments)]),
        [
          ['everything__echo', { message: 'hello wire' }],
          ['everything__get-sum', { a: 2, b: 3 }]
        ]
      );
      assert.ok(calls.every(call => call.id.length > 0));
      assert.equal(usage?.prompt_tokens, 321);
      assert.equal(usage?.completion_tokens, 45);
      // The second turn: text only.
      const second = await client.chat.completions.create({
        ...request,
        messages: [{ role: 'user', content: 'and?' }]
      });
      assert.equal(second.choices[0]!.message.content, 'All done: 5.');
      assert.equal(second.choices[0]!.finish_reason, 'stop');
      // What the client sent was recorded.
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0]!.protocol, 'openai');
      assert.equal(server.requests[0]!.stream, stream);
      assert.equal(server.requests[0]!.headers.authorization, 'Bearer test-key');
      assert.equal(server.requests[0]!.body.tools[0].function.name, 'everything__echo');
    });
  }

  it('an HTTP error reaches the client as its own error type with the status', async () => {
    await using server = await startScriptedModelServer([{ status: 429, message: 'slow down' }]);
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'k', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      (error: any) => {
        assert.equal(error.status, 429);
        assert.match(error.message, /slow down/);
        return true;
      }
    );
  });
});

describe('the scripted model server, read by the official Anthropic client', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streamed' : 'non-streamed'}: text, tool_use blocks and usage`, async () => {
      await using server = await startScriptedModelServer([toolTurn]);
      const client = new Anthropic({ baseURL: server.url, apiKey: 'test-key', maxRetries: 0 });
      const request = {
        model: 'scripted-claude',
        max_tokens: 1024,
        messages: [{ role: 'user' as const, content: 'add 2 and 3' }],
        tools: [{ name: 'everything__echo', input_schema: { type: 'object' as const } }]
      };
      const message = stream
        ? await client.messages.stream(request).finalMessage()
        : await client.messages.create(request);
      assert.equal(message.stop_reason, 'tool_use');
      const text = message.content.flatMap(block => (block.type === 'text' ? [block.text] : [])).join('');
      assert.equal(text, 'Let me look.');
      const uses = message.content.flatMap(block => (block.type === 'tool_use' ? [[block.name, block.input]] : []));
      assert.deepEqual(uses, [
        ['everything__echo', { message: 'hello wire' }],
        ['everything__get-sum', { a: 2, b: 3 }]
      ]);
      assert.equal(message.usage.input_tokens, 321);
      assert.equal(message.usage.output_tokens, 45);
      assert.equal(server.requests[0]!.protocol, 'anthropic');
      assert.equal(server.requests[0]!.path, '/v1/messages');
      assert.equal(server.requests[0]!.stream, stream);
      assert.equal(server.requests[0]!.headers['x-api-key'], 'test-key');
    });
  }

  it('an HTTP error reaches the client as its own error type with the status', async () => {
    await using server = await startScriptedModelServer([{ status: 529, message: 'overloaded' }]);
    const client = new Anthropic({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
    await assert.rejects(
      client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (error: any) => {
        assert.equal(error.status, 529);
        assert.match(error.message, /overloaded/);
        return true;
      }
    );
  });
});

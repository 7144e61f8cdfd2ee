/**
 * Agents end to end, over both model protocols: a real gateway (stdio subprocess) with real fixture MCP
 * servers, a real SDK client calling the agent's tool, and the scripted model server answering the model
 * calls. Assertions come from the recorded model requests (tools offered, messages, results fed back) and
 * from the agent's result (steps, usage).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { startScriptedModelServer, type ScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import {
  connectStdio,
  type ConnectedClient,
  fixtureServer,
  type TempConfig,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';
import { firstUserText, offeredTools, protocols, replayedToolCalls, systemPrompt, toolResults } from './wire.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

for (const protocol of protocols) {
  describe(`agents over the ${protocol} protocol`, () => {
    let model: ScriptedModelServer;
    let config: TempConfig;
    let gateway: ConnectedClient;
    let downURL: string;

    before(async () => {
      model = await startScriptedModelServer();
      downURL = `http://127.0.0.1:${await closedPort()}/v1`;
      process.env.AGENT_TEST_KEY = `secret-${protocol}`;
      const endpoint = {
        provider: protocol,
        baseURL: model.baseURL,
        model: `scripted-${protocol}`,
        apiKey: '${AGENT_TEST_KEY}'
      };
      config = writeConfig({
        servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
        models: {
          local: endpoint,
          fragile: { ...endpoint, maxRetries: 1 },
          down: { ...endpoint, baseURL: downURL, maxRetries: 1 },
          slow: { ...endpoint, timeout: '300ms', maxRetries: 0 }
        },
        agents: {
          probe: {
            model: 'local',
            servers: ['echo'],
            instruction: 'You probe the echo server.',
            description: 'Probes echo.'
          },
          narrow: { model: 'local', servers: ['fix'], tools: ['text', 'fix__needs'] },
          looper: { model: 'local', servers: ['echo'], maxTurns: 3 },
          fragile: { model: 'fragile', servers: ['echo'] },
          unreachable: { model: 'down', servers: ['echo'] },
          hasty: { model: 'slow', servers: ['echo'] },
          idle: { model: 'local', servers: ['echo'], tools: ['nothing_matches*'] },
          sleeper: { model: 'local', servers: ['fix'], tools: ['sleep'] }
        }
      });
      gateway = await connectStdio(config.path);
    });

    after(async () => {
      await gateway?.[Symbol.asyncDispose]();
      await model?.close();
      await config?.[Symbol.asyncDispose]();
    });

    const call = (name: string, task: string) => gateway.client.callTool({ name, arguments: { task } }) as Promise<any>;

    it('each agent is a catalog tool named by its key, with input {task}', async () => {
      const { tools } = await gateway.client.listTools();
      const probe = tools.find(tool => tool.name === 'probe');
      assert.ok(probe, `probe not listed: ${tools.map(tool => tool.name).join(', ')}`);
      assert.equal(probe.description, 'Probes echo.');
      assert.deepEqual(probe.inputSchema.required, ['task']);
      for (const name of ['narrow', 'looper', 'fragile', 'unreachable'])
        assert.ok(
          tools.some(tool => tool.name === name),
          name
        );
      // Annotations follow the tools it may call: echo's are unannotated (may be destructive), fix's text and needs are read-only.
      assert.deepEqual(probe.annotations, {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true
      });
      assert.deepEqual(tools.find(tool => tool.name === 'narrow')?.annotations, {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true
      });
    });

    it('runs the tool loop over only its servers, through the gateway, and returns the answer, steps and usage', async () => {
      model.reset([
        {
          text: 'Calling echo.',
          toolCalls: [{ id: 'call_a', name: 'echo__echo', arguments: { message: 'ping' } }],
          usage: { input: 120, output: 12 }
        },
        { text: 'The echo server answered: ping', usage: { input: 150, output: 9 } }
      ]);
      const result = await call('probe', 'Check that echo echoes.');
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'The echo server answered: ping');

      // What the model was sent: only echo's tool (not fix's), the instruction, the task, the key.
      assert.equal(model.requests.length, 2);
      const [first, second] = model.requests as [any, any];
      assert.equal(first.protocol, protocol);
      assert.deepEqual(offeredTools(first), ['echo__echo']);
      assert.deepEqual(offeredTools(second), ['echo__echo']);
      assert.equal(systemPrompt(first), 'You probe the echo server.');
      assert.equal(firstUserText(first), 'Check that echo echoes.');
      if (protocol === 'openai') assert.equal(first.headers.authorization, 'Bearer secret-openai');
      else assert.equal(first.headers['x-api-key'], 'secret-anthropic');
      // The second call replays the tool call and feeds back the real result of echo (through the gateway).
      assert.deepEqual(replayedToolCalls(second), [['call_a', 'echo__echo', { message: 'ping' }]]);
      assert.deepEqual(toolResults(second), [{ id: 'call_a', text: 'ping', isError: false }]);

      const structured = result.structuredContent;
      assert.equal(structured.agent, 'probe');
      assert.equal(structured.model, 'local');
      assert.equal(structured.turns, 2);
      assert.equal(structured.steps.length, 1);
      assert.deepEqual(
        {
          turn: structured.steps[0].turn,
          tool: structured.steps[0].tool,
          arguments: structured.steps[0].arguments,
          outcome: structured.steps[0].outcome
        },
        { turn: 1, tool: 'echo__echo', arguments: { message: 'ping' }, outcome: 'ok' }
      );
      assert.equal(typeof structured.steps[0].durationMs, 'number');
      assert.deepEqual(
        structured.usage.calls.map((entry: any) => [entry.turn, entry.inputTokens, entry.outputTokens]),
        [
          [1, 120, 12],
          [2, 150, 9]
        ]
      );
      assert.equal(structured.usage.inputTokens, 270);
      assert.equal(structured.usage.outputTokens, 21);
      assert.equal(structured.usage.totalTokens, 291);
    });

    it('offers only the tools its globs select (public or server-own names)', async () => {
      model.reset([{ text: 'nothing to do' }]);
      const result = await call('narrow', 'look around');
      assert.equal(result.isError, undefined, firstText(result));
      assert.deepEqual(offeredTools(model.requests[0]!), ['fix__needs', 'fix__text']);
    });

    it('answers an invented tool, a tool outside its servers and broken arguments as tool errors, and goes on', async () => {
      model.reset([
        {
          toolCalls: [
            { id: 'c1', name: 'made_up_tool', arguments: { x: 1 } },
            { id: 'c2', name: 'fix__fail', arguments: { message: 'must not run' } },
            { id: 'c3', name: 'echo__echo', arguments: '{"message": ' },
            { id: 'c4', name: 'echo__echo', arguments: { wrong: true } }
          ]
        },
        { text: 'I recovered.' }
      ]);
      const result = await call('probe', 'try things');
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'I recovered.');
      const outcomes = Object.fromEntries(
        result.structuredContent.steps.map((step: any) => [
          `${step.tool}:${JSON.stringify(step.arguments)}`,
          step.outcome
        ])
      );
      assert.deepEqual(outcomes, {
        'made_up_tool:"{\\"x\\":1}"': 'not_offered',
        'fix__fail:"{\\"message\\":\\"must not run\\"}"': 'not_offered',
        // Anthropic's tool_use input is an object on the wire: broken JSON cannot arrive (the fixture sends {}),
        // and the server's validation answers it.
        ...(protocol === 'openai'
          ? { 'echo__echo:"{\\"message\\": "': 'invalid_arguments' }
          : { 'echo__echo:{}': 'error' }),
        'echo__echo:{"wrong":true}': 'error'
      });
      const fed = Object.fromEntries(toolResults(model.requests[1]!).map(entry => [entry.id, entry]));
      assert.match(fed.c1!.text, /There is no tool "made_up_tool" among your tools; call one of: echo__echo/);
      assert.match(fed.c2!.text, /There is no tool "fix__fail"/);
      assert.match(fed.c3!.text, protocol === 'openai' ? /not a JSON object/ : /message/i);
      // The server's own validation error, passed through the gateway.
      assert.match(fed.c4!.text, /message/i);
      if (protocol === 'anthropic')
        assert.deepEqual(
          [fed.c1!.isError, fed.c2!.isError, fed.c3!.isError, fed.c4!.isError],
          [true, true, true, true]
        );
    });

    it('stops at maxTurns with a tool error (reason max_turns), never a success', async () => {
      model.reset(index => ({
        toolCalls: [{ name: 'echo__echo', arguments: { message: `round ${index + 1}` } }],
        usage: { input: 10, output: 1 }
      }));
      const result = await call('looper', 'loop forever');
      assert.equal(result.isError, true);
      assert.match(firstText(result), /did not finish within 3 model turns \(agents\.looper\.maxTurns\)/);
      assert.equal(result.structuredContent.reason, 'max_turns');
      assert.equal(model.requests.length, 3);
      assert.equal(result.structuredContent.steps.length, 3);
      assert.equal(result.structuredContent.usage.totalTokens, 33);
    });

    it('retries a 500 and a 429 with backoff, then succeeds', async () => {
      model.reset([
        { status: 500, message: 'boom' },
        { status: 429, message: 'slow down', headers: { 'retry-after-ms': '20' } },
        { text: 'third time lucky' }
      ]);
      const result = await call('probe', 'hello');
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'third time lucky');
      assert.equal(model.requests.length, 3);
      const [a, b, c] = model.requests.map(request => request.at) as [number, number, number];
      assert.ok(b - a >= 350, `the first retry waited ${b - a} ms, expected the backoff (≥ 400 ms)`);
      assert.ok(c - b >= 20, `the second retry waited ${c - b} ms, expected retry-after-ms 20`);
      assert.equal(result.structuredContent.usage.calls[0].attempts, 3);
    });

    it('gives up after maxRetries with a clear error naming the model and URL', async () => {
      model.reset([
        { status: 500, message: 'still broken' },
        { status: 500, message: 'still broken' }
      ]);
      const result = await call('fragile', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_error');
      const text = firstText(result);
      assert.match(
        text,
        /model "fragile" \((openai|anthropic) "scripted-\w+" at http:\/\/127\.0\.0\.1:\d+\/v1\/(chat\/completions|messages)\) failed after 2 attempts: HTTP 500/
      );
      assert.match(text, /still broken/);
      assert.equal(model.requests.length, 2);
    });

    it("does not retry a body that is not the API's answer, and says so", async () => {
      model.reset([{ garbage: '<html>not json</html>' }, { text: 'never asked' }]);
      const result = await call('probe', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_error');
      assert.match(
        firstText(result),
        /HTTP 200 with a body that is not what the (openai|anthropic) API returns: .*<html>not json<\/html>/
      );
      assert.match(firstText(result), /model "local" \(.* at http:\/\/127\.0\.0\.1:\d+\/v1\/.*\) failed/);
      assert.equal(model.requests.length, 1);
    });

    it('an endpoint that is down: retried, then an error naming the model, the URL and ECONNREFUSED', async () => {
      const result = await call('unreachable', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_error');
      const text = firstText(result);
      assert.ok(text.includes(`model "down"`) && text.includes(downURL), text);
      assert.match(text, /ECONNREFUSED/);
      assert.match(text, /after 2 attempts/);
    });

    it('a model call past its timeout is abandoned, with an error naming the setting', async () => {
      model.reset([{ text: 'too late', delayMs: 5000 }]);
      const result = await call('hasty', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_error');
      assert.match(firstText(result), /model "slow" .* failed: no answer within 300 ms \(models\.slow\.timeout\)/);
      await waitFor(() => model.requests[0]?.aborted === true, 'the model request to be abandoned');
    });

    it('sends progress per turn, and a cancelled call cancels the model request in flight', async () => {
      model.reset([
        { toolCalls: [{ name: 'echo__echo', arguments: { message: 'one' } }] },
        { text: 'never sent', delayMs: 10_000 }
      ]);
      const controller = new AbortController();
      const progress: Array<{ progress: number; message?: string }> = [];
      const pending = gateway.client.callTool(
        { name: 'probe', arguments: { task: 'cancel me' } },
        { signal: controller.signal, onprogress: update => void progress.push(update) }
      );
      await waitFor(() => model.requests.length === 2, 'the second model call');
      controller.abort('the test cancels');
      await assert.rejects(pending);
      await waitFor(() => model.requests[1]?.aborted === true, 'the model request to be cancelled');
      assert.deepEqual(
        progress.map(update => [update.progress, update.message]),
        [
          [0, 'agent probe: turn 1'],
          [1, 'agent probe: turn 2']
        ]
      );
    });

    it('an agent whose servers list no tool it may use fails at once (reason no_tools), without a model call', async () => {
      model.reset([{ text: 'never asked' }]);
      const result = await call('idle', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'no_tools');
      assert.match(
        firstText(result),
        /Agent "idle" has no tools to work with: its servers \(echo\) list none that match its tools globs \(nothing_matches\*\)/
      );
      assert.equal(model.requests.length, 0);
    });

    it('runs the tool calls of one turn concurrently, at most 8 at a time, results fed back in order', async () => {
      const calls = Array.from({ length: 12 }, (_, index) => ({
        id: `p${index}`,
        name: 'fix__sleep',
        arguments: { ms: 300, label: `${protocol}-${index}` }
      }));
      model.reset([{ toolCalls: calls }, { text: 'slept' }]);
      const result = await call('sleeper', 'sleep a lot');
      assert.equal(result.isError, undefined, firstText(result));
      assert.deepEqual(
        toolResults(model.requests[1]!).map(entry => entry.id),
        calls.map(entry => entry.id)
      );
      const journal = JSON.parse(firstText(await gateway.client.callTool({ name: 'fix__journal', arguments: {} })));
      const intervals = (journal.intervals as Array<{ label: string; start: number; end: number }>).filter(entry =>
        entry.label.startsWith(`${protocol}-`)
      );
      assert.equal(intervals.length, 12);
      const overlap = Math.max(
        ...intervals.map(
          entry => intervals.filter(other => other.start <= entry.start && other.end > entry.start).length
        )
      );
      assert.ok(overlap >= 2, `the calls ran one after another (most at once: ${overlap})`);
      assert.ok(overlap <= 8, `more than 8 calls ran at once (${overlap})`);
    });

    it('rejects a call without a task', async () => {
      const result = (await gateway.client.callTool({ name: 'probe', arguments: {} })) as any;
      assert.equal(result.isError, true);
      assert.match(firstText(result), /expected \{"task": /);
    });
  });
}

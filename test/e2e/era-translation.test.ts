/**
 * Sampling, elicitation and roots through the gateway in all four era combinations (client era → server era),
 * with real SDK clients and the conformance fixture as the server (its tools ask by returning input_required;
 * on a 2025 connection the SDK pushes real requests instead).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { connectHttp, repoRoot, startHttpGateway, tsEntry, writeConfig } from '../helpers/gateway.js';

const fixturePath = 'test/conformance/fixture-server.ts';

function fixtureConfig(era: 'legacy' | 'modern', gateway: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    // A 2025 server pushes its requests with no call id: only a perClient server gets the client's roots, and
    // relays its requests whatever other clients do (docs/decisions/2026-12-07-per-client-upstream-state.md).
    servers: {
      fixture: { command: process.execPath, args: [...tsEntry(fixturePath), '--stdio', '--era', era], cwd: repoRoot, prefix: false, perClient: era === 'legacy' }
    },
    gateway
  };
}

const allCapabilities = { sampling: {}, elicitation: {}, roots: {} };

/** Answers every kind of request a server can ask for, and records what was asked. */
function answerEverything(client: Client): { asked: { method: string; params: Record<string, unknown> }[] } {
  const asked: { method: string; params: Record<string, unknown> }[] = [];
  client.setRequestHandler('elicitation/create', request => {
    asked.push({ method: 'elicitation/create', params: request.params });
    return { action: 'accept', content: { name: 'Ada', color: 'green', username: 'ada', email: 'ada@example.com', ok: true } };
  });
  client.setRequestHandler('sampling/createMessage', request => {
    asked.push({ method: 'sampling/createMessage', params: request.params });
    return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' };
  });
  client.setRequestHandler('roots/list', () => {
    asked.push({ method: 'roots/list', params: {} });
    return { roots: [{ uri: 'file:///work', name: 'work' }] };
  });
  return { asked };
}

function textOf(result: { content?: unknown }): string {
  const content = result.content as { type: string; text?: string }[] | undefined;
  return (content ?? []).map(block => block.text ?? '').join('\n');
}

/** A raw tools/call that returns input_required results to the caller instead of fulfilling them. */
async function rawCall(client: Client, name: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return (await client.request({ method: 'tools/call', params: { name, arguments: {}, ...extra } }, ResultSchema, { allowInputRequired: true }));
}

describe('era translation: sampling, elicitation and roots in every client → server era combination', () => {
  it('modern client → modern server: input_required passes through, the server requestState unchanged', async () => {
    await using config = writeConfig(fixtureConfig('modern'));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern', capabilities: allCapabilities });

    const first = await rawCall(client, 'test_input_required_result_request_state');
    assert.equal(first.resultType, 'input_required');
    assert.deepEqual(Object.keys(first.inputRequests as object), ['confirm'], 'the server’s own key');
    assert.equal(typeof first.requestState, 'string');
    assert.ok(!(first.requestState as string).startsWith('manifold.'), 'the gateway does not wrap a modern server’s state');

    const done = await rawCall(client, 'test_input_required_result_request_state', {
      inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
      requestState: first.requestState
    });
    assert.match(textOf(done), /state-ok/);

    const { asked } = answerEverything(client);
    const multi = await client.callTool({ name: 'test_input_required_result_multiple_inputs', arguments: {} });
    assert.match(textOf(multi), /name=Ada; greeting=Paris; roots=1/);
    assert.deepEqual(asked.map(ask => ask.method).sort(), ['elicitation/create', 'roots/list', 'sampling/createMessage']);
  });

  it('legacy client → modern server: the gateway’s session pushes the requests and resumes with the server state', async () => {
    await using config = writeConfig(fixtureConfig('modern'));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'legacy', capabilities: allCapabilities });
    const { asked } = answerEverything(client);

    const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
    assert.match(textOf(elicited), /User response: action=accept/);
    assert.equal(asked[0]?.params.message, 'Who are you?');

    const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } });
    assert.equal(textOf(sampled), 'LLM response: Paris');

    // Two rounds, each with a new server state that must come back to the server unchanged.
    const rounds = await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} });
    assert.match(textOf(rounds), /multi-round complete: \{"name":"Ada"/);
    const stated = await client.callTool({ name: 'test_input_required_result_request_state', arguments: {} });
    assert.match(textOf(stated), /state-ok/);
  });

  it('legacy client → legacy server: a pushed request reaches the client whose call is in flight', async () => {
    await using config = writeConfig(fixtureConfig('legacy'));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'legacy', capabilities: allCapabilities });
    const { asked } = answerEverything(client);

    const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Your details?' } });
    assert.match(textOf(elicited), /User response: action=accept, content=\{"name":"Ada"/);
    const roots = await client.callTool({ name: 'test_input_required_result_list_roots', arguments: {} });
    assert.equal(textOf(roots), 'Roots: file:///work');
    assert.deepEqual(
      asked.map(ask => ask.method),
      ['elicitation/create', 'roots/list']
    );
  });

  it('modern client → legacy server: the call is parked, input_required with a sealed gateway state, resumed on retry', async () => {
    await using config = writeConfig(fixtureConfig('legacy'));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern', capabilities: allCapabilities });

    const first = await rawCall(client, 'test_input_required_result_multi_round');
    assert.equal(first.resultType, 'input_required');
    const [key, request] = Object.entries(first.inputRequests as Record<string, { method: string; params: { message: string } }>)[0] ?? [];
    assert.equal(request?.method, 'elicitation/create');
    assert.equal(request?.params.message, 'Step 1: What is your name?');
    const state = first.requestState as string;
    assert.ok(state.startsWith('manifold.v1.'), 'a gateway-minted, sealed state');

    // A tampered state is refused, and so is the right state on the wrong tool.
    await assert.rejects(rawCall(client, 'test_input_required_result_multi_round', { inputResponses: {}, requestState: `${state}x` }), /requestState/);
    await assert.rejects(rawCall(client, 'test_input_required_result_elicitation', { inputResponses: {}, requestState: state }), /requestState/);

    // Missing answers: asked again, with a new state.
    const again = await rawCall(client, 'test_input_required_result_multi_round', { inputResponses: { other: { action: 'accept' } }, requestState: state });
    assert.equal(again.resultType, 'input_required');
    assert.deepEqual(Object.keys(again.inputRequests as object), [key]);
    assert.notEqual(again.requestState, state);
    // The spent state does not work twice.
    await assert.rejects(
      rawCall(client, 'test_input_required_result_multi_round', { inputResponses: { [key as string]: { action: 'accept', content: { name: 'Ada' } } }, requestState: state }),
      /requestState/
    );

    const second = await rawCall(client, 'test_input_required_result_multi_round', {
      inputResponses: { [key as string]: { action: 'accept', content: { name: 'Ada' } } },
      requestState: again.requestState
    });
    assert.equal(second.resultType, 'input_required');
    const [key2, request2] = Object.entries(second.inputRequests as Record<string, { params: { message: string } }>)[0] ?? [];
    assert.equal(request2?.params.message, 'Step 2: What is your favorite color?');
    const done = await rawCall(client, 'test_input_required_result_multi_round', {
      inputResponses: { [key2 as string]: { action: 'accept', content: { color: 'green' } } },
      requestState: second.requestState
    });
    assert.notEqual(done.resultType, 'input_required');
    assert.equal(textOf(done), 'multi-round complete: {"color":"green"}');

    // Several requests pushed at once go out in one round; the SDK client fulfils them itself.
    const { asked } = answerEverything(client);
    const multi = await client.callTool({ name: 'test_input_required_result_multiple_inputs', arguments: {} });
    assert.match(textOf(multi), /name=Ada; greeting=Paris; roots=1/);
    assert.equal(asked.length, 3);
  });

  it('modern client → legacy server: a capability the client lacks is -32021; a call nobody comes back for is cancelled', async () => {
    await using config = writeConfig(fixtureConfig('legacy', { inputRequiredTtl: '400ms' }));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern', capabilities: { elicitation: {} } });

    await assert.rejects(rawCall(client, 'test_sampling', { arguments: { prompt: 'hi' } }), (error: { code?: number; data?: unknown }) => {
      assert.equal(error.code, -32021);
      assert.deepEqual((error.data as { requiredCapabilities?: unknown }).requiredCapabilities, { sampling: {} });
      return true;
    });

    const first = await rawCall(client, 'test_input_required_result_elicitation');
    assert.equal(first.resultType, 'input_required');
    await new Promise(resolve => setTimeout(resolve, 1000));
    await assert.rejects(
      rawCall(client, 'test_input_required_result_elicitation', {
        inputResponses: { [Object.keys(first.inputRequests as object)[0] as string]: { action: 'accept', content: { name: 'Late' } } },
        requestState: first.requestState
      }),
      /requestState/
    );
    assert.match(gateway.stderr(), /abandoned .*test_input_required_result_elicitation/);
  });

  it('modern client without roots → legacy server asking for roots: the server is told no, the call is not failed with -32021', async () => {
    await using config = writeConfig(fixtureConfig('legacy'));
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern', capabilities: { elicitation: {} } });
    // A 2025 server asks for roots on its own schedule; whichever call is in flight must not fail for it.
    // (The fixture's tool needs the roots, so it reports the refusal as its own tool error.)
    const result = await rawCall(client, 'test_input_required_result_list_roots');
    assert.notEqual(result.resultType, 'input_required', 'roots are not asked of a client that has none');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /did not declare the "roots" capability/);
  });
});

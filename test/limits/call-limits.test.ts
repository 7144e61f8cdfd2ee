/**
 * `limits.calls` through GatewayCore.pipeline, in front of the real workflow-tools fixture (stdio): exact counts
 * per window under concurrency, calls in progress, separate buckets per principal (and per tool, or one for
 * all), a refused call counted by no other window, workflow steps, an agent's tool calls, and the JSON-RPC
 * error of non-tool methods.
 * Windows are an hour long, so nothing here depends on how fast the machine is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type ManifoldError } from '../../src/core/errors.js';
import { toolResults } from '../agents/wire.js';
import { type ScriptedModelServer, startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';
import { type LimitsGateway, limitOf, principal, startLimitsGateway, textOf } from './limits-gateway.js';

const fix = fixtureServer('workflow-tools.ts', [], { cwd: repoRoot });

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('limits.calls: requests per window and calls in progress', () => {
  let gateway: LimitsGateway;
  before(async () => {
    gateway = await startLimitsGateway({
      servers: { fix },
      workflows: {
        three: {
          description: 'Calls fix__needs three times, one after another',
          steps: [
            { id: 'a', call: 'fix__needs', with: { a: 'one', b: 1 } },
            { id: 'b', call: 'fix__needs', with: { a: 'two', b: 2 } },
            { id: 'c', call: 'fix__needs', with: { a: 'three', b: 3 } }
          ]
        }
      },
      limits: {
        calls: [
          { name: 'burst', principal: 'burst-*', tool: 'fix__text', requests: 20, per: '1h' },
          { name: 'parallel', tool: 'fix__hang', inFlight: 2 },
          { name: 'steps', principal: 'flow', tool: 'fix__needs', requests: 2, per: '1h' },
          { name: 'everyone', principal: 'shared-*', tool: 'fix__text', requests: 3, per: '1h', by: [] },
          { name: 'per-tool', principal: 'tooler', requests: 1, per: '1h', by: ['principal', 'tool'] },
          { name: 'overall', principal: 'layered', requests: 5, per: '1h' },
          { name: 'text-only', principal: 'layered', tool: 'fix__text', requests: 1, per: '1h' },
          { principal: 'prompter', requests: 1, per: '1h' }
        ]
      }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('50 concurrent calls against 20 per window: exactly 20 run, 30 get a tool error with the limit and when to retry', async () => {
    const alice = principal('burst-alice');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        gateway.call('fix__text', { text: `call ${index}` }, { principal: alice })
      )
    );
    const ran = results.filter(result => result.isError !== true);
    const limited = results.filter(result => result.isError === true);
    assert.equal(ran.length, 20);
    assert.equal(limited.length, 30);
    for (const result of limited) {
      assert.match(
        textOf(result),
        /^rate limit "burst" reached for burst-alice on fix__text: 20 requests per 1 h; retry after \d+ s$/
      );
      const limit = limitOf(result);
      assert.equal(limit?.code, 'RATE_LIMITED');
      assert.equal(limit?.kind, 'rate');
      assert.equal(limit?.name, 'burst');
      assert.equal(limit?.principal, 'burst-alice');
      assert.equal(limit?.server, 'fix');
      assert.equal(limit?.requests, 20);
      assert.equal(limit?.perMs, 3_600_000);
      assert.ok(
        typeof limit?.retryAfterMs === 'number' && limit.retryAfterMs > 3_000_000 && limit.retryAfterMs <= 3_600_000,
        `retryAfterMs ${String(limit?.retryAfterMs)}`
      );
    }
    // Another principal has a bucket of its own; a caller the limit does not match is not counted at all.
    const bob = await Promise.all(
      Array.from({ length: 25 }, () => gateway.call('fix__text', { text: 'b' }, { principal: principal('burst-bob') }))
    );
    assert.equal(bob.filter(result => result.isError !== true).length, 20);
    const local = await Promise.all(Array.from({ length: 25 }, () => gateway.call('fix__text', { text: 'l' })));
    assert.equal(local.filter(result => result.isError === true).length, 0);
  });

  it('by: [] is one bucket for every caller the limit matches', async () => {
    const results = [];
    for (const who of ['shared-a', 'shared-b', 'shared-a', 'shared-b'])
      results.push(await gateway.call('fix__text', { text: who }, { principal: principal(who) }));
    assert.deepEqual(
      results.map(result => result.isError === true),
      [false, false, false, true]
    );
    assert.match(textOf(results[3]!), /rate limit "everyone" reached for shared-b on fix__text: 3 requests per 1 h/);
  });

  it('by: [principal, tool] gives each tool its own bucket', async () => {
    const tooler = { principal: principal('tooler') };
    const first = await gateway.call('fix__text', { text: 'x' }, tooler);
    const second = await gateway.call('fix__text', { text: 'x' }, tooler);
    const other = await gateway.call('fix__needs', { a: 'x', b: 1 }, tooler);
    assert.deepEqual([first.isError === true, second.isError === true, other.isError === true], [false, true, false]);
    assert.match(textOf(second), /rate limit "per-tool" reached for tooler on fix__text: 1 requests per 1 h/);
  });

  it('a call one limit refuses is not counted by another limit it matched', async () => {
    const layered = { principal: principal('layered') };
    const texts = [];
    for (let index = 0; index < 3; index++) texts.push(await gateway.call('fix__text', { text: 'x' }, layered));
    assert.deepEqual(
      texts.map(result => result.isError === true),
      [false, true, true]
    );
    assert.match(textOf(texts[1]!), /rate limit "text-only"/);
    // "overall" (5 per window) counted only the one call that ran: 4 more may run.
    const needs = [];
    for (let index = 0; index < 5; index++) needs.push(await gateway.call('fix__needs', { a: 'x', b: index }, layered));
    assert.deepEqual(
      needs.map(result => result.isError === true),
      [false, false, false, false, true]
    );
    assert.match(textOf(needs[4]!), /rate limit "overall" reached for layered on fix__needs: 5 requests per 1 h/);
  });

  it('inFlight counts calls in progress, and a call that ends (cancelled or failed) frees its place', async () => {
    const journal = async () => JSON.parse(textOf(await gateway.call('fix__journal'))) as { started: string[] };
    const first = new AbortController();
    const second = new AbortController();
    const h1 = gateway.call('fix__hang', { label: 'h1' }, { signal: first.signal });
    const h2 = gateway.call('fix__hang', { label: 'h2' }, { signal: second.signal });
    const refused = await gateway.call('fix__hang', { label: 'h-refused' });
    assert.equal(refused.isError, true);
    assert.equal(
      textOf(refused),
      'concurrency limit "parallel" reached for local on fix__hang: at most 2 calls in progress at once; retry when one of them has finished'
    );
    assert.equal(limitOf(refused)?.kind, 'inFlight');
    assert.equal(limitOf(refused)?.inFlight, 2);
    // Another principal has its own two places.
    const other = new AbortController();
    const h4 = gateway.call('fix__hang', { label: 'h4' }, { signal: other.signal, principal: principal('someone') });
    await waitFor(
      'h1, h2 and h4 to start',
      async () => (await journal()).started.filter(label => ['h1', 'h2', 'h4'].includes(label)).length === 3
    );
    assert.ok(!(await journal()).started.includes('h-refused'));

    first.abort(new Error('the test cancels h1'));
    await h1.then(
      () => {},
      () => {}
    );
    const third = new AbortController();
    const h3 = gateway.call('fix__hang', { label: 'h3' }, { signal: third.signal });
    await waitFor('h3 to start', async () => (await journal()).started.includes('h3'));

    second.abort(new Error('done'));
    third.abort(new Error('done'));
    other.abort(new Error('done'));
    await Promise.allSettled([h2, h3, h4]);
    // Calls that fail (bad arguments) release their places too: two more start afterwards.
    const failed = await Promise.all([
      gateway.call('fix__hang', { label: 7 }),
      gateway.call('fix__hang', { label: 8 })
    ]);
    assert.ok(
      failed.every(result => result.isError === true && !textOf(result).includes('concurrency limit')),
      JSON.stringify(failed)
    );
    const fifth = new AbortController();
    const sixth = new AbortController();
    const h5 = gateway.call('fix__hang', { label: 'h5' }, { signal: fifth.signal });
    const h6 = gateway.call('fix__hang', { label: 'h6' }, { signal: sixth.signal });
    await waitFor(
      'h5 and h6 to start',
      async () => (await journal()).started.filter(label => label === 'h5' || label === 'h6').length === 2
    );
    fifth.abort(new Error('done'));
    sixth.abort(new Error('done'));
    await Promise.allSettled([h5, h6]);
  });

  it("a workflow's steps are limited as the caller's own calls", async () => {
    const result = await gateway.call('three', {}, { principal: principal('flow') });
    assert.equal(result.isError, true);
    assert.match(
      textOf(result),
      /rate limit "steps" reached for flow on fix__needs: 2 requests per 1 h; retry after \d+ s/
    );
    // The local user is not "flow": the same workflow runs whole.
    const local = await gateway.call('three', {});
    assert.notEqual(local.isError, true, textOf(local));
  });

  it('a limited prompt, resource or completion request is a RATE_LIMITED error with the limit in its data', async () => {
    const prompter = principal('prompter');
    await assert.rejects(
      gateway.request('prompts/get', { name: 'fix__none' }, prompter),
      (error: ManifoldError) => error.code === 'PROMPT_NOT_FOUND'
    );
    await assert.rejects(gateway.request('prompts/get', { name: 'fix__none' }, prompter), (error: ManifoldError) => {
      assert.equal(error.code, 'RATE_LIMITED');
      assert.equal(error.jsonRpcCode, -32029);
      assert.match(
        error.message,
        /^rate limit "limits.calls\[7\]" reached for prompter on prompt "fix__none": 1 requests per 1 h; retry after \d+ s$/
      );
      assert.equal((error.data?.limit as { name: string }).name, 'limits.calls[7]');
      assert.equal(typeof error.data?.retryAfterMs, 'number');
      return true;
    });
  });
});

describe("limits.calls: an agent's tool calls are the caller's calls", () => {
  let model: ScriptedModelServer;
  let gateway: LimitsGateway;
  before(async () => {
    model = await startScriptedModelServer();
    gateway = await startLimitsGateway({
      servers: { fix },
      models: { local: { provider: 'anthropic', baseURL: model.baseURL, model: 'scripted', apiKey: 'test' } },
      agents: { helper: { model: 'local', servers: ['fix'], tools: ['text'] } },
      limits: { calls: [{ name: 'agent-texts', principal: 'carol', tool: 'fix__text', requests: 2, per: '1h' }] }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await model?.close();
  });

  it('three tool calls of one turn against 2 per window: the model is fed two results and the limit with when to retry', async () => {
    model.reset([
      {
        toolCalls: [1, 2, 3].map(index => ({
          id: `call_${index}`,
          name: 'fix__text',
          arguments: { text: `t${index}` }
        }))
      },
      { text: 'done' }
    ]);
    const result = await gateway.call('helper', { task: 'three texts' }, { principal: principal('carol') });
    assert.notEqual(result.isError, true, textOf(result));
    const fed = toolResults(model.requests[1]!);
    assert.equal(fed.length, 3);
    const limited = fed.filter(entry => entry.isError);
    assert.equal(limited.length, 1, JSON.stringify(fed));
    assert.match(
      limited[0]!.text,
      /^rate limit "agent-texts" reached for carol on fix__text: 2 requests per 1 h; retry after \d+ s$/
    );
    assert.equal(fed.filter(entry => /^t\d$/.test(entry.text)).length, 2);
  });
});

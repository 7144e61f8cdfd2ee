/**
 * Limits over real HTTP (issue 11 item 4): a whole request over `limits.http` is answered 429 with Retry-After
 * and a JSON-RPC error; a limited tool call is a tool error a model can act on, for real SDK clients of both
 * eras; a limited prompt is a JSON-RPC error (-32029) with the limit in its data.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProtocolError } from '@modelcontextprotocol/client';

import { firstText } from '../helpers/fixtures.js';
import { connectHttp, fixtureServer, npmServerPath, startHttpGateway, writeConfig } from '../helpers/gateway.js';

describe('limits over HTTP', { timeout: 120_000 }, () => {
  it('over limits.http a request is answered 429 with Retry-After and a JSON-RPC error; /healthz is not counted', async () => {
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts') },
      limits: { http: { requests: 3, per: '1h' } }
    });
    await using gateway = await startHttpGateway(config.path);
    const base = new URL(gateway.url);
    for (let index = 0; index < 5; index++) assert.equal((await fetch(new URL('/healthz', base))).status, 200);
    const post = () =>
      fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
      });
    for (let index = 0; index < 3; index++) {
      const response = await post();
      assert.notEqual(response.status, 429);
      await response.body?.cancel();
    }
    const refused = await post();
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter > 3000 && retryAfter <= 3600,
      `Retry-After ${refused.headers.get('retry-after')}`
    );
    const body = (await refused.json()) as {
      jsonrpc: string;
      id: null;
      error: { code: number; message: string; data: Record<string, unknown> };
    };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, null);
    assert.equal(body.error.code, -32029);
    assert.equal(
      body.error.message,
      `rate limit "limits.http" reached for local: 3 HTTP requests per 1 h; retry after ${retryAfter} s`
    );
    assert.equal(body.error.data.code, 'RATE_LIMITED');
    assert.deepEqual(body.error.data.limit, {
      kind: 'http',
      name: 'limits.http',
      principal: 'local',
      requests: 3,
      perMs: 3_600_000
    });
    assert.ok(typeof body.error.data.retryAfterMs === 'number');
    // The legacy SSE face is the same principal's requests.
    const sse = await fetch(new URL('/sse', base));
    assert.equal(sse.status, 429);
    assert.ok(Number(sse.headers.get('retry-after')) > 0);
    await sse.body?.cancel();
  });

  it('a limited call is a tool error for SDK clients of both eras; a limited prompt is a -32029 error with the limit', async () => {
    await using config = writeConfig({
      servers: {
        echoa: fixtureServer('echo.ts'),
        echob: fixtureServer('echo.ts'),
        everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] }
      },
      limits: {
        calls: [
          { name: 'echoes', tool: 'echo?__echo', requests: 2, per: '1h', by: ['principal', 'tool'] },
          { name: 'prompts', server: 'everything', requests: 1, per: '1h' }
        ]
      }
    });
    await using gateway = await startHttpGateway(config.path);
    for (const [era, tool] of [
      ['legacy', 'echoa__echo'],
      ['modern', 'echob__echo']
    ] as const) {
      await using client = await connectHttp(gateway.url, { era });
      const results = [];
      for (let index = 0; index < 3; index++)
        results.push(await client.callTool({ name: tool, arguments: { message: `hi ${index}` } }));
      assert.deepEqual(
        results.map(result => result.isError === true),
        [false, false, true],
        era
      );
      assert.equal(firstText(results[0]!), 'hi 0');
      const limited = results[2]!;
      assert.match(
        firstText(limited),
        new RegExp(`^rate limit "echoes" reached for local on ${tool}: 2 requests per 1 h; retry after \\d+ s$`),
        era
      );
      const limit = (limited._meta as Record<string, Record<string, unknown>>)['manifold/limit'];
      assert.equal(limit?.name, 'echoes', era);
      assert.equal(limit?.server, tool.slice(0, 5), era);
      assert.ok(typeof limit?.retryAfterMs === 'number' && limit.retryAfterMs > 0, era);
    }
    await using client = await connectHttp(gateway.url, { era: 'legacy' });
    const { prompts } = await client.listPrompts();
    const prompt = prompts.find(candidate => !(candidate.arguments ?? []).some(argument => argument.required));
    assert.ok(prompt, 'server-everything has a prompt without required arguments');
    await client.getPrompt({ name: prompt.name });
    await assert.rejects(client.getPrompt({ name: prompt.name }), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.equal(error.code, -32029);
      assert.match(
        error.message,
        new RegExp(
          `rate limit "prompts" reached for local on prompt "${prompt.name}": 1 requests per 1 h; retry after \\d+ s`
        )
      );
      const data = error.data as { code: string; limit: { name: string; server: string }; retryAfterMs: number };
      assert.equal(data.code, 'RATE_LIMITED');
      assert.equal(data.limit.name, 'prompts');
      assert.equal(data.limit.server, 'everything');
      assert.ok(data.retryAfterMs > 0);
      return true;
    });
  });
});

/**
 * The legacy HTTP+SSE face of `manifold serve --http` (GET /sse, POST /messages) with the SDK's own
 * SSEClientTransport: views, bad requests, DNS-rebinding checks and shutdown. Everything a client and servers
 * say to each other over it is in forwarding.test.ts.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';

import { firstText } from '../helpers/fixtures.js';
import { connectSse, fixtureServer, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

/** One raw HTTP request to the gateway (node:http, so that the Host header can be set). */
function raw(url: string, options: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) };
    const req = request(url, { method: options.method, headers }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', chunk => {
        body += chunk;
        // An SSE stream does not end: its first event is enough.
        if (res.headers['content-type']?.startsWith('text/event-stream') && body.includes('\n\n')) req.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('legacy HTTP+SSE clients', { timeout: 60_000 }, () => {
  it('connect at /sse and /sse/<view>; bad requests are refused with what to do, and lose nothing', async () => {
    await using config = writeConfig({
      servers: { echo: fixtureServer('echo.ts'), slow: fixtureServer('slow.ts') },
      views: { only_echo: { servers: ['echo'] } }
    });
    await using gateway = await startHttpGateway(config.path);
    await waitFor(() => /legacy HTTP\+SSE transport connect to http:\/\/127\.0\.0\.1:\d+\/sse\n/.test(gateway.stderr()), 'the SSE address on stderr');
    const base = gateway.url.replace(/\/mcp$/, '');

    await using client = await connectSse(`${base}/sse`);
    await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === 'slow__slow'), 'both servers to be up', 20_000);
    assert.equal(firstText(await client.callTool({ name: 'echo__echo', arguments: { message: 'over SSE' } })), 'over SSE');

    await using viewed = await connectSse(`${base}/sse/only_echo`);
    assert.deepEqual(
      (await viewed.listTools()).tools.map(tool => tool.name),
      ['echo__echo']
    );

    // A message for a session that does not exist, a body that is not JSON, one that is not JSON-RPC.
    const unknown = await raw(`${base}/messages?sessionId=nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.match((JSON.parse(unknown.body) as { error: string }).error, /SSE session "nope" not found .*open GET \/sse again/);
    const stream = await raw(`${base}/sse`, { method: 'GET' });
    const endpoint = /event: endpoint\ndata: (\S+)/.exec(stream.body)?.[1];
    assert.match(endpoint ?? '', /^\/messages\?sessionId=[0-9a-f-]{36}$/);
    // That stream closed when the raw request ended: its session went with it.
    await waitFor(
      async () => (await raw(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status === 404,
      'the session of a closed stream to be gone'
    );
    const notRpc = await raw(`${base}/messages?sessionId=nope`, { method: 'GET' });
    assert.equal(notRpc.status, 405);
    assert.equal((await raw(`${base}/sse/nope`, { method: 'GET' })).status, 404);

    // The connected clients still work.
    assert.equal(firstText(await client.callTool({ name: 'echo__echo', arguments: { message: 'still here' } })), 'still here');
    assert.equal(firstText(await viewed.callTool({ name: 'echo__echo', arguments: { message: 'view too' } })), 'view too');
  });

  it('a body that is not JSON-RPC, on a live session, is a 400 and the session goes on', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    await using gateway = await startHttpGateway(config.path);
    const base = gateway.url.replace(/\/mcp$/, '');
    // Hold a stream open by hand to learn its session id, then talk to that session raw.
    const events: string[] = [];
    const after: Array<() => void> = [];
    const opened = new Promise<string>((resolve, reject) => {
      const req = request(`${base}/sse`, res => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          events.push(chunk);
          const endpoint = /event: endpoint\ndata: (\S+)/.exec(events.join(''))?.[1];
          if (endpoint) resolve(endpoint);
        });
      });
      req.on('error', reject);
      req.end();
      after.push(() => req.destroy());
    });
    try {
      const endpoint = await opened;
      const post = (body: string) => raw(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const notJson = await post('{not json');
      assert.equal(notJson.status, 400);
      assert.match(notJson.body, /not JSON/);
      const notRpc = await post('{"hello": "world"}');
      assert.equal(notRpc.status, 400);
      assert.match(notRpc.body, /not a JSON-RPC message/);
      const initialize = await post(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
      );
      assert.equal(initialize.status, 202);
      await waitFor(() => events.join('').includes('"id":1'), 'the initialize result on the stream');
      assert.match(events.join(''), /event: message\ndata: \{"result":\{"protocolVersion":"2024-11-05"/);
    } finally {
      for (const stop of after) stop();
    }
  });

  it('checks Host and Origin like /mcp (DNS rebinding), and closes its streams when the gateway stops', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    const gateway = await startHttpGateway(config.path);
    const base = gateway.url.replace(/\/mcp$/, '');
    const port = new URL(base).port;
    for (const path of ['/sse', '/mcp']) {
      const method = path === '/sse' ? 'GET' : 'POST';
      const body = method === 'POST' ? '{}' : undefined;
      const rebound = await raw(`${base}${path}`, { method, headers: { host: `evil.example:${port}`, 'content-type': 'application/json' }, ...(body ? { body } : {}) });
      assert.equal(rebound.status, 403, `${path}: ${rebound.body}`);
      const foreign = await raw(`${base}${path}`, { method, headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, ...(body ? { body } : {}) });
      assert.equal(foreign.status, 403, `${path}: ${foreign.body}`);
    }
    // An open SSE stream does not hold the gateway up: it ends with its session (the 2 s grace is for calls).
    await using client = await connectSse(`${base}/sse`);
    assert.deepEqual((await client.listTools()).tools.map(tool => tool.name), ['echo__echo']);
    const started = Date.now();
    assert.equal(await gateway.stop(), 0);
    assert.ok(Date.now() - started < 1_900, `the gateway waited ${Date.now() - started} ms for an open SSE stream`);
  });
});

import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { nodeFetch } from './node-fetch.js';

describe('nodeFetch (fetch over node:http for the SDK transports)', () => {
  let server: Server;
  let base: string;
  const closedStreams: string[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: string) => void> = {
    '/echo': (req, res, body) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's-1' });
      res.end(JSON.stringify({ method: req.method, headers: req.headers, body }));
    },
    '/stream': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      const timer = setTimeout(() => res.end('data: two\n\n'), 300);
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.writableEnded) closedStreams.push('stream');
      });
    },
    '/gzip': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ compressed: true })));
    },
    '/moved': (_req, res) => res.writeHead(307, { location: '/echo' }).end(),
    '/empty': (_req, res) => res.writeHead(202).end(),
    '/none': (_req, res) => res.writeHead(204).end(),
    '/weird': (_req, res) => res.writeHead(600, 'Weird').end('?')
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => (routes[new URL(req.url ?? '/', 'http://x').pathname] ?? ((_q, r) => r.writeHead(404).end()))(req, res, body));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends method, headers and a string body; gives status, headers (all values) and the JSON body', async () => {
    const response = await nodeFetch(`${base}/echo`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' }),
      body: '{"x":1}',
      redirect: 'manual'
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('mcp-session-id'), 's-1');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    const echoed = (await response.json()) as { method: string; headers: Record<string, string>; body: string };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.headers['mcp-protocol-version'], '2025-11-25');
    assert.equal(echoed.headers['content-length'], '7');
    assert.equal(echoed.body, '{"x":1}');
  });

  it('streams a body as it arrives (SSE), before the response ends', async () => {
    const started = Date.now();
    const response = await nodeFetch(`${base}/stream`, { redirect: 'manual' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), 'data: one\n\n');
    assert.ok(Date.now() - started < 250, 'the first event came before the stream ended');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    assert.equal(rest, 'data: two\n\n');
  });

  it('an abort before or during the response rejects with the signal\'s reason and closes the connection', async () => {
    const early = new AbortController();
    early.abort(new Error('stopped early'));
    await assert.rejects(nodeFetch(`${base}/echo`, { signal: early.signal, redirect: 'manual' }), /stopped early/);

    const late = new AbortController();
    const response = await nodeFetch(`${base}/stream`, { signal: late.signal, redirect: 'manual' });
    const reader = response.body!.getReader();
    await reader.read();
    late.abort(new Error('client closed'));
    await assert.rejects(reader.read());
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.deepEqual(closedStreams, ['stream'], 'the server saw the stream cut');
  });

  it('leaves no abort listener behind on a long-lived signal once each response is read', async () => {
    const shared = new AbortController();
    for (let index = 0; index < 50; index++) await (await nodeFetch(`${base}/echo`, { signal: shared.signal, redirect: 'manual' })).text();
    await (await nodeFetch(`${base}/empty`, { signal: shared.signal, redirect: 'manual' })).text();
    await new Promise(resolve => setImmediate(resolve));
    assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
  });

  it('decompresses gzip bodies; returns a redirect as it is under redirect: manual, follows it otherwise', async () => {
    assert.deepEqual(await (await nodeFetch(`${base}/gzip`, { redirect: 'manual' })).json(), { compressed: true });
    const manual = await nodeFetch(`${base}/moved`, { redirect: 'manual' });
    assert.equal(manual.status, 307);
    assert.equal(manual.headers.get('location'), '/echo');
    const followed = await nodeFetch(`${base}/moved`);
    assert.equal(followed.status, 200, 'redirect: follow is handed to the built-in fetch');
    assert.equal(((await followed.json()) as { method: string }).method, 'GET');
    assert.equal((await nodeFetch(`${base}/none`, { redirect: 'manual' })).body, null, 'a 204 has no body, as with fetch');
    assert.equal(await (await nodeFetch(`${base}/empty`, { redirect: 'manual' })).text(), '');
  });

  it('a status no Response can carry (600) fails that request as "fetch failed", and the process lives on', async () => {
    await assert.rejects(nodeFetch(`${base}/weird`, { redirect: 'manual' }), (error: TypeError & { cause?: Error }) => {
      assert.equal(error.message, 'fetch failed');
      assert.match(String(error.cause?.message), /status/);
      return true;
    });
    assert.equal((await nodeFetch(`${base}/none`, { redirect: 'manual' })).status, 204, 'the next request is served');
  });

  it('a refused connection fails like fetch: TypeError "fetch failed" with the cause', async () => {
    const probe = createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>(resolve => probe.close(() => resolve()));
    await assert.rejects(nodeFetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' }), (error: TypeError & { cause?: { code?: string } }) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, 'fetch failed');
      assert.equal(error.cause?.code, 'ECONNREFUSED');
      return true;
    });
  });
});

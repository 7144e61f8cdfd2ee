/**
 * The gateway's 2025 Streamable HTTP sessions on the wire (raw HTTP): a quick answer comes as
 * application/json, an answer with progress before it or a slow one as text/event-stream; the session's
 * header checks and status codes. What clients and servers say through it is in forwarding.test.ts and the
 * conformance suite.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { fixtureServer, type HttpGatewayProcess, startHttpGateway, type TempConfig, waitFor, writeConfig } from '../helpers/gateway.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** ms from the request to its response headers, and to its end. */
  headersAfterMs: number;
  endAfterMs: number;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(url, 'POST', { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers }, JSON.stringify(body));
}

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, res => {
      const headersAfterMs = Date.now() - started;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, headersAfterMs, endAfterMs: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const call = (id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) }
});

describe('2025 Streamable HTTP sessions on the wire', { timeout: 60_000 }, () => {
  let config: TempConfig;
  let gateway: HttpGatewayProcess;
  let session: Record<string, string>;

  before(async () => {
    config = writeConfig({ servers: { echo: fixtureServer('echo.ts'), slow: fixtureServer('slow.ts') } });
    gateway = await startHttpGateway(config.path);
    const opened = await post(gateway.url, initialize);
    assert.equal(opened.status, 200, opened.body);
    assert.match(String(opened.headers['content-type']), /^application\/json/);
    const id = opened.headers['mcp-session-id'];
    assert.ok(typeof id === 'string' && id.length > 0, 'the initialize answer names the session');
    session = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    assert.equal((await post(gateway.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status, 202);
    await waitFor(async () => (await post(gateway.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, session)).body.includes('slow__slow'), 'both servers up', 20_000);
  });

  after(async () => {
    await gateway[Symbol.asyncDispose]();
    await config[Symbol.asyncDispose]();
  });

  it('a quick answer is plain application/json; a batch of requests gets one JSON array', async () => {
    const answer = await post(gateway.url, call(10, 'echo__echo', { message: 'quick' }), session);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.equal(answer.headers['mcp-session-id'], session['mcp-session-id']);
    const parsed = JSON.parse(answer.body) as { id: number; result: { content: unknown } };
    assert.equal(parsed.id, 10);
    assert.deepEqual(parsed.result.content, [{ type: 'text', text: 'quick' }]);
    const batch = await post(gateway.url, [call(11, 'echo__echo', { message: 'a' }), call(12, 'echo__echo', { message: 'b' })], session);
    const answers = (JSON.parse(batch.body) as Array<{ id: number; result: { content: Array<{ text: string }> } }>).sort((x, y) => x.id - y.id);
    assert.deepEqual(answers.map(entry => [entry.id, entry.result.content[0]?.text]), [[11, 'a'], [12, 'b']]);
  });

  it('progress before the answer turns the response into an event stream, in order', async () => {
    const answer = await post(gateway.url, call(20, 'slow__slow', { ms: 60, steps: 3 }, { progressToken: 'p' }), session);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
    const events = [...answer.body.matchAll(/^data: (.*)$/gm)].map(match => JSON.parse(match[1]!) as { method?: string; id?: number });
    assert.ok(events.length >= 2, answer.body);
    assert.equal(events.at(-1)?.id, 20, 'the answer comes last');
    assert.ok(events.slice(0, -1).every(event => event.method === 'notifications/progress' || event.method === 'notifications/message'), answer.body);
  });

  it('a slow call opens its stream early (headers before the answer), so no header timeout can cut it', async () => {
    const answer = await post(gateway.url, call(30, 'slow__slow', { ms: 1500, steps: 1 }), session);
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
    assert.ok(answer.headersAfterMs < 1200, `headers came after ${answer.headersAfterMs} ms`);
    assert.ok(answer.endAfterMs >= 1400, `the answer came after ${answer.endAfterMs} ms`);
    assert.match(answer.body, /^data: \{"result":\{.*"slept 1500 ms in 1 steps".*"id":30\}$/m);
  });

  it('refuses what the SDK refuses, with the same codes', async () => {
    const bad = async (answer: Promise<Answer>, status: number, message: RegExp) => {
      const got = await answer;
      assert.equal(got.status, status, got.body);
      assert.match((JSON.parse(got.body) as { error: { message: string } }).error.message, message);
    };
    await bad(post(gateway.url, call(40, 'echo__echo', { message: 'x' }), { ...session, accept: 'application/json' }), 406, /must accept both/);
    await bad(post(gateway.url, call(41, 'echo__echo', { message: 'x' }), { ...session, 'content-type': 'text/plain' }), 415, /Content-Type must be application\/json/);
    await bad(post(gateway.url, [call(44, 'echo__echo', { message: 'x' }), { jsonrpc: '2.0', id: 45 }], session), 400, /JSON-RPC .*invalid message/i);
    await bad(post(gateway.url, initialize, session), 400, /already initialized/);
    await bad(post(gateway.url, call(42, 'echo__echo', { message: 'x' }), { ...session, 'mcp-protocol-version': '1999-01-01' }), 400, /Unsupported protocol version: 1999-01-01/);
    await bad(post(gateway.url, call(43, 'echo__echo', { message: 'x' }), { ...session, 'mcp-session-id': 'not-this-one' }), 404, /session not-this-one not found/);
    await bad(post(gateway.url, Array.from({ length: 101 }, (_, index) => call(100 + index, 'echo__echo', { message: 'x' })), session), 400, /Batch must not exceed 100/);
    // One GET stream per session.
    const stream = request(gateway.url, { method: 'GET', headers: { ...session, accept: 'text/event-stream' } });
    const streamOpened = new Promise<number>(resolve => stream.on('response', res => resolve(res.statusCode ?? 0)));
    stream.end();
    assert.equal(await streamOpened, 200);
    await bad(send(gateway.url, 'GET', { ...session, accept: 'text/event-stream' }), 409, /Only one SSE stream/);
    stream.destroy();
  });

  it('DELETE ends the session; its id is then unknown', async () => {
    const opened = await post(gateway.url, initialize);
    const id = String(opened.headers['mcp-session-id']);
    const own = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    assert.equal((await send(gateway.url, 'DELETE', own)).status, 200);
    const after = await post(gateway.url, call(50, 'echo__echo', { message: 'x' }), own);
    assert.equal(after.status, 404);
  });
});

describe('2025 Streamable HTTP sessions ending', { timeout: 60_000 }, () => {
  it('a session closed mid-batch still sends the answers that were in; an open GET stream does not hold up shutdown', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts'), slow: fixtureServer('slow.ts') } });
    const gateway = await startHttpGateway(config.path);
    const opened = await post(gateway.url, initialize);
    const session = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    await post(gateway.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    await waitFor(async () => (await post(gateway.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, session)).body.includes('slow__slow'), 'both servers up', 20_000);

    // A batch: echo answers at once, slow would take 3 s; the session is deleted after 300 ms.
    const batch = post(gateway.url, [call(60, 'echo__echo', { message: 'kept' }), call(61, 'slow__slow', { ms: 3000, steps: 1 })], session);
    await new Promise(resolve => setTimeout(resolve, 300));
    assert.equal((await send(gateway.url, 'DELETE', session)).status, 200);
    const cut = await batch;
    assert.match(cut.body, /"id":60/, `the finished answer was lost: ${JSON.stringify(cut.body)}`);

    // A second session with its GET stream open while the gateway stops.
    const other = await post(gateway.url, initialize);
    const otherSession = { 'mcp-session-id': String(other.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    const stream = request(gateway.url, { method: 'GET', headers: { ...otherSession, accept: 'text/event-stream' } });
    const ended = new Promise<void>(resolve =>
      stream.on('response', res => {
        res.resume();
        res.on('end', () => resolve());
      })
    );
    stream.on('error', () => {});
    stream.end();
    await new Promise(resolve => setTimeout(resolve, 200));
    const started = Date.now();
    assert.equal(await gateway.stop(), 0);
    assert.ok(Date.now() - started < 1_900, `the gateway waited ${Date.now() - started} ms for an open GET stream`);
    await ended;
  });
});

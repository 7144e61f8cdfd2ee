/**
 * API keys on the HTTP face (issue 11, item 1): config keys (literal, ${ENV}, sha256 hash), keys made and revoked
 * with `manifold keys`, a principal on every call of every face (2026 stateless, 2025 sessions, legacy SSE),
 * keys scoped to views, sessions bound to their principal, malformed credentials, and the credential never
 * forwarded upstream. Real HTTP on loopback, real SDK clients of both eras.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { parse, stringify } from 'yaml';

import { fixtureServer, manifoldCommand } from '../helpers/gateway.js';
import { rawHttp } from '../helpers/raw-http.js';
import { type AuthGateway, connectSseWith, connectWith, startAuthGateway, textOf } from './auth-helpers.js';

const run = promisify(execFile);

const literalKey = `literal-${randomBytes(12).toString('hex')}`;
const envKey = `fromenv-${randomBytes(12).toString('hex')}`;
const hashedKey = `hashed-${randomBytes(12).toString('hex')}`;
const otherKey = `other-${randomBytes(12).toString('hex')}`;
const expiringKey = `expiring-${randomBytes(12).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } }
});
const toolsList = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

/** A remote upstream that records the headers of every request it gets. */
async function startRecordingUpstream(): Promise<{ url: string; headers: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const headers: IncomingHttpHeaders[] = [];
  const build = () => {
    const server = new McpServer({ name: 'recorder', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool('ping', { description: 'answers pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
    return server;
  };
  const handler = toNodeHandler(createMcpHandler(build));
  const server = createServer((req, res) => {
    headers.push(req.headers);
    void handler(req, res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** One request written byte for byte on a socket (header values node:http would refuse to send). */
function rawSocket(origin: string, request: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(Buffer.from(request, 'latin1')));
    let answer = '';
    socket.on('data', chunk => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('API keys on the HTTP face (issue 11)', { timeout: 120_000 }, () => {
  let gateway: AuthGateway;
  let recorder: Awaited<ReturnType<typeof startRecordingUpstream>>;

  before(async () => {
    recorder = await startRecordingUpstream();
    gateway = await startAuthGateway(
      {
        servers: { echo: fixtureServer('echo.ts'), echo2: fixtureServer('echo.ts'), rec: { url: recorder.url, type: 'http' } },
        views: { a: { servers: ['echo'] }, b: { servers: ['echo2'] } },
        auth: {
          keys: [
            { name: 'literal', key: literalKey, views: ['a'] },
            { name: 'fromenv', key: '${TEST_AUTH_KEY}' },
            { name: 'other', key: otherKey },
            { name: 'hashed', hash: `sha256:${sha256(hashedKey)}`, views: ['b'] }
          ]
        }
      },
      { TEST_AUTH_KEY: envKey }
    );
  });

  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await recorder?.close();
  });

  it('without a credential: 401 with a Bearer challenge on every endpoint (unknown views too); /healthz stays open and says only ok or degraded', async () => {
    for (const [method, path] of [['POST', '/mcp'], ['POST', '/mcp/a'], ['POST', '/mcp/nonexistent'], ['GET', '/sse'], ['POST', '/messages?sessionId=x'], ['GET', '/nope']] as const) {
      const answer = await rawHttp(gateway.http.url, { method, path, headers: json, ...(method === 'POST' ? { body: initialize } : {}) });
      assert.equal(answer.status, 401, `${method} ${path}: ${answer.status} ${answer.body}`);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="manifold"/);
      assert.match((JSON.parse(answer.body) as { error_description: string }).error_description, /asks for a credential: send "Authorization: Bearer <API key>"/);
      assert.doesNotMatch(answer.body, /nonexistent|echo/, 'nothing about views or servers before the credential');
    }
    // /healthz stays open, but tells a caller without a credential only whether the gateway is healthy.
    const health = await rawHttp(gateway.http.url, { method: 'GET', path: '/healthz' });
    assert.equal(health.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(health.body) as object), ['status']);
    const known = await rawHttp(gateway.http.url, { method: 'GET', path: '/healthz', headers: { authorization: `Bearer ${envKey}` } });
    assert.match(known.body, /"upstreams":\[.*"name":"echo"/);
    const wrongKey = await rawHttp(gateway.http.url, { method: 'GET', path: '/healthz', headers: { authorization: 'Bearer not-a-key-0123456789' } });
    assert.equal(wrongKey.status, 200);
    assert.doesNotMatch(wrongKey.body, /echo/);
    // No auth.jwt: no protected-resource metadata.
    assert.equal((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource' })).status, 404);
  });

  it('config keys (literal, ${ENV}, sha256 hash) admit their principal in both eras; the pipeline sees who calls', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      gateway.principals.length = 0;
      await using literal = await connectWith(`${gateway.http.url}/a`, literalKey, era);
      assert.equal(textOf(await literal.callTool({ name: 'echo__echo', arguments: { message: 'hi' } })), 'hi');
      await using fromEnv = await connectWith(gateway.http.url, envKey, era);
      assert.equal(textOf(await fromEnv.callTool({ name: 'echo2__echo', arguments: { message: 'env' } })), 'env');
      await using hashed = await connectWith(`${gateway.http.url}/b`, hashedKey, era);
      assert.equal(textOf(await hashed.callTool({ name: 'echo2__echo', arguments: { message: 'hash' } })), 'hash');
      assert.deepEqual(
        gateway.principals.map(principal => [principal.name, principal.kind, principal.views]),
        [
          ['literal', 'key', ['a']],
          ['fromenv', 'key', undefined],
          ['hashed', 'key', ['b']]
        ],
        era
      );
    }
    // X-API-Key is accepted as well.
    const viaHeader = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, 'x-api-key': envKey }, body: initialize });
    assert.equal(viaHeader.status, 200, viaHeader.body);
    // A wrong key: 401 invalid_token.
    const wrong = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, authorization: `Bearer ${envKey}x` }, body: initialize });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /error="invalid_token", error_description="the API key is not known"/);
  });

  it('a key scoped to view a reaches /mcp/a and /sse/a only: /mcp/b, /mcp and /sse/b answer like a view that does not exist', async () => {
    const auth = { authorization: `Bearer ${literalKey}` };
    const unknown = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp/nonexistent', headers: { ...json, auth: '', ...auth }, body: initialize });
    assert.equal(unknown.status, 404);
    for (const [method, path, view] of [['POST', '/mcp/b', 'b'], ['GET', '/sse/b', 'b']] as const) {
      const answer = await rawHttp(gateway.http.url, { method, path, headers: { ...json, ...auth }, ...(method === 'POST' ? { body: initialize } : {}) });
      assert.equal(answer.status, 404, `${path}: ${answer.body}`);
      assert.deepEqual(JSON.parse(answer.body), { error: `no view "${view}" (declare it under views: in the config)` }, 'the same answer as a view that does not exist');
    }
    const whole = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, ...auth }, body: initialize });
    assert.equal(whole.status, 404);
    assert.match(whole.body, /does not reach; it reaches \/mcp\/a/);
    // The SDK client sees the refusal as a failed connect, in both eras.
    for (const era of ['legacy', 'modern'] as const) {
      await assert.rejects(async () => {
        await using client = await connectWith(`${gateway.http.url}/b`, literalKey, era);
        await client.listTools();
      });
    }
    // Its own view lists only that view's tools.
    await using client = await connectWith(`${gateway.http.url}/a`, literalKey, 'modern');
    assert.deepEqual((await client.listTools()).tools.map(tool => tool.name), ['echo__echo']);
  });

  it('a 2025 session answers only the principal that opened it: another key or none is refused', async () => {
    const opened = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, authorization: `Bearer ${envKey}` }, body: initialize });
    assert.equal(opened.status, 200, opened.body);
    const sessionId = String(opened.headers['mcp-session-id']);
    // The registry's session knows its principal (what is pushed to it is for them).
    assert.equal(gateway.core.sessions.get(sessionId)?.principal?.name, 'fromenv');
    const onSession = (headers: Record<string, string>) =>
      rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', ...headers }, body: toolsList });
    const stolen = await onSession({ authorization: `Bearer ${otherKey}` });
    assert.equal(stolen.status, 404, stolen.body);
    assert.match(stolen.body, /session .* not found/);
    assert.equal((await onSession({})).status, 401);
    const own = await onSession({ authorization: `Bearer ${envKey}` });
    assert.equal(own.status, 200, own.body);
    assert.match(own.body, /echo__echo/);
    // GET and DELETE on the session are bound the same way.
    const foreignDelete = await rawHttp(gateway.http.url, { method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': sessionId, authorization: `Bearer ${otherKey}` } });
    assert.equal(foreignDelete.status, 404);
    assert.equal((await onSession({ authorization: `Bearer ${envKey}` })).status, 200, 'the session survived the foreign DELETE');
  });

  it('legacy SSE: the stream\'s principal reaches the pipeline, views are scoped, and /messages answers only that principal', async () => {
    gateway.principals.length = 0;
    await using client = await connectSseWith(`${gateway.http.sseUrl}/a`, literalKey);
    assert.equal(textOf(await client.callTool({ name: 'echo__echo', arguments: { message: 'sse' } })), 'sse');
    assert.deepEqual(gateway.principals.map(principal => principal.name), ['literal']);
    await assert.rejects(async () => {
      await using refused = await connectSseWith(`${gateway.http.sseUrl}/b`, literalKey);
      await refused.listTools();
    });
    // Open a stream with one key, post to it with another.
    const stream = await rawHttp(gateway.http.url, { method: 'GET', path: '/sse', headers: { accept: 'text/event-stream', authorization: `Bearer ${envKey}` } });
    const endpoint = /data: (\S+)/.exec(stream.body)?.[1] ?? '';
    assert.match(endpoint, /^\/messages\?sessionId=/);
    const foreign = await rawHttp(gateway.http.url, { method: 'POST', path: endpoint, headers: { ...json, authorization: `Bearer ${otherKey}` }, body: toolsList });
    assert.equal(foreign.status, 404, foreign.body);
    assert.equal((await rawHttp(gateway.http.url, { method: 'POST', path: endpoint, headers: json, body: toolsList })).status, 401);
  });

  it('malformed credentials are answered at once with a clear error, and nothing a caller sent is logged', async () => {
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ authorization: `Basic ${Buffer.from(`user:${envKey}`).toString('base64')}` }, 401, /scheme must be Bearer .*not "Basic"/],
      [{ authorization: 'Bearer' }, 401, /the credential is empty/],
      [{ authorization: 'Bearer    ' }, 401, /the credential is empty/],
      [{ authorization: envKey }, 401, /scheme must be Bearer/],
      [{ authorization: `Bearer ${envKey} extra` }, 400, /characters a bearer credential cannot have/],
      [{ authorization: `Bearer ${'x'.repeat(9000)}` }, 400, /over the 8192 this gateway reads/],
      [{ authorization: `Bearer ${envKey}`, 'x-api-key': envKey }, 400, /either Authorization or X-API-Key, not both/]
    ];
    for (const [headers, status, message] of cases) {
      const started = performance.now();
      const answer = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, ...headers }, body: initialize });
      assert.ok(performance.now() - started < 2000, 'answered at once');
      assert.equal(answer.status, status, `${JSON.stringify(headers).slice(0, 80)}: ${answer.body}`);
      assert.match((JSON.parse(answer.body) as { error_description: string }).error_description, message);
      assert.doesNotMatch(answer.body, new RegExp(envKey), 'the answer never echoes the credential');
    }
    // A non-ASCII credential (node:http would not send one): 400, and the gateway goes on serving.
    const port = new URL(gateway.origin).port;
    const nonAscii = await rawSocket(gateway.origin, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer caf\xe9-${envKey}\r\nContent-Type: application/json\r\nContent-Length: ${initialize.length}\r\nConnection: close\r\n\r\n${initialize}`);
    assert.match(nonAscii, /^HTTP\/1\.1 400 /);
    assert.match(nonAscii, /characters a bearer credential cannot have/);
    assert.equal((await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp', headers: { ...json, authorization: `Bearer ${envKey}` }, body: initialize })).status, 200);
    const logged = gateway.logged();
    assert.match(logged, /refused POST \/mcp .*401/, 'refusals are logged (at debug)');
    for (const secret of [literalKey, envKey, hashedKey, otherKey, expiringKey]) assert.ok(!logged.includes(secret), 'no credential in the log');
  });

  it('a config key past its expiry is refused, saying so', async () => {
    // A gateway of its own, so the key's 4 s start when this test does (on a loaded machine the tests before it
    // may take longer than that).
    const expiresAt = Date.now() + 4000;
    await using own = await startAuthGateway({
      servers: { echo: fixtureServer('echo.ts') },
      auth: { keys: [{ name: 'expiring', key: expiringKey, expires: new Date(expiresAt).toISOString() }] }
    });
    await using before = await connectWith(own.http.url, expiringKey, 'modern');
    await before.listTools();
    await new Promise(resolve => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));
    const answer = await rawHttp(own.http.url, { method: 'POST', path: '/mcp', headers: { ...json, authorization: `Bearer ${expiringKey}` }, body: initialize });
    assert.equal(answer.status, 401);
    assert.match(answer.body, /the API key \\"expiring\\" expired/);
  });

  it('manifold keys create: the key (shown once) works at once, scoped to its views; revoke: refused from the next request', async () => {
    // The same servers, views and store beside the gateway's config; without the key that expired by now (a config
    // with an expired key is refused at start, so the CLI would not load the gateway's own).
    const cliConfig = join(dirname(gateway.configPath), 'cli.yaml');
    const gatewayConfig = parse(readFileSync(gateway.configPath, 'utf8')) as { auth: { keys: Array<{ name: string }> } };
    gatewayConfig.auth.keys = gatewayConfig.auth.keys.filter(key => key.name !== 'expiring');
    writeFileSync(cliConfig, stringify(gatewayConfig));
    const cli = (...args: string[]) => run(manifoldCommand.command, [...manifoldCommand.args, 'keys', ...args, '--config', cliConfig], { env: { ...process.env, TEST_AUTH_KEY: envKey } });
    const created = await cli('create', 'robot', '--views', 'a', '--expires', '30d');
    const key = created.stdout.trim();
    assert.match(key, /^mfk_[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /key "robot" created .* for the views a, until .*shown this once/);
    gateway.principals.length = 0;
    await using client = await connectWith(`${gateway.http.url}/a`, key, 'legacy');
    assert.equal(textOf(await client.callTool({ name: 'echo__echo', arguments: { message: 'robot' } })), 'robot');
    assert.deepEqual(gateway.principals.map(principal => [principal.name, principal.views]), [['robot', ['a']]]);
    assert.equal((await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp/b', headers: { ...json, authorization: `Bearer ${key}` }, body: initialize })).status, 404);
    const listed = await cli('list', '--json');
    const rows = JSON.parse(listed.stdout) as Array<{ name: string; source: string; status: string }>;
    assert.deepEqual(rows.find(row => row.name === 'robot'), { ...rows.find(row => row.name === 'robot'), source: 'store', status: 'active' });
    assert.ok(!listed.stdout.includes(key), 'list never shows a key');
    await assert.rejects(cli('create', 'robot'), /a key named "robot" exists already/);
    await cli('revoke', 'robot');
    // The session the key opened is refused too: every request is authenticated.
    await assert.rejects(client.callTool({ name: 'echo__echo', arguments: { message: 'again' } }));
    const answer = await rawHttp(gateway.http.url, { method: 'POST', path: '/mcp/a', headers: { ...json, authorization: `Bearer ${key}` }, body: initialize });
    assert.equal(answer.status, 401);
    assert.match(answer.body, /the API key \\"robot\\" was revoked/);
  });

  it('the client\'s credential never reaches an upstream (both eras)', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      await using client = await connectWith(gateway.http.url, envKey, era);
      recorder.headers.length = 0;
      assert.equal(textOf(await client.callTool({ name: 'rec__ping', arguments: {} })), 'pong');
      assert.ok(recorder.headers.length > 0, 'the call reached the upstream');
      for (const headers of recorder.headers) {
        assert.equal(headers.authorization, undefined, era);
        assert.equal(headers['x-api-key'], undefined, era);
        assert.ok(!JSON.stringify(headers).includes(envKey), era);
      }
    }
  });
});

/**
 * Manifold as an OAuth 2.1 resource server (issue 11, item 1): bearer JWTs checked against a JWKS served on
 * loopback (jose-made keys): signature, issuer, audience (RFC 8707, per endpoint), expiry with leeway, `alg:
 * none` and HMAC-with-the-public-key refused, required scopes (403 insufficient_scope); RFC 9728 metadata
 * per view and the WWW-Authenticate challenge that points at it. Real SDK clients of both eras and raw requests.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

import { fixtureServer } from '../helpers/gateway.js';
import { rawHttp } from '../helpers/raw-http.js';
import { type AuthGateway, connectSseWith, connectWith, startAuthGateway, textOf } from './auth-helpers.js';

const issuer = 'https://issuer.test/realms/manifold';
const audience = 'https://gw.example/mcp';
const scope = 'mcp:tools';
const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } }
});

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('OAuth bearer tokens on the HTTP face (issue 11)', { timeout: 120_000 }, () => {
  let gateway: AuthGateway;
  let jwksServer: Server;
  let jwksRequests = 0;
  let signing: KeyPair;
  let stranger: KeyPair;
  let publicJwk: JWK;

  /** A token as the provider would issue it; `claims` and `header` override. */
  const token = async (claims: Record<string, unknown> = {}, options: { key?: KeyPair; kid?: string; expiresIn?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, aud: audience, sub: 'alice', scope: `openid ${scope}`, iat: now, exp: now + (options.expiresIn ?? 300), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1', typ: 'at+jwt' })
      .sign((options.key ?? signing).privateKey);
  };
  const post = (path: string, credential: string | undefined) =>
    rawHttp(gateway.http.url, { method: 'POST', path, headers: { ...json, ...(credential !== undefined ? { authorization: `Bearer ${credential}` } : {}) }, body: initialize });
  const challenge = (answer: { headers: Record<string, string | string[] | undefined> }) => String(answer.headers['www-authenticate']);

  before(async () => {
    signing = await generateKeyPair('RS256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    publicJwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((req, res) => {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>(resolve => jwksServer.listen(0, '127.0.0.1', () => resolve()));
    const jwks = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    gateway = await startAuthGateway({
      servers: { echo: fixtureServer('echo.ts'), echo2: fixtureServer('echo.ts') },
      views: { a: { servers: ['echo'] }, b: { servers: ['echo2'] } },
      auth: { keys: [{ name: 'ci', key: 'ci-key-0123456789abcdef' }], jwt: { issuer, audience, jwks, scopes: [scope] } }
    });
  });

  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
    jwksServer?.closeAllConnections();
    await new Promise(resolve => jwksServer?.close(resolve));
  });

  it('a valid token admits its subject in both eras and on legacy SSE; the pipeline sees the principal with its scopes and claims', async () => {
    const valid = await token();
    for (const era of ['legacy', 'modern'] as const) {
      gateway.principals.length = 0;
      await using client = await connectWith(gateway.http.url, valid, era);
      assert.equal(textOf(await client.callTool({ name: 'echo__echo', arguments: { message: era } })), era);
      const [principal] = gateway.principals;
      assert.equal(principal?.name, 'alice');
      assert.equal(principal?.kind, 'jwt');
      assert.deepEqual(principal?.scopes, ['openid', scope]);
      assert.equal(principal?.claims?.iss, issuer);
    }
    await using sse = await connectSseWith(gateway.http.sseUrl, valid);
    assert.equal(textOf(await sse.callTool({ name: 'echo__echo', arguments: { message: 'sse' } })), 'sse');
    // The JWKS was fetched once and cached.
    assert.equal(jwksRequests, 1);
    // API keys still work beside tokens.
    assert.equal((await post('/mcp', 'ci-key-0123456789abcdef')).status, 200);
  });

  it('no credential: 401 pointing at the endpoint\'s protected-resource metadata, with the scope to ask for', async () => {
    const whole = await post('/mcp', undefined);
    assert.equal(whole.status, 401);
    assert.equal(challenge(whole), `Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp", scope="${scope}"`);
    const view = await post('/mcp/a', undefined);
    assert.equal(challenge(view), `Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp/a", scope="${scope}"`);
  });

  it('serves RFC 9728 metadata for /mcp and each view path (any view name: it tells no one which views exist)', async () => {
    const root = await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource' });
    assert.equal(root.status, 200);
    assert.deepEqual(JSON.parse(root.body), {
      resource: 'https://gw.example/mcp',
      authorization_servers: [issuer],
      scopes_supported: [scope],
      bearer_methods_supported: ['header'],
      resource_name: 'Manifold MCP gateway'
    });
    const forMcp = JSON.parse((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' })).body) as { resource: string };
    assert.equal(forMcp.resource, 'https://gw.example/mcp');
    const forView = JSON.parse((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp/a' })).body) as Record<string, unknown>;
    assert.equal(forView.resource, 'https://gw.example/mcp/a');
    assert.deepEqual(forView.authorization_servers, [issuer]);
    assert.equal(forView.resource_name, 'Manifold MCP gateway, view a');
    const forSse = JSON.parse((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/sse/b' })).body) as { resource: string };
    assert.equal(forSse.resource, 'https://gw.example/sse/b');
    assert.equal((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp/undeclared' })).status, 200);
    assert.equal((await rawHttp(gateway.http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/other' })).status, 401, 'not a metadata path: authenticated like any other');
  });

  it('refuses expired, wrong-audience, wrong-issuer, unknown-key, alg none, HMAC-with-the-public-key and tampered tokens (401 invalid_token)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = await token();
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' })).toString('base64url');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const publicPem = await exportSPKI(signing.publicKey);
    const hmac = await new SignJWT({ iss: issuer, aud: audience, sub: 'mallory', scope, exp: now + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(publicPem));
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await token({ exp: now - 120 }), /the token expired/],
      ['wrong audience', await token({ aud: 'https://other.example/mcp' }), /the token is for .*other\.example.*, not for this endpoint/],
      ['wrong issuer', await token({ iss: 'https://evil.example' }), /issued by .*evil\.example.*, not by https:\/\/issuer\.test/],
      ['unknown key', await token({}, { key: stranger, kid: 'k2' }), /no key of the provider's JWKS matches/],
      ['signed by another key under a known kid', await token({}, { key: stranger, kid: 'k1' }), /signature does not verify/],
      ['alg none', unsigned, /algorithm is not accepted|not a signed JWT/],
      ['HMAC with the public key', hmac, /algorithm is not accepted/],
      ['tampered payload', `${header}.${forged}.${signature}`, /signature does not verify/],
      ['tampered signature', `${header}.${payload}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, /signature does not verify/],
      ['no exp', await token({ exp: undefined }), /no expiry|"exp" claim/]
    ];
    for (const [what, credential, message] of cases) {
      const answer = await post('/mcp', credential);
      assert.equal(answer.status, 401, `${what}: ${answer.status} ${answer.body}`);
      assert.match(challenge(answer), /^Bearer resource_metadata="https:\/\/gw\.example\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token", error_description="/, what);
      assert.match((JSON.parse(answer.body) as { error_description: string }).error_description, message, what);
    }
    // Within the leeway (60 s by default) an expired token still passes.
    assert.equal((await post('/mcp', await token({ exp: now - 10 }))).status, 200);
    assert.equal((await post('/mcp', await token({ nbf: now + 3600 }))).status, 401);
    assert.ok(!gateway.logged().includes(valid), 'no token in the log');
  });

  it('a token without a required scope: 403 insufficient_scope naming the scope needed', async () => {
    const answer = await post('/mcp', await token({ scope: 'openid profile' }));
    assert.equal(answer.status, 403);
    assert.equal(
      challenge(answer),
      `Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="the token lacks the scope ${scope}", scope="${scope}"`
    );
    // `scp` (a list, as Entra and Okta put it) counts too.
    assert.equal((await post('/mcp', await token({ scope: undefined, scp: [scope] }))).status, 200);
  });

  it('RFC 8707 per endpoint: a token for /mcp/a is good at /mcp/a only; one for the gateway\'s audience is good everywhere', async () => {
    const forA = await token({ aud: `${audience}/a` });
    assert.equal((await post('/mcp/a', forA)).status, 200);
    assert.equal((await post('/mcp/b', forA)).status, 401);
    assert.equal((await post('/mcp', forA)).status, 401);
    const forGateway = await token();
    for (const path of ['/mcp', '/mcp/a', '/mcp/b']) assert.equal((await post(path, forGateway)).status, 200, path);
  });
});

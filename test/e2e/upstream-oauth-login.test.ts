/**
 * Upstream credentials (issue 11, item 3): `manifold login` (authorization code + PKCE) against the fixture
 * authorization server and protected MCP server (test/fixtures/oauth/), with the browser played by plain HTTP
 * requests: the stored sign-in, silent refresh, "login required", and a running gateway's view of it all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { GatewayCore } from '../../src/gateway/index.js';
import { loadConfig } from '../../src/config/index.js';
import { SqliteCredentialStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startAuthorizationServer } from '../fixtures/oauth/authorization-server.js';
import { startProtectedMcpServer } from '../fixtures/oauth/protected-mcp-server.js';
import { freePort } from '../helpers/fixtures.js';
import { waitFor, writeConfig } from '../helpers/gateway.js';
import { cli, login, sleep } from '../helpers/oauth.js';

describe('upstream OAuth: manifold login (authorization code + PKCE)', { timeout: 120_000 }, () => {
  it('logs in through the browser and the loopback callback, refreshes silently, and says "login required" once the refresh token is revoked', async () => {
    await using as = await startAuthorizationServer({ accessTokenTtl: 2 });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    const call = () => cli(['call', 'github__whoami', '--config', config.path]);

    const before = await call();
    assert.equal(before.code, 1);
    assert.match(before.err, /login required: run "manifold login github" \(no sign-in is stored\)/);
    assert.equal(as.counts.registrations, 0, 'no client is registered by a gateway that cannot sign in');

    const loggedIn = await login(config.path, 'github');
    assert.equal(loggedIn.code, 0, loggedIn.err + loggedIn.out);
    assert.match(loggedIn.out, /Signed in to "github"; it lists 2 tools/);
    assert.equal(as.counts.registrations, 1, 'dynamic registration');
    assert.equal(as.counts.authorization_code, 1);
    const [authorize] = as.authorizeRequests;
    assert.equal(authorize?.get('code_challenge_method'), 'S256');
    assert.ok(authorize?.get('state'));
    assert.equal(authorize?.get('resource'), mcp.url, 'RFC 8707 resource indicator');
    assert.match(authorize?.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const first = await call();
    assert.equal(first.code, 0, first.err);
    assert.equal(JSON.parse(first.out.trim()).sub, 'alice');
    const healthy = await cli(['doctor', '--json', '--config', config.path]);
    const [row] = (JSON.parse(healthy.out) as { servers: { status: string; oauth?: Record<string, unknown> }[] })
      .servers;
    assert.equal(row?.status, 'up');
    assert.equal(row?.oauth?.grant, 'authorization_code');
    assert.equal(row?.oauth?.signedIn, true);
    assert.equal(row?.oauth?.refreshable, true);
    assert.match(String(row?.oauth?.expiresAt), /^\d{4}-\d\d-\d\dT/);
    assert.doesNotMatch(healthy.out, /access_token|refresh_token|eyJ/, 'doctor shows no token');

    // At rest: neither the access tokens the server saw nor any refresh token is in the store's files.
    const storeDir = join(config.dir, '.manifold');
    const bytes = readdirSync(storeDir)
      .map(file => readFileSync(join(storeDir, file)).toString('latin1'))
      .join('\n');
    const accessTokens = mcp.authorizations
      .filter((value): value is string => value !== undefined)
      .map(value => value.slice('Bearer '.length));
    assert.ok(accessTokens.length > 0);
    for (const token of accessTokens)
      assert.ok(!bytes.includes(token.split('.')[1] ?? token), 'an access token is stored in plain text');
    assert.doesNotMatch(bytes, /rt_[A-Za-z0-9_-]{16}/, 'a refresh token is stored in plain text');
    assert.equal(statSync(join(storeDir, 'manifold.db.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(storeDir, 'manifold.db')).mode & 0o777, 0o600);

    // Expired: refreshed silently (one refresh grant), no new sign-in.
    await sleep(2100);
    const refreshes = as.counts.refresh_token;
    const refreshed = await call();
    assert.equal(refreshed.code, 0, refreshed.err);
    assert.equal(as.counts.refresh_token, refreshes + 1);
    assert.equal(as.counts.authorization_code, 1);

    // Revoked: the call and doctor both say what to do.
    as.revokeAll();
    await sleep(2100);
    const revoked = await call();
    assert.equal(revoked.code, 1);
    assert.match(
      revoked.err,
      /login required: run "manifold login github" \(the authorization server refused the stored refresh token/
    );
    const doctor = await cli(['doctor', '--config', config.path]);
    assert.equal(doctor.code, 1);
    assert.match(doctor.out, /github\s+down\s.*\s{2}login required: run "manifold login github"/);

    // Logging in again mends it; logging out forgets (and revokes) it.
    const again = await login(config.path, 'github');
    assert.equal(again.code, 0, again.err);
    assert.equal((await call()).code, 0);
    const logout = await cli(['logout', 'github', '--config', config.path]);
    assert.match(logout.out, /Signed out of "github": the stored tokens are deleted \(the refresh token was revoked/);
    assert.equal(as.counts.revocations, 1);
    assert.match((await call()).err, /login required/);
  });
});

describe('upstream OAuth: an authorization server that gives no refresh token', { timeout: 60_000 }, () => {
  it('says why a new login is needed once the access token expires', async () => {
    await using as = await startAuthorizationServer({ accessTokenTtl: 2, refreshTokens: false });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    assert.equal((await login(config.path, 'github')).code, 0);
    await sleep(2100);
    const expired = await cli(['call', 'github__whoami', '--config', config.path]);
    assert.equal(expired.code, 1);
    assert.match(expired.err, /login required: run "manifold login github" \(the access token expired and the authorization server gave no refresh token\)/);
  });
});

describe('upstream OAuth: an authorization server without dynamic registration', { timeout: 60_000 }, () => {
  it('login says to configure a client id', async () => {
    await using as = await startAuthorizationServer({ registration: false });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    const result = await cli(['login', 'github', '--config', config.path]);
    assert.equal(result.code, 1);
    assert.match(result.err, /offers no dynamic client registration, and Manifold has no client there: register one and set servers\.github\.oauth\.clientId/);
    assert.equal(as.authorizeRequests.length, 0);
  });
});

describe('upstream OAuth: a pre-registered confidential client', { timeout: 60_000 }, () => {
  it('signs in with the configured client id and secret on the registered redirect port, registers nothing, stores no secret', async () => {
    const port = await freePort();
    await using as = await startAuthorizationServer({
      clients: [{ clientId: 'manifold-prod', clientSecret: 'pre-registered-secret', redirectUris: [`http://127.0.0.1:${port}/callback`] }]
    });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    process.env.MANIFOLD_TEST_OAUTH_SECRET = 'pre-registered-secret';
    await using config = writeConfig({
      servers: { jira: { url: mcp.url, type: 'http', oauth: { clientId: 'manifold-prod', clientSecret: '${MANIFOLD_TEST_OAUTH_SECRET}', redirectPort: port } } }
    });
    const loggedIn = await login(config.path, 'jira');
    assert.equal(loggedIn.code, 0, loggedIn.err);
    assert.equal(as.counts.registrations, 0);
    assert.equal(as.counts.authorization_code, 1);
    assert.equal(as.authorizeRequests[0]?.get('client_id'), 'manifold-prod');
    const call = await cli(['call', 'jira__whoami', '--config', config.path]);
    assert.equal(call.code, 0, call.err);
    assert.equal(JSON.parse(call.out.trim()).clientId, 'manifold-prod');
    const store = new SqliteCredentialStore(join(config.dir, '.manifold', 'manifold.db'));
    try {
      const stored = store.load('jira');
      assert.equal(stored?.clientInformation?.client_id, 'manifold-prod');
      assert.doesNotMatch(JSON.stringify(stored), /pre-registered-secret/, 'the configured secret is not copied into the store');
    } finally {
      store.close();
    }
  });
});

describe('upstream OAuth: a running gateway', { timeout: 120_000 }, () => {
  it('takes the server down with "login required" when its refresh token is revoked, and is back after a new login', async () => {
    await using as = await startAuthorizationServer({ accessTokenTtl: 2 });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    assert.equal((await login(config.path, 'github')).code, 0);
    await using core = new GatewayCore({
      config: loadConfig(config.path).config,
      configPath: config.path,
      logger: createLogger({ level: 'silent' }),
      backoff: { baseMs: 200, maxMs: 400 }
    });
    await core.start();
    const upstream = core.upstreams.get('github');
    assert.ok(upstream && upstream.state.kind === 'ready');
    as.revokeAll();
    await sleep(2100);
    await assert.rejects(
      upstream.request('tools/call', { name: 'whoami', arguments: {} }, { describe: 'tool "whoami"' }),
      /tool "whoami" on server "github" failed: login required: run "manifold login github" \(the authorization server refused the stored refresh token/
    );
    await waitFor(
      () =>
        upstream.state.kind === 'failed' &&
        upstream.state.reason.startsWith('login required: run "manifold login github"'),
      'the server down with the reason'
    );
    // Someone logs in (another process): the next retry reads the new tokens from the store.
    assert.equal((await login(config.path, 'github')).code, 0);
    await waitFor(() => upstream.state.kind === 'ready', 'the server back up after the login', 15_000);
    const result = await upstream.request(
      'tools/call',
      { name: 'whoami', arguments: {} },
      { describe: 'tool "whoami"' }
    );
    assert.match(JSON.stringify(result), /alice/);
  });
  it('parallel calls after the token expired share one refresh (a rotated refresh token is redeemed once)', async () => {
    await using as = await startAuthorizationServer({ accessTokenTtl: 2 });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    assert.equal((await login(config.path, 'github')).code, 0);
    await using core = new GatewayCore({
      config: loadConfig(config.path).config,
      configPath: config.path,
      logger: createLogger({ level: 'silent' })
    });
    await core.start();
    const upstream = core.upstreams.get('github');
    assert.ok(upstream && upstream.state.kind === 'ready');
    await sleep(2100);
    const refreshes = as.counts.refresh_token;
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        upstream.request('tools/call', { name: 'whoami', arguments: {} }, { describe: 'tool "whoami"' })
      )
    );
    for (const result of results) assert.match(JSON.stringify(result), /alice/);
    assert.equal(as.counts.refresh_token, refreshes + 1, 'one refresh for twelve calls');
    assert.equal(as.counts.refused.invalid_grant ?? 0, 0, 'no refresh token was presented twice');
  });

  it("perClient: every client's own session shares the server's sign-in, and one refresh serves them all", async () => {
    await using as = await startAuthorizationServer({ accessTokenTtl: 2 });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({
      servers: { github: { url: mcp.url, type: 'http', perClient: true, oauth: {} } }
    });
    assert.equal((await login(config.path, 'github')).code, 0);
    await using core = new GatewayCore({
      config: loadConfig(config.path).config,
      configPath: config.path,
      logger: createLogger({ level: 'silent' })
    });
    await core.start();
    const call = (sessionId: string) =>
      core.pipeline({
        method: 'tools/call',
        params: { name: 'github__whoami', arguments: {} },
        downstream: {
          era: 'legacy',
          sessionId,
          signal: new AbortController().signal,
          clientCapabilities: {},
          progressToken: undefined,
          notify: () => Promise.resolve(),
          log: () => {}
        }
      });
    for (const session of ['a', 'b', 'c']) assert.match(JSON.stringify(await call(session)), /alice/);
    await sleep(2100);
    const refreshes = as.counts.refresh_token;
    const results = await Promise.all(['a', 'b', 'c', 'a', 'b', 'c'].map(call));
    for (const result of results) assert.match(JSON.stringify(result), /alice/);
    assert.equal(as.counts.refresh_token, refreshes + 1, 'one refresh for three client sessions');
    assert.equal(as.counts.refused.invalid_grant ?? 0, 0);
  });

  it('a tool that needs a scope the sign-in lacks fails saying which and how to get it; the server stays up', async () => {
    await using as = await startAuthorizationServer();
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({ servers: { github: { url: mcp.url, type: 'http', oauth: {} } } });
    assert.equal((await login(config.path, 'github')).code, 0);
    await using core = new GatewayCore({
      config: loadConfig(config.path).config,
      configPath: config.path,
      logger: createLogger({ level: 'silent' })
    });
    await core.start();
    const upstream = core.upstreams.get('github');
    assert.ok(upstream && upstream.state.kind === 'ready');
    await assert.rejects(
      upstream.request('tools/call', { name: 'admin', arguments: {} }, { describe: 'tool "admin"' }),
      /tool "admin" on server "github" failed: server "github" asks for scope "admin", which its sign-in was not granted: add it to servers\.github\.oauth\.scopes and run "manifold login github"/
    );
    assert.equal(upstream.state.kind, 'ready');
    assert.match(
      JSON.stringify(
        await upstream.request('tools/call', { name: 'whoami', arguments: {} }, { describe: 'tool "whoami"' })
      ),
      /alice/
    );
    assert.equal(as.authorizeRequests.length, 1, 'no sign-in was started by the gateway');

    // With the scope configured, a new login grants it and the tool works.
    await using widened = writeConfig({
      servers: { github: { url: mcp.url, type: 'http', oauth: { scopes: ['admin'] } } }
    });
    assert.equal((await login(widened.path, 'github')).code, 0);
    const admin = await cli(['call', 'github__admin', '--config', widened.path]);
    assert.equal(admin.code, 0, admin.err);
    assert.match(admin.out, /admin done/);
  });

  it('sends nothing to an authorization server other than the configured issuer', async () => {
    await using as = await startAuthorizationServer();
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
    await using config = writeConfig({
      servers: { github: { url: mcp.url, type: 'http', oauth: { issuer: 'https://login.example.com' } } }
    });
    const result = await cli(['login', 'github', '--config', config.path]);
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      new RegExp(
        `sends Manifold to the authorization server ${as.issuer}, not the one configured \\(servers\\.github\\.oauth\\.issuer: https://login\\.example\\.com\\)`
      )
    );
    assert.equal(as.counts.registrations, 0);
    assert.equal(as.authorizeRequests.length, 0);
  });
});

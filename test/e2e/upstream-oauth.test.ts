/**
 * Upstream credentials (issue 11, item 3): Manifold as an OAuth 2.1 client of a remote server that demands a
 * token, against the fixture authorization server and protected MCP server (test/fixtures/oauth/): client
 * credentials, and the client's own token never forwarded. Sign-ins: upstream-oauth-login.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GatewayCore } from '../../src/gateway/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startAuthorizationServer } from '../fixtures/oauth/authorization-server.js';
import { startProtectedMcpServer } from '../fixtures/oauth/protected-mcp-server.js';
import { firstText } from '../helpers/fixtures.js';
import { connectHttp, startHttpGateway, writeConfig } from '../helpers/gateway.js';
import { cli, sleep } from '../helpers/oauth.js';

describe('upstream OAuth: client credentials', { timeout: 60_000 }, () => {
  for (const protocol of ['modern', 'legacy'] as const) {
    it(`${protocol} upstream: connects with a token it fetched itself, and fetches a new one when the server refuses the expired one`, async () => {
      await using as = await startAuthorizationServer({
        accessTokenTtl: 2,
        clients: [{ clientId: 'svc', clientSecret: 's3cret' }]
      });
      await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
      process.env.MANIFOLD_TEST_OAUTH_SECRET = 's3cret';
      await using config = writeConfig({
        servers: {
          api: {
            url: mcp.url,
            type: 'http',
            protocol,
            oauth: { grant: 'client_credentials', clientId: 'svc', clientSecret: '${MANIFOLD_TEST_OAUTH_SECRET}' }
          }
        },
        store: { path: ':memory:' }
      });
      const first = await cli(['call', 'api__whoami', '--config', config.path]);
      assert.equal(first.code, 0, first.err);
      assert.equal(JSON.parse(first.out.trim()).clientId, 'svc');
      assert.ok(as.counts.client_credentials >= 1);

      // Within one gateway: a call after the token expired gets a fresh one (the server's 401, then a new grant).
      await using core = new GatewayCore({
        config: loadConfig(config.path).config,
        configPath: config.path,
        logger: createLogger({ level: 'silent' })
      });
      await core.start();
      const upstream = core.upstreams.get('api');
      assert.ok(upstream && upstream.state.kind === 'ready');
      const grantsBefore = as.counts.client_credentials;
      const refusedBefore = mcp.refused;
      await sleep(3100);
      const result = await upstream.request(
        'tools/call',
        { name: 'whoami', arguments: {} },
        { describe: 'tool "whoami"' }
      );
      assert.match(JSON.stringify(result), /svc/);
      assert.ok(as.counts.client_credentials > grantsBefore, 'a new token for the expired one');
      assert.ok(mcp.refused > refusedBefore, 'the expired token was refused by the server first');
      assert.equal(upstream.state.kind === 'ready' && upstream.state.era, protocol);
    });
  }
});

describe('upstream OAuth: a server that refuses the token just issued', { timeout: 60_000 }, () => {
  it('is down with what the server said, not retried in a loop', async () => {
    await using as = await startAuthorizationServer({ clients: [{ clientId: 'svc', clientSecret: 's3cret' }] });
    await using mcp = await startProtectedMcpServer({ issuer: as.issuer, audience: 'https://elsewhere.example/mcp' });
    process.env.MANIFOLD_TEST_OAUTH_SECRET = 's3cret';
    await using config = writeConfig({
      servers: { api: { url: mcp.url, type: 'http', oauth: { grant: 'client_credentials', clientId: 'svc', clientSecret: '${MANIFOLD_TEST_OAUTH_SECRET}' } } },
      store: { path: ':memory:' }
    });
    const doctor = await cli(['doctor', '--json', '--config', config.path]);
    assert.equal(doctor.code, 1);
    const [row] = (JSON.parse(doctor.out) as { servers: { status: string; error?: string }[] }).servers;
    assert.equal(row?.status, 'down');
    assert.match(row?.error ?? '', /^server "api" refused the token its authorization server just issued \(HTTP 401 invalid_token: invalid token: JWTClaimValidationFailed/);
    assert.equal(as.counts.client_credentials, 1, 'one token, not a loop of them');
  });
});

describe("upstream OAuth: the client's own token is never forwarded", { timeout: 120_000 }, () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client over HTTP with its own Authorization header: the upstream only ever sees the gateway's token`, async () => {
      await using as = await startAuthorizationServer({ clients: [{ clientId: 'svc', clientSecret: 's3cret' }] });
      await using mcp = await startProtectedMcpServer({ issuer: as.issuer });
      process.env.MANIFOLD_TEST_OAUTH_SECRET = 's3cret';
      await using config = writeConfig({
        servers: {
          api: {
            url: mcp.url,
            type: 'http',
            oauth: { grant: 'client_credentials', clientId: 'svc', clientSecret: '${MANIFOLD_TEST_OAUTH_SECRET}' }
          }
        },
        store: { path: ':memory:' }
      });
      await using gateway = await startHttpGateway(config.path);
      const downstreamToken = 'downstream-client-secret-token';
      const withOwnToken: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${downstreamToken}`);
        return fetch(input, { ...init, headers });
      };
      await using client = await connectHttp(gateway.url, { era, fetch: withOwnToken });
      const result = await client.callTool({ name: 'api__whoami', arguments: {} });
      assert.equal(JSON.parse(firstText(result)).clientId, 'svc');
      assert.ok(mcp.authorizations.length > 0);
      for (const header of mcp.authorizations) {
        assert.ok(!header?.includes(downstreamToken), `the client's token reached the upstream: ${header}`);
        if (header !== undefined)
          assert.match(header, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'only JWTs of the authorization server');
      }
    });
  }
});

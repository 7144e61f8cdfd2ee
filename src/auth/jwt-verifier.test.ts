import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

import { parseConfig } from '../config/index.js';
import type { JwtAuthConfig } from '../config/index.js';
import { createJwtVerifier } from './jwt-verifier.js';

function jwtConfig(jwt: Record<string, unknown>): JwtAuthConfig {
  const auth = parseConfig(JSON.stringify({ auth: { jwt } })).config.auth;
  assert.ok(auth !== undefined && auth !== 'none' && auth.jwt);
  return auth.jwt;
}

describe('the bearer-token verifier', () => {
  it('reads a JWKS file (relative to the config folder) and verifies with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-jwks-'));
    try {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'f1', alg: 'ES256' }] }));
      const verifier = createJwtVerifier(jwtConfig({ issuer: 'iss', audience: 'api', file: 'jwks.json', principalClaim: 'client_id' }), dir);
      const token = await new SignJWT({ client_id: 'svc' }).setProtectedHeader({ alg: 'ES256', kid: 'f1' }).setIssuer('iss').setAudience('api').setExpirationTime('1m').sign(privateKey);
      const verdict = await verifier.verify(token, ['api']);
      assert.ok(verdict.ok);
      assert.equal(verdict.principal.name, 'svc');
      const noClaim = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'f1' }).setIssuer('iss').setAudience('api').setExpirationTime('1m').sign(privateKey);
      assert.deepEqual(await verifier.verify(noClaim, ['api']), {
        ok: false,
        error: 'invalid_token',
        description: 'the token has no "client_id" claim naming the caller (auth.jwt.principalClaim)'
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a JWKS file that cannot be read is a startup error naming auth.jwt.file', () => {
    assert.throws(() => createJwtVerifier(jwtConfig({ issuer: 'iss', audience: 'api', file: 'missing.json' }), tmpdir()), /auth\.jwt\.file: cannot read the JWKS .*missing\.json/);
  });

  it('a rotated provider key is picked up: a token with an unknown kid makes the JWKS be fetched again (after the cooldown)', async () => {
    const first = await generateKeyPair('RS256', { extractable: true });
    const second = await generateKeyPair('RS256', { extractable: true });
    let keys: JWK[] = [{ ...(await exportJWK(first.publicKey)), kid: 'old', alg: 'RS256' }];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const jwks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const verifier = createJwtVerifier(jwtConfig({ issuer: 'iss', audience: 'api', jwks }), tmpdir(), { jwksCooldownMs: 0 });
      const sign = (key: Parameters<SignJWT['sign']>[0], kid: string) => new SignJWT({ sub: kid }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('iss').setAudience('api').setExpirationTime('1m').sign(key);
      assert.ok((await verifier.verify(await sign(first.privateKey, 'old'), ['api'])).ok);
      assert.ok((await verifier.verify(await sign(first.privateKey, 'old'), ['api'])).ok);
      assert.equal(fetches, 1, 'cached');
      keys = [{ ...(await exportJWK(second.publicKey)), kid: 'new', alg: 'RS256' }];
      const rotated = await verifier.verify(await sign(second.privateKey, 'new'), ['api']);
      assert.ok(rotated.ok, JSON.stringify(rotated));
      assert.equal(fetches, 2);
    } finally {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('a verified token is taken on trust for its endpoint until it expires, and at most a minute', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      void exportJWK(publicKey).then(jwk => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...jwk, kid: 'k', alg: 'RS256' }] })));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
    let clock = Date.now();
    try {
      const jwks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const verifier = createJwtVerifier(jwtConfig({ issuer: 'iss', audience: ['api', 'api/a'], jwks, leeway: 0 }), tmpdir(), { jwksCooldownMs: 0, now: () => clock });
      const exp = Math.floor(clock / 1000) + 30;
      const token = await new SignJWT({ sub: 'a', aud: 'api' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer('iss').setExpirationTime(exp).sign(privateKey);
      const first = await verifier.verify(token, ['api']);
      assert.ok(first.ok);
      // The same token at the same endpoint: the principal of the first check, not a second verification ...
      const again = await verifier.verify(token, ['api']);
      assert.ok(again.ok);
      assert.equal(again.principal, first.principal, 'the very same object: from the cache');
      // ... but another endpoint's audiences are checked afresh ...
      assert.equal((await verifier.verify(token, ['api/a'])).ok, false);
      // ... and not past its expiry.
      clock = exp * 1000 + 1;
      assert.equal((await verifier.verify(token, ['api'])).ok, false);
      assert.equal(fetches, 1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a provider whose JWKS cannot be fetched makes tokens uncheckable (unavailable), not invalid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const verifier = createJwtVerifier(jwtConfig({ issuer: 'iss', audience: 'api', jwks: 'http://127.0.0.1:9/jwks.json' }), tmpdir());
    const token = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'RS256', kid: 'x' }).setIssuer('iss').setAudience('api').setExpirationTime('1m').sign(privateKey);
    const verdict = await verifier.verify(token, ['api']);
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.error, 'unavailable');
  });
});

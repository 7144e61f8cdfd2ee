import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from './parse-config.js';

const errorOf = (text: string, env: Record<string, string> = {}) => {
  try {
    parseConfig(text, { env });
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected a config error');
};

describe('the auth: block', () => {
  it('accepts none, keys (literal, ${ENV}, hash) and jwt with defaults', () => {
    assert.equal(parseConfig('auth: none').config.auth, 'none');
    const auth = parseConfig(
      `views: { a: {} }
auth:
  keys:
    - { name: ci, key: "\${KEY}", views: [a, default], expires: "2999-01-01" }
    - { name: ops, hash: "sha256:${'ab'.repeat(32)}" }
  jwt: { issuer: https://id.example, audience: https://gw.example/mcp, jwks: https://id.example/jwks }`,
      { env: { KEY: 'k'.repeat(20) } }
    ).config.auth;
    assert.ok(auth !== undefined && auth !== 'none');
    assert.equal(auth.keys[0]?.key, 'k'.repeat(20));
    assert.equal(auth.keys[0]?.expires, Date.parse('2999-01-01'));
    assert.deepEqual(auth.jwt?.audience, ['https://gw.example/mcp']);
    assert.equal(auth.jwt?.leeway, 60_000);
    assert.equal(auth.jwt?.principalClaim, 'sub');
    assert.ok(!auth.jwt?.algorithms.some(alg => alg.startsWith('HS')), 'no HMAC algorithm by default');
  });

  it('names the config path of each problem', () => {
    // References are checked once the block's shape is right (as for agents and routers).
    const references = errorOf(`views: { a: {} }
auth:
  keys:
    - { name: a, key: "0123456789abcdef0", views: [a, nope] }
    - { name: a, key: "0123456789abcdef1" }
    - { name: e, key: "0123456789abcdefX", expires: "2020-01-01" }`);
    assert.match(references, /auth\.keys\.0\.views\.1: unknown view "nope"; declared views: "default", "a"/);
    assert.match(references, /auth\.keys\.1\.name: the name "a" is already used by auth\.keys\.0/);
    assert.match(references, /auth\.keys\.2\.expires: key "e" expired on 2020-01-01/);
    const message = errorOf(`auth:
  keys:
    - { name: a, hash: "sha256:zz" }
    - { name: c }
    - { name: d, key: short }
  jwt: { issuer: x, audience: y, algorithms: [HS256] }`);
    assert.match(message, /auth\.keys\.0\.hash: expected "sha256:" and 64 hex digits/);
    assert.match(message, /auth\.keys\.1: key "c" needs exactly one of "key" .* or "hash"/);
    assert.match(message, /auth\.keys\.2\.key: a key needs at least 16 characters/);
    assert.match(message, /auth\.jwt\.algorithms\.0/);
    assert.match(errorOf('auth: { jwt: { issuer: x, audience: y } }'), /auth\.jwt: give exactly one of "jwks" .* or "file"/);
    assert.match(errorOf('auth: { keys: [{ name: a, key: "${NOPE}" }] }'), /auth\.keys\.0\.key: environment variable NOPE is not set/);
    assert.match(errorOf('auth: open'), /auth: expected "none" .* or a mapping with "keys" and\/or "jwt"/);
  });
});

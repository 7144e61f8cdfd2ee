import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { canonicalJson, isSecretKey, redactSecrets } from './canonical-json.js';

describe('canonical JSON and redaction', () => {
  it('sorts keys at every depth, drops undefined members, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.equal(canonicalJson([undefined, 'é']), '[null,"é"]');
  });

  it('redacts secret-named members at any depth, whatever their case and separators; leaves the rest', () => {
    for (const key of ['token', 'Authorization', 'api_key', 'apiKey', 'API-KEY', 'password', 'client_secret', 'secret', 'private_key', 'refresh_token']) {
      assert.ok(isSecretKey(key), key);
    }
    for (const key of ['tokens_used', 'name', 'path', 'keyword', 'author']) assert.ok(!isSecretKey(key), key);
    assert.deepEqual(redactSecrets({ q: 'x', auth: { password: 'p', user: 'u' }, list: [{ token: 't' }] }), {
      q: 'x',
      auth: { password: '[redacted]', user: 'u' },
      list: [{ token: '[redacted]' }]
    });
  });
});

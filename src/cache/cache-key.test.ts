import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cacheKey, canonicalJson } from './cache-key.js';

describe('cache keys', () => {
  it('canonical JSON sorts keys at every depth and leaves undefined properties out', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } }),
      '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}'
    );
    assert.equal(canonicalJson([undefined, null]), '[null,null]');
  });

  it('the same call in another key order is one key; another principal, method, target or argument is another', () => {
    const base = cacheKey('key:alice', 'tools/call', 's__t', { a: 1, b: [1, 2] });
    assert.equal(cacheKey('key:alice', 'tools/call', 's__t', { b: [1, 2], a: 1 }), base);
    for (const other of [
      cacheKey('key:bob', 'tools/call', 's__t', { a: 1, b: [1, 2] }),
      cacheKey('key:alice', 'resources/read', 's__t', { a: 1, b: [1, 2] }),
      cacheKey('key:alice', 'tools/call', 's__u', { a: 1, b: [1, 2] }),
      cacheKey('key:alice', 'tools/call', 's__t', { a: 1, b: [2, 1] }),
      cacheKey('key:alice', 'tools/call', 's__t', { a: '1', b: [1, 2] })
    ]) {
      assert.notEqual(other, base);
    }
    assert.equal(cacheKey('p', 'tools/call', 't', undefined), cacheKey('p', 'tools/call', 't', {}));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cacheHintOf, combineCacheHints } from './cache-hints.js';

describe('cache hints', () => {
  it('reads a result: missing ttl is 0, missing or unknown scope is private', () => {
    assert.deepEqual(cacheHintOf({ ttlMs: 5000, cacheScope: 'public' }), { ttlMs: 5000, cacheScope: 'public' });
    assert.deepEqual(cacheHintOf({}), { ttlMs: 0, cacheScope: 'private' });
    assert.deepEqual(cacheHintOf({ ttlMs: -1, cacheScope: 'shared' }), { ttlMs: 0, cacheScope: 'private' });
    assert.deepEqual(cacheHintOf({ ttlMs: 1.5 }), { ttlMs: 0, cacheScope: 'private' });
  });

  it('combines parts: min ttl, private wins', () => {
    assert.equal(combineCacheHints([]), undefined);
    assert.deepEqual(
      combineCacheHints([
        { ttlMs: 60_000, cacheScope: 'public' },
        { ttlMs: 30_000, cacheScope: 'public' }
      ]),
      { ttlMs: 30_000, cacheScope: 'public' }
    );
    assert.deepEqual(
      combineCacheHints([
        { ttlMs: 1000, cacheScope: 'public' },
        { ttlMs: 9000, cacheScope: 'private' }
      ]),
      { ttlMs: 1000, cacheScope: 'private' }
    );
  });
});

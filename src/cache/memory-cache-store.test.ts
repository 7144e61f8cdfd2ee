import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryCacheStore } from './memory-cache-store.js';

const entry = (value: string, expiresAt = Number.MAX_SAFE_INTEGER, tags: string[] = []) => ({ value, expiresAt, tags });

describe('MemoryCacheStore', () => {
  it('drops the least recently used entry at maxEntries; a read makes an entry recent', async () => {
    const store = new MemoryCacheStore({ maxEntries: 2, maxBytes: 1024 });
    await store.set('a', entry('"a"'));
    await store.set('b', entry('"b"'));
    assert.ok(await store.get('a'));
    await store.set('c', entry('"c"'));
    assert.equal(await store.get('b'), undefined, 'b was the least recently used');
    assert.ok(await store.get('a'));
    assert.ok(await store.get('c'));
    assert.equal(store.stats().evictions, 1);
  });

  it('keeps the bytes of its values under maxBytes, and never keeps a value larger than all of it', async () => {
    const store = new MemoryCacheStore({ maxEntries: 100, maxBytes: 100 });
    for (const key of ['a', 'b', 'c']) await store.set(key, entry('x'.repeat(40)));
    assert.deepEqual([store.stats().entries, store.stats().bytes], [2, 80]);
    assert.equal(await store.get('a'), undefined);
    await store.set('huge', entry('x'.repeat(101)));
    assert.equal(await store.get('huge'), undefined);
    // Bytes are UTF-8 bytes, not characters.
    await store.set('b', entry('é'.repeat(30)));
    assert.equal(store.stats().bytes, 60 + 40);
  });

  it('an expired entry is not served and is counted as expired', async () => {
    let now = 1000;
    const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 1024, now: () => now });
    await store.set('a', entry('"a"', 1500));
    assert.ok(await store.get('a'));
    now = 1500;
    assert.equal(await store.get('a'), undefined);
    assert.deepEqual([store.stats().entries, store.stats().expirations, store.stats().bytes], [0, 1, 0]);
  });

  it('invalidate drops every entry with the tag, and only those', async () => {
    const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 1024 });
    await store.set('a', entry('1', undefined, ['tools:s', 'session:1']));
    await store.set('b', entry('2', undefined, ['tools:s']));
    await store.set('c', entry('3', undefined, ['tools:t']));
    assert.equal(await store.invalidate('tools:s'), 2);
    assert.equal(await store.invalidate('session:1'), 0, 'the index forgot the dropped entry');
    assert.ok(await store.get('c'));
    assert.deepEqual([store.stats().entries, store.stats().invalidations], [1, 2]);
    // Replacing an entry drops its old tags.
    await store.set('c', entry('4', undefined, ['tools:u']));
    assert.equal(await store.invalidate('tools:t'), 0);
    assert.equal(await store.invalidate('tools:u'), 1);
  });
});

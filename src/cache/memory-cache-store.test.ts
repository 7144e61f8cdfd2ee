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

  it('evicts in exactly least-recently-used order over a long mixed run (against a plain list)', async () => {
    const store = new MemoryCacheStore({ maxEntries: 20, maxBytes: 1_000_000 });
    const reference: string[] = []; // oldest first
    let seed = 7;
    const random = (below: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % below;
    for (let step = 0; step < 3000; step++) {
      const key = `k${random(40)}`;
      if (random(2) === 0) {
        const found = await store.get(key);
        const at = reference.indexOf(key);
        assert.equal(found !== undefined, at >= 0, `step ${step}: get ${key}`);
        if (at >= 0) reference.push(...reference.splice(at, 1));
      } else {
        await store.set(key, entry(`"${key}"`));
        const at = reference.indexOf(key);
        if (at >= 0) reference.splice(at, 1);
        if (reference.length >= 20) reference.shift();
        reference.push(key);
      }
      assert.equal(store.stats().entries, reference.length);
    }
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

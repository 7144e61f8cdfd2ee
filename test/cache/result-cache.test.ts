/**
 * The result cache (`cache:`) in front of a real fixture server, whose own counts tell hits from misses:
 * read-only tools and reads are kept per principal, shared only on a public hint, for the configured TTL or
 * the server's ttlMs; errors are not kept; identical calls in flight make one call; restarts, list changes
 * and resource updates drop entries; workflow steps go through the same cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { alice, bob, type CacheGateway, cacheableServer, startCacheGateway, waitUntil } from './helpers.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('result cache', () => {
  let gateway: CacheGateway;

  before(async () => {
    gateway = await startCacheGateway({
      servers: {
        c: cacheableServer(),
        t: cacheableServer({ cache: { ttl: 300 } }),
        x: cacheableServer({ cache: false })
      },
      cache: { ttl: '60s', statsInterval: 0 },
      workflows: {
        lookup_twice: {
          description: 'Looks the same key up twice',
          steps: [
            { id: 'first', call: 'c__lookup', with: { key: 'wf' } },
            { id: 'second', call: 'c__lookup', with: { key: 'wf' } }
          ]
        }
      }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('a read-only tool is called once; the repeats are hits, counted at the server and in the stats', async () => {
    const before = gateway.core.cache!.stats().servers.c ?? { hits: 0, misses: 0 };
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'a' }), { key: 'a', calls: 1 });
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'a' }), { key: 'a', calls: 1 });
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'a' }), { key: 'a', calls: 1 });
    // Other arguments are another entry; the same arguments in another key order are the same one.
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'b', ms: 0 }), { key: 'b', calls: 1 });
    assert.deepEqual(await gateway.callJson('c__lookup', { ms: 0, key: 'b' }), { key: 'b', calls: 1 });
    const counts = await gateway.counts();
    assert.equal(counts['lookup a'], 1);
    assert.equal(counts['lookup b'], 1);
    const stats = gateway.core.cache!.stats().servers.c!;
    assert.equal(stats.hits - before.hits, 3);
    assert.equal(stats.misses - before.misses, 2);
  });

  it('a tool that is not read-only is never cached, even when idempotent', async () => {
    await gateway.call('c__bump', { key: 'n' });
    await gateway.call('c__bump', { key: 'n' });
    assert.equal((await gateway.counts())['bump n'], 2);
  });

  it('servers.<name>.cache: false keeps a server out', async () => {
    await gateway.call('x__lookup', { key: 'off' });
    await gateway.call('x__lookup', { key: 'off' });
    assert.equal((await gateway.counts('x'))['lookup off'], 2);
  });

  it('two principals do not share a tool result; one principal does', async () => {
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'p' }, { principal: alice }), { key: 'p', calls: 1 });
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'p' }, { principal: bob }), { key: 'p', calls: 2 });
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'p' }, { principal: alice }), { key: 'p', calls: 1 });
    assert.deepEqual(
      await gateway.callJson('c__lookup', { key: 'p' }),
      { key: 'p', calls: 3 },
      'the local user is a third principal'
    );
    // A key and a bearer token of the same name are different callers.
    assert.deepEqual(await gateway.callJson('c__lookup', { key: 'p' }, { principal: { name: 'alice', kind: 'jwt' } }), {
      key: 'p',
      calls: 4
    });
    assert.equal((await gateway.counts())['lookup p'], 4);
  });

  it('a read the server marks public is shared by principals; a private one is not', async () => {
    assert.equal((await gateway.readJson('data://public', { principal: alice })).reads, 1);
    assert.equal((await gateway.readJson('data://public', { principal: bob })).reads, 1);
    assert.equal((await gateway.readJson('data://private', { principal: alice })).reads, 1);
    assert.equal((await gateway.readJson('data://private', { principal: bob })).reads, 2);
    assert.equal((await gateway.readJson('data://private', { principal: bob })).reads, 2);
    const counts = await gateway.counts();
    assert.equal(counts['read data://public'], 1);
    assert.equal(counts['read data://private'], 2);
  });

  it("the server's ttlMs is honoured: 0 is never kept, 400 ms expires, and a hit says what is left of it", async () => {
    // data://nohint: the SDK stamps ttlMs 0 on a 2026-07-28 result without a hint of its own.
    assert.equal((await gateway.readJson('data://nohint')).reads, 1);
    assert.equal((await gateway.readJson('data://nohint')).reads, 2);
    const first = await gateway.request('resources/read', { uri: 'data://short' });
    assert.equal(first.ttlMs, 400);
    const started = Date.now();
    const second = await gateway.request('resources/read', { uri: 'data://short' });
    if (Date.now() - started < 300) {
      // Served from the cache (a loaded machine may take longer than the hint: then it was rightly a miss).
      assert.equal(JSON.parse((second.contents as Array<{ text: string }>)[0]!.text).reads, 1);
      assert.ok(
        typeof second.ttlMs === 'number' && second.ttlMs <= 400,
        `the hit's ttlMs is what is left (${String(second.ttlMs)})`
      );
    }
    await sleep(450);
    const third = await gateway.readJson('data://short');
    assert.equal(third.reads, (await gateway.counts())['read data://short']);
    assert.ok((third.reads as number) >= 2, 'past its ttlMs the read goes to the server again');
  });

  it('a tool result expires after the configured ttl (servers.<name>.cache.ttl)', async () => {
    const started = Date.now();
    await gateway.call('t__lookup', { key: 'ttl' });
    await gateway.call('t__lookup', { key: 'ttl' });
    const within = Date.now() - started < 250;
    await sleep(350);
    await gateway.call('t__lookup', { key: 'ttl' });
    const calls = (await gateway.counts('t'))['lookup ttl'];
    if (within) assert.equal(calls, 2, 'one call, a hit, then a call after the ttl');
    else assert.ok(calls === 2 || calls === 3, `a loaded machine: ${calls} calls`);
  });

  it('errors are not kept: an isError result, a JSON-RPC error', async () => {
    const first = await gateway.call('c__fails', { key: 'e' });
    assert.equal(first.isError, true);
    await gateway.call('c__fails', { key: 'e' });
    assert.equal((await gateway.counts())['fails e'], 2);
    await assert.rejects(gateway.request('resources/read', { uri: 'data://item/boom' }));
    await assert.rejects(gateway.request('resources/read', { uri: 'data://item/boom' }));
    assert.equal((await gateway.counts())['read data://item/boom'], 2);
  });

  it('identical calls in flight at once make one upstream call per principal (single flight)', async () => {
    const before = gateway.core.cache!.stats().coalesced;
    const same = await Promise.all(
      Array.from({ length: 5 }, () => gateway.callJson('c__lookup', { key: 'sf', ms: 300 }, { principal: alice }))
    );
    assert.deepEqual(
      same.map(result => result.calls),
      [1, 1, 1, 1, 1]
    );
    assert.equal(gateway.core.cache!.stats().coalesced - before, 4);
    // Two principals at once: one call each.
    await Promise.all([
      gateway.call('c__lookup', { key: 'sf2', ms: 300 }, { principal: alice }),
      gateway.call('c__lookup', { key: 'sf2', ms: 300 }, { principal: alice }),
      gateway.call('c__lookup', { key: 'sf2', ms: 300 }, { principal: bob }),
      gateway.call('c__lookup', { key: 'sf2', ms: 300 }, { principal: bob })
    ]);
    // A caller that asked for progress makes its own call (a joined call's progress goes to its leader).
    await Promise.all([
      gateway.call('c__lookup', { key: 'sf3', ms: 300 }),
      gateway.call('c__lookup', { key: 'sf3', ms: 300 }, { progressToken: 'p1' })
    ]);
    const counts = await gateway.counts();
    assert.equal(counts['lookup sf'], 1);
    assert.equal(counts['lookup sf2'], 2);
    assert.equal(counts['lookup sf3'], 2);
  });

  it('notifications/resources/updated drops every copy of that resource', async () => {
    const uri = 'data://private';
    await gateway.core.upstreams.get('c')!.setResourceSubscription(uri, true);
    await gateway.readJson(uri, { principal: alice });
    await gateway.readJson(uri, { principal: bob });
    const kept = (await gateway.counts())[`read ${uri}`]!;
    await gateway.readJson(uri, { principal: alice });
    await gateway.readJson(uri, { principal: bob });
    assert.equal((await gateway.counts())[`read ${uri}`], kept, "both principals' copies are served from the cache");
    const invalidations = gateway.core.cache!.stats().invalidations;
    await gateway.call('c__touch', { uri });
    await waitUntil(
      () => gateway.core.cache!.stats().invalidations >= invalidations + 2,
      'the update to drop both copies'
    );
    await gateway.readJson(uri, { principal: alice });
    await gateway.readJson(uri, { principal: bob });
    assert.equal((await gateway.counts())[`read ${uri}`], kept + 2);
  });

  it("a change of the server's tool list drops its tool results", async () => {
    await gateway.call('c__lookup', { key: 'lc' });
    await gateway.call('c__lookup', { key: 'lc' });
    assert.equal((await gateway.counts())['lookup lc'], 1);
    await gateway.call('c__add_tool', { name: 'added' });
    await waitUntil(() => gateway.core.catalog.findTool('c__added') !== undefined, 'the new tool in the catalog');
    await gateway.call('c__lookup', { key: 'lc' });
    assert.equal((await gateway.counts())['lookup lc'], 2);
  });

  it('workflow steps read and fill the same cache', async () => {
    await gateway.call('lookup_twice');
    assert.equal((await gateway.counts())['lookup wf'], 1, 'the second step was a hit');
    await gateway.call('c__lookup', { key: 'wf' });
    await gateway.call('lookup_twice');
    assert.equal((await gateway.counts())['lookup wf'], 1);
  });
});

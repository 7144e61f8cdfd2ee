/**
 * Fleet mode over Redis (docs/FLEET.md "Redis: limits, cache, budgets, events"): two gateway instances in this
 * process, each with its own HTTP face on loopback and its own copy of the real `cacheable` fixture (stdio),
 * sharing one real `redis-server` (test/helpers/redis.ts). A rate limit holds across both exactly within one
 * window; a result cached by A is served by B; a budget spent on A refuses on B; a list change A sees reaches a
 * 2026 listen stream and a 2025 session on B within 200 ms (measured and printed). Then Redis is killed: limits
 * fall back to each instance's memory with one warning, calls go on; it comes back: one "back" line, shared again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { fixtureServer } from '../helpers/gateway.js';
import { connectHttp } from '../helpers/gateway.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { type FleetInstance, principal, startInstance, textOf, waitUntil } from './fleet-instance.js';

const isRefusal = (text: string) => /rate limit/.test(text);

describe('fleet mode over Redis: two instances, one Redis', () => {
  let redis: TestRedis;
  let a: FleetInstance;
  let b: FleetInstance;
  const config = (instanceId: string) => ({
    servers: { c: fixtureServer('cacheable.ts') },
    // A generous command timeout: on a loaded test machine a slow answer would count locally (the fallback).
    redis: { url: redis.url, keyPrefix: 'fleet-test:', commandTimeout: '5s' },
    fleet: { instanceId },
    store: { path: ':memory:' },
    cache: { ttl: '1h' },
    limits: {
      calls: [
        { name: 'shared-window', principal: 'limited', tool: 'c__bump', requests: 10, per: '1h' },
        { name: 'outage', principal: 'outage-*', tool: 'c__bump', requests: 3, per: '1h' },
        { name: 'after', principal: 'after-*', tool: 'c__bump', requests: 3, per: '1h', by: [] }
      ]
    },
    budgets: [{ name: 'tiny', principal: 'spender', per: 'hour', tokens: 5 }]
  });

  before(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startInstance(config('inst-a')), startInstance(config('inst-b'))]);
  });
  after(async () => {
    await Promise.all([a?.[Symbol.asyncDispose](), b?.[Symbol.asyncDispose]()]);
    await redis?.stop();
  });

  it('each instance has its id, and both reach Redis', () => {
    assert.equal(a.core.fleet.instanceId, 'inst-a');
    assert.equal(b.core.fleet.instanceId, 'inst-b');
    assert.equal(a.core.fleet.redis?.up, true);
    assert.equal(b.core.fleet.bus.shared, true);
  });

  it('a rate limit holds across both instances, exactly: 24 concurrent calls (12 on each) against 10 per window', async () => {
    const who = principal('limited');
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, index) => (index % 2 === 0 ? a : b).call('c__bump', { key: `r${index}` }, who))
    );
    const refused = results.filter(result => result.isError === true && isRefusal(textOf(result)));
    assert.equal(results.length - refused.length, 10, `allowed: ${results.length - refused.length}`);
    assert.equal(refused.length, 14);
    assert.match(textOf(refused[0]!), /shared-window/);
  });

  it('a result cached by A is served by B without reaching B\'s server', async () => {
    const who = principal('alice');
    const first = await a.call('c__lookup', { key: 'shared' }, who);
    assert.deepEqual(JSON.parse(textOf(first)), { key: 'shared', calls: 1 });
    const second = await b.call('c__lookup', { key: 'shared' }, who);
    assert.deepEqual(JSON.parse(textOf(second)), { key: 'shared', calls: 1 });
    const countsB = JSON.parse(textOf(await b.call('c__counts'))) as Record<string, number>;
    assert.equal(countsB['lookup shared'], undefined, `B's server was called: ${JSON.stringify(countsB)}`);
    // Another principal's copy is its own: B asks its server.
    const bob = await b.call('c__lookup', { key: 'shared' }, principal('bob'));
    assert.deepEqual(JSON.parse(textOf(bob)), { key: 'shared', calls: 1 });
    assert.equal(b.core.cache?.stats().hits, 1);
  });

  it('a budget spent through A refuses the next call on B', async () => {
    const who = principal('spender');
    const spend = await a.call('c__lookup', { key: 'budget' }, who);
    assert.notEqual(spend.isError, true, textOf(spend));
    // A counts the answer in its next batch (setImmediate) and adds it to the shared window.
    await waitUntil(() => a.core.usage!.accounting.counted > 0, 'A counted the answer');
    const refused = await b.call('c__lookup', { key: 'budget-2' }, who);
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /token budget "tiny" spent for spender/);
  });

  it('a list change A sees reaches a 2026 listen stream and a 2025 session on B within 200 ms', async () => {
    await using modern = await connectHttp(b.http.url, { era: 'modern' });
    await using legacy = await connectHttp(b.http.url, { era: 'legacy' });
    let modernAt = 0;
    let legacyAt = 0;
    modern.setNotificationHandler('notifications/tools/list_changed', () => void (modernAt ||= performance.now()));
    legacy.setNotificationHandler('notifications/tools/list_changed', () => void (legacyAt ||= performance.now()));
    const subscription = await modern.listen({ toolsListChanged: true });
    try {
      let seenAt = 0;
      const stop = a.core.catalog.onChange(change => {
        if (change.upstream === 'c') seenAt ||= performance.now();
      });
      await using onA = await connectHttp(a.http.url, { era: 'legacy' });
      await onA.callTool({ name: 'c__add_tool', arguments: { name: 'fresh' } });
      await waitUntil(() => modernAt > 0 && legacyAt > 0, 'tools/list_changed on B (both clients)', 5000);
      stop();
      const modernMs = modernAt - seenAt;
      const legacyMs = legacyAt - seenAt;
      process.stdout.write(`# list change on A → B's clients: 2026 listen stream ${modernMs.toFixed(1)} ms, 2025 session ${legacyMs.toFixed(1)} ms\n`);
      assert.ok(seenAt > 0, 'A saw the change');
      assert.ok(modernMs < 200, `2026 listen stream after ${modernMs} ms`);
      assert.ok(legacyMs < 200, `2025 session after ${legacyMs} ms`);
    } finally {
      await subscription.close();
    }
  });

  it('a resource update A hears reaches a 2025 subscriber on B, and drops the copy B would serve', async () => {
    const uri = 'data://private';
    const who = principal('reader');
    const read = async (instance: FleetInstance) =>
      JSON.parse(((await instance.core.pipeline({ method: 'resources/read', params: { uri }, downstream: { era: 'legacy', sessionId: 'r', signal: new AbortController().signal, clientCapabilities: {}, progressToken: undefined, principal: who, notify: async () => {}, log: () => {} } })).contents as Array<{ text: string }>)[0]!.text);
    const first = await read(a);
    assert.deepEqual(await read(b), first, 'B serves the copy A kept');
    // A follows the resource upstream for a client of its own; B's subscriber hears of A's update only by the bus.
    await using onA = await connectHttp(a.http.url, { era: 'legacy' });
    await onA.subscribeResource({ uri });
    await using legacy = await connectHttp(b.http.url, { era: 'legacy' });
    const updated: string[] = [];
    legacy.setNotificationHandler('notifications/resources/updated', notification => void updated.push(notification.params.uri));
    await legacy.subscribeResource({ uri });
    await a.call('c__touch', { uri });
    await waitUntil(() => updated.includes(uri), 'resources/updated on B', 5000);
    // The shared copy is gone: B reads from its own server now.
    const countsBefore = JSON.parse(textOf(await b.call('c__counts'))) as Record<string, number>;
    await read(b);
    const countsAfter = JSON.parse(textOf(await b.call('c__counts'))) as Record<string, number>;
    assert.equal((countsAfter[`read ${uri}`] ?? 0) - (countsBefore[`read ${uri}`] ?? 0), 1, JSON.stringify(countsAfter));
  });

  it('a gateway-level change published on A (catalog-changed) reaches a listen stream on B', async () => {
    await using modern = await connectHttp(b.http.url, { era: 'modern' });
    let changed = 0;
    modern.setNotificationHandler('notifications/prompts/list_changed', () => void changed++);
    const subscription = await modern.listen({ promptsListChanged: true });
    try {
      a.core.fleet.bus.publish({ kind: 'catalog-changed', lists: ['prompts'], reason: 'a test' });
      await waitUntil(() => changed > 0, 'prompts/list_changed on B', 5000);
    } finally {
      await subscription.close();
    }
  });

  it('Redis killed: limits count locally with one warning and calls go on; Redis back: one "back" line, shared again', async () => {
    await redis.kill();
    await waitUntil(() => a.core.fleet.redis?.up === false && b.core.fleet.redis?.up === false, 'both instances see Redis down');
    // Each instance now counts in its own memory: 3 per instance, so 4 calls on A give 3 and a refusal.
    const who = principal('outage-1');
    const onA = [];
    for (let index = 0; index < 4; index++) onA.push(await a.call('c__bump', { key: `o${index}` }, who));
    assert.deepEqual(onA.map(result => isRefusal(textOf(result))), [false, false, false, true]);
    const onB = await b.call('c__bump', { key: 'o-b' }, who);
    assert.equal(isRefusal(textOf(onB)), false, 'B counts on its own while Redis is down');
    // The cache is bypassed, calls go to the server.
    const lookup = await a.call('c__lookup', { key: 'during-outage' }, principal('alice'));
    assert.deepEqual(JSON.parse(textOf(lookup)), { key: 'during-outage', calls: 1 });
    for (const instance of [a, b]) assert.equal(instance.logged(/is unreachable/).length, 1, instance.log.join('\n'));

    await redis.restart();
    await waitUntil(() => a.core.fleet.redis?.up === true && b.core.fleet.redis?.up === true, 'both instances see Redis back', 10_000);
    for (const instance of [a, b]) {
      assert.equal(instance.logged(/is back/).length, 1, instance.log.join('\n'));
      assert.equal(instance.logged(/is unreachable/).length, 1);
    }
    // Shared again: one bucket for everyone (by: []), 3 per window, calls from both instances.
    const again = await Promise.all([a, b, a, b].map((instance, index) => instance.call('c__bump', { key: `g${index}` }, principal(`after-${index}`))));
    assert.equal(again.filter(result => isRefusal(textOf(result))).length, 1);
    // And events flow again: B hears A's next list change.
    await waitUntil(() => b.core.fleet.bus.shared, 'B subscribed again');
    let heard = false;
    const stop = b.core.catalog.onChange(change => {
      if (change.upstream === 'c') heard = true;
    });
    await a.call('c__add_tool', { name: 'after-outage' });
    await waitUntil(() => heard, 'B re-listed after A\'s change', 5000);
    stop();
  });
});

/**
 * The Redis stores on their own, against a real `redis-server` (test/helpers/redis.ts): the cache store's bounds
 * (entries and bytes for everyone using that Redis, least recently used first), tag invalidation across two
 * connections, freshness; the rate store's exact window and give-back across two connections; the shared budget
 * windows; the event bus (its own messages ignored); the config's `redis:` and `fleet:` with their environment
 * variables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { RedisCacheStore } from '../../src/cache/index.js';
import { parseConfig } from '../../src/config/index.js';
import { type FleetEvent, RedisEventBus, RedisLink, resolveInstanceId } from '../../src/fleet/index.js';
import { RedisRateStore } from '../../src/limits/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { RedisSharedWindows } from '../../src/usage/index.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { waitUntil } from './fleet-instance.js';

const logger = createLogger({ level: 'silent' });
const entry = (value: string, ttlMs = 60_000, tags: string[] = []) => ({ value, expiresAt: Date.now() + ttlMs, tags });

describe('Redis stores', () => {
  let redis: TestRedis;
  let one: RedisLink;
  let two: RedisLink;
  let prefix = 0;
  const link = (keyPrefix: string) => new RedisLink({ url: redis.url, keyPrefix, commandTimeout: 5000, connectTimeout: 3000 }, logger);
  before(async () => {
    redis = await startRedis();
    one = link('s:');
    two = link('s:');
    assert.equal(await one.waitUntilUp(), true);
    assert.equal(await two.waitUntilUp(), true);
  });
  after(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await redis?.stop();
  });

  it('cache: the fleet-wide entry bound evicts the least recently used, and a read keeps an entry recent', async () => {
    const keyPrefix = `c${prefix++}:`;
    const [l1, l2] = [link(keyPrefix), link(keyPrefix)];
    await Promise.all([l1.waitUntilUp(), l2.waitUntilUp()]);
    const a = new RedisCacheStore({ link: l1, maxEntries: 3, maxBytes: 1_000_000 });
    const b = new RedisCacheStore({ link: l2, maxEntries: 3, maxBytes: 1_000_000 });
    await a.set('k1', entry('"one"'));
    await b.set('k2', entry('"two"'));
    await a.set('k3', entry('"three"'));
    assert.equal((await b.get('k1'))?.value, '"one"', 'B reads what A kept; k1 is now the most recent');
    await b.set('k4', entry('"four"'));
    assert.equal(await a.get('k2'), undefined, 'k2, least recently used, made room');
    assert.deepEqual((await Promise.all(['k1', 'k3', 'k4'].map(key => a.get(key)))).map(found => found?.value), ['"one"', '"three"', '"four"']);
    assert.equal(b.stats().evictions, 1);
    await Promise.all([l1.close(), l2.close()]);
  });

  it('cache: the byte bound holds for the whole fleet, and an entry over it is not kept', async () => {
    const keyPrefix = `c${prefix++}:`;
    const l1 = link(keyPrefix);
    await l1.waitUntilUp();
    const store = new RedisCacheStore({ link: l1, maxEntries: 100, maxBytes: 25 });
    await store.set('a', entry('x'.repeat(10)));
    await store.set('b', entry('y'.repeat(10)));
    await store.set('c', entry('z'.repeat(10)));
    assert.equal(await store.get('a'), undefined);
    assert.equal((await store.get('c'))?.value, 'z'.repeat(10));
    assert.ok(store.stats().bytes <= 25, JSON.stringify(store.stats()));
    await store.set('huge', entry('h'.repeat(26)));
    assert.equal(await store.get('huge'), undefined);
    await l1.close();
  });

  it('cache: a tag drops every instance\'s entries of it; an entry past its time is not served', async () => {
    const a = new RedisCacheStore({ link: one, maxEntries: 100, maxBytes: 1_000_000 });
    const b = new RedisCacheStore({ link: two, maxEntries: 100, maxBytes: 1_000_000 });
    await a.set('t1', entry('1', 60_000, ['tools:x']));
    await b.set('t2', entry('2', 60_000, ['tools:x', 'uri:data://y']));
    await b.set('t3', entry('3', 60_000, ['tools:other']));
    assert.equal(await b.invalidate('tools:x'), 2);
    assert.equal(await a.get('t1'), undefined);
    assert.equal(await a.get('t2'), undefined);
    assert.equal((await a.get('t3'))?.value, '3');
    await a.set('short', entry('s', 50));
    await new Promise(resolve => setTimeout(resolve, 80));
    assert.equal(await b.get('short'), undefined);
  });

  it('rate: one window across two connections is exact, and a request given back can be used again', async () => {
    const c1 = new RedisRateStore(one).counter({ id: 'exact', requests: 5, windowMs: 60_000 });
    const c2 = new RedisRateStore(two).counter({ id: 'exact', requests: 5, windowMs: 60_000 });
    const decisions = await Promise.all(Array.from({ length: 12 }, (_, index) => (index % 2 ? c1 : c2).take('who')));
    assert.equal(decisions.filter(decision => decision.allowed).length, 5);
    const refused = decisions.find(decision => !decision.allowed);
    assert.ok(refused && refused.msBeforeNext > 0 && refused.msBeforeNext <= 60_000);
    // A full window (no refusal counted yet): a request given back by one instance is taken by the other.
    for (let index = 0; index < 5; index++) assert.equal((await (index % 2 ? c1 : c2).take('back')).allowed, true);
    await c1.giveBack('back');
    assert.equal((await c2.take('back')).allowed, true);
    assert.equal((await c1.take('back')).allowed, false);
  });

  it('budget windows: two instances add to one window; a read sees both', async () => {
    const start = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const w1 = new RedisSharedWindows(one);
    const w2 = new RedisSharedWindows(two);
    w1.add([{ per: 'hour', start, dimension: 'p', name: 'carol', resultTokens: 7, modelTokens: 1 }]);
    w2.add([{ per: 'hour', start, dimension: 'p', name: 'carol', resultTokens: 5, modelTokens: 0 }]);
    await waitUntil(async () => (await w1.read([{ per: 'hour', start, dimension: 'p', name: 'carol' }]))?.[0]?.resultTokens === 12, 'both additions');
    assert.deepEqual(await w2.read([{ per: 'hour', start, dimension: 'p', name: 'carol' }, { per: 'day', start, dimension: 'v', name: 'none' }]), [
      { resultTokens: 12, modelTokens: 1 },
      { resultTokens: 0, modelTokens: 0 }
    ]);
  });

  it('event bus: the other instance hears an event once; the sender does not hear its own', async () => {
    const first = new RedisEventBus('one', one, logger);
    const second = new RedisEventBus('two', two, logger);
    assert.equal(await first.ready(3000), true);
    assert.equal(await second.ready(3000), true);
    const heardByFirst: FleetEvent[] = [];
    const heardBySecond: Array<{ event: FleetEvent; from: string }> = [];
    first.subscribe(event => void heardByFirst.push(event));
    second.subscribe((event, message) => void heardBySecond.push({ event, from: message.from }));
    first.publish({ kind: 'list-changed', server: 'github', lists: ['tools'] });
    await waitUntil(() => heardBySecond.length === 1, 'the event on the other instance');
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.deepEqual(heardBySecond, [{ event: { kind: 'list-changed', server: 'github', lists: ['tools'] }, from: 'one' }]);
    assert.deepEqual(heardByFirst, []);
  });

  it('config: redis: as a URL or with options, MANIFOLD_REDIS and MANIFOLD_INSTANCE_ID, and what is refused', () => {
    const parse = (text: string, env: Record<string, string> = {}) => parseConfig(text, { env }).config;
    assert.deepEqual(parse('redis: redis://127.0.0.1:6379/0').redis, { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'manifold:', commandTimeout: 500, connectTimeout: 3000 });
    assert.equal(parse('redis: { url: "rediss://h:6380", commandTimeout: 2s }').redis?.commandTimeout, 2000);
    assert.equal(parse('{}', { MANIFOLD_REDIS: 'redis://env:6379' }).redis?.url, 'redis://env:6379');
    assert.equal(parse('redis: redis://file:6379', { MANIFOLD_REDIS: 'redis://env:6379' }).redis?.url, 'redis://file:6379');
    assert.equal(parse('{}').redis, undefined);
    assert.equal(parse('{}', { MANIFOLD_INSTANCE_ID: 'gw-7' }).fleet.instanceId, 'gw-7');
    assert.throws(() => parse('redis: http://127.0.0.1:6379'), /redis: expected a redis:\/\/ or rediss:\/\/ URL/);
    assert.throws(() => parse('fleet: { instanceId: "Not OK" }'), /fleet\.instanceId/);
    assert.match(resolveInstanceId(undefined), /^[0-9a-z]{8}$/);
    assert.notEqual(resolveInstanceId(undefined, 1), resolveInstanceId(undefined, 2));
  });
});

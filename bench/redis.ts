/**
 * What fleet mode's shared state costs per call: `node --import tsx bench/redis.ts [--quick]`.
 *
 * One throwaway `redis-server` on loopback (test/helpers/redis.ts), and in this process, side by side in one run:
 * the rate store (`take`: one request counted) in memory and in Redis; the cache store (`get` of a hit, `set`)
 * in memory and in Redis; a budget check's read of the shared windows; and the event bus, publish to delivery
 * between two instances' connections. Each operation one at a time (the added latency of a call) and 64 in
 * flight (what it costs a busy instance), after a warm-up.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { MemoryCacheStore, RedisCacheStore } from '../src/cache/index.js';
import { RedisEventBus, RedisLink } from '../src/fleet/index.js';
import { MemoryRateStore, type RateStore, RedisRateStore } from '../src/limits/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { RedisSharedWindows } from '../src/usage/index.js';
import { startRedis } from '../test/helpers/redis.js';
import { percentile } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const operations = values.quick ? 3000 : 20_000;
const warmup = 500;
const logger = createLogger({ level: 'error' });

interface Row {
  what: string;
  one: { p50: number; p99: number; mean: number };
  many: { perOpUs: number; perSecond: number };
}

/** Latency one at a time (µs), then throughput with 64 in flight. */
async function measure(what: string, operation: (index: number) => Promise<unknown>): Promise<Row> {
  for (let index = 0; index < warmup; index++) await operation(index);
  const latencies: number[] = [];
  for (let index = 0; index < operations; index++) {
    const started = performance.now();
    await operation(index);
    latencies.push((performance.now() - started) * 1000);
  }
  latencies.sort((x, y) => x - y);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < operations) await operation(next++);
    })
  );
  const elapsedMs = performance.now() - started;
  return {
    what,
    one: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean: latencies.reduce((sum, value) => sum + value, 0) / latencies.length },
    many: { perOpUs: (elapsedMs * 1000) / operations, perSecond: (operations / elapsedMs) * 1000 }
  };
}

async function main(): Promise<void> {
  await using redis = await startRedis();
  const options = { url: redis.url, keyPrefix: 'bench:', commandTimeout: 1000, connectTimeout: 3000 };
  const link = new RedisLink(options, logger);
  const other = new RedisLink(options, logger);
  await Promise.all([link.waitUntilUp(), other.waitUntilUp()]);
  const rows: Row[] = [];

  const limit = { requests: 1_000_000_000, windowMs: 3_600_000 };
  const rate = (store: RateStore, id: string) => store.counter({ id, ...limit });
  const memoryRate = rate(new MemoryRateStore(), 'memory');
  const redisRate = rate(new RedisRateStore(link), 'redis');
  rows.push(await measure('rate limit take, memory', index => memoryRate.take(`key-${index % 16}`)));
  rows.push(await measure('rate limit take, redis', index => redisRate.take(`key-${index % 16}`)));

  const value = JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(400) }] });
  const entry = () => ({ value, expiresAt: Date.now() + 3_600_000, tags: ['tools:bench'] });
  const memoryCache = new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 64 * 1024 ** 2 });
  const redisCache = new RedisCacheStore({ link, maxEntries: 10_000, maxBytes: 64 * 1024 ** 2 });
  for (let index = 0; index < 100; index++) {
    await memoryCache.set(`hot-${index}`, entry());
    await redisCache.set(`hot-${index}`, entry());
  }
  rows.push(await measure('cache get (hit, 0.4 KB), memory', index => memoryCache.get(`hot-${index % 100}`)));
  rows.push(await measure('cache get (hit, 0.4 KB), redis', index => redisCache.get(`hot-${index % 100}`)));
  rows.push(await measure('cache set (0.4 KB, 1 tag), memory', index => memoryCache.set(`new-${index}`, entry())));
  rows.push(await measure('cache set (0.4 KB, 1 tag), redis', index => redisCache.set(`new-${index}`, entry())));

  const windows = new RedisSharedWindows(link);
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  windows.add([{ per: 'hour', start, dimension: 'p', name: 'bench', resultTokens: 10, modelTokens: 0 }]);
  rows.push(await measure('budget windows read (hour + day), redis', () =>
    windows.read([
      { per: 'hour', start, dimension: 'p', name: 'bench' },
      { per: 'day', start: Math.floor(Date.now() / 86_400_000) * 86_400_000, dimension: 'p', name: 'bench' }
    ])
  ));

  // The event bus: publish on one instance, delivery on the other.
  const sender = new RedisEventBus('bench-a', link, logger);
  const receiver = new RedisEventBus('bench-b', other, logger);
  await Promise.all([sender.ready(3000), receiver.ready(3000)]);
  const delivered: number[] = [];
  let waiting: (() => void) | undefined;
  receiver.subscribe(event => {
    if (event.kind !== 'resource-updated') return;
    delivered.push((performance.now() - Number(event.uri)) * 1000);
    waiting?.();
  });
  const events = values.quick ? 500 : 3000;
  for (let index = 0; index < events; index++) {
    const arrived = new Promise<void>(resolve => (waiting = resolve));
    sender.publish({ kind: 'resource-updated', server: 'bench', uri: String(performance.now()) });
    await arrived;
  }
  delivered.sort((x, y) => x - y);

  await Promise.all([link.close(), other.close()]);
  const fmt = (n: number) => n.toFixed(1);
  process.stdout.write(
    `\n${operations} operations each (one at a time, then 64 in flight), Redis ${redis.url} on loopback\n\n` +
      formatTable(
        ['operation', 'p50 µs', 'p99 µs', 'mean µs', '64 in flight: µs/op', 'ops/s'],
        rows.map(row => [row.what, fmt(row.one.p50), fmt(row.one.p99), fmt(row.one.mean), fmt(row.many.perOpUs), Math.round(row.many.perSecond).toString()])
      ) +
      `\n\nevent bus, publish on one instance → delivered on another (${events} events, one at a time): p50 ${fmt(percentile(delivered, 50))} µs, p99 ${fmt(percentile(delivered, 99))} µs\n`
  );
}

await main();

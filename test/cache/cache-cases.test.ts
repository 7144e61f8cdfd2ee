/**
 * The result cache with a 2025-era server (no hints on its results), the config's annotation corrections and
 * globs, a small byte bound, calls that need the client's input, retries carrying the client's answers, a
 * server restart, and a `perClient` server (one entry per session).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ResultCache } from '../../src/cache/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { fixtureServer } from '../helpers/gateway.js';
import { type CacheGateway, cacheableServer, startCacheGateway, waitUntil } from './helpers.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('result cache: hint-less servers, corrections, bounds and bypasses', () => {
  let gateway: CacheGateway;

  before(async () => {
    gateway = await startCacheGateway({
      servers: {
        l: cacheableServer({ protocol: 'legacy', annotations: { bump: { readOnlyHint: true } } }),
        a: fixtureServer('asks-client.ts', [], { annotations: { ask: { readOnlyHint: true } } }),
        p: cacheableServer({ perClient: true })
      },
      cache: { ttl: '60s', maxBytes: '2KiB', maxEntryBytes: '1KiB', exclude: ['l__lookup'], statsInterval: 0 }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it("a 2025-era server's reads carry no hint: they are kept for the configured ttl", async () => {
    const first = await gateway.request('resources/read', { uri: 'data://nohint' });
    assert.equal(first.ttlMs, undefined, 'a 2025-era result has no hint');
    await gateway.readJson('data://nohint');
    await gateway.readJson('data://item/legacy');
    await gateway.readJson('data://item/legacy');
    const counts = await gateway.counts('l');
    assert.equal(counts['read data://nohint'], 1);
    assert.equal(counts['read data://item/legacy'], 1);
  });

  it("the config's annotation corrections decide: a tool corrected to read-only is cached", async () => {
    await gateway.call('l__bump', { key: 'corrected' });
    await gateway.call('l__bump', { key: 'corrected' });
    assert.equal((await gateway.counts('l'))['bump corrected'], 1);
  });

  it('cache.exclude keeps a read-only tool out', async () => {
    await gateway.call('l__lookup', { key: 'excluded' });
    await gateway.call('l__lookup', { key: 'excluded' });
    assert.equal((await gateway.counts('l'))['lookup excluded'], 2);
  });

  it('maxBytes bounds the cache: the least recently used entries go first', async () => {
    // Each result is about 170 bytes of JSON: 2 KiB holds about a dozen.
    const key = (index: number) => `k${index}-${'x'.repeat(100)}`;
    for (let index = 0; index < 30; index++) await gateway.call('l__bump', { key: key(index) });
    const stats = gateway.core.cache!.stats();
    assert.ok(stats.bytes <= 2048, `${stats.bytes} bytes kept`);
    assert.ok(stats.evictions >= 15, `${stats.evictions} entries evicted`);
    await gateway.call('l__bump', { key: key(29) });
    await gateway.call('l__bump', { key: key(0) });
    const counts = await gateway.counts('l');
    assert.equal(counts[`bump ${key(29)}`], 1, 'the newest is still kept');
    assert.equal(counts[`bump ${key(0)}`], 2, 'the oldest was evicted');
  });

  it("a result that needed the client's answer (elicitation) is not kept", async () => {
    let asked = 0;
    const requestClient = async () => {
      asked++;
      return { action: 'accept', content: { answer: 'yes' } };
    };
    const first = await gateway.call('a__ask', { message: 'sure?' }, { requestClient });
    assert.notEqual(first.isError, true, JSON.stringify(first));
    await gateway.call('a__ask', { message: 'sure?' }, { requestClient });
    assert.equal(asked, 2, 'the server ran, and asked, both times');
  });

  it('an input_required result (a 2026 client, a 2025 server that asks) is not kept', async () => {
    const before = gateway.core.cache!.stats().servers.a ?? { hits: 0, misses: 0, stores: 0 };
    const first = await gateway.call('a__ask', { message: 'which?' }, { era: 'modern' });
    assert.equal(first.resultType, 'input_required', JSON.stringify(first));
    const second = await gateway.call('a__ask', { message: 'which?' }, { era: 'modern' });
    assert.equal(second.resultType, 'input_required');
    const after = gateway.core.cache!.stats().servers.a!;
    assert.deepEqual([after.hits - before.hits, after.misses - before.misses, after.stores - before.stores], [0, 2, 0]);
  });

  it('a call with more than a name and arguments (a task-augmented call) is passed on', async () => {
    const params = { name: 'l__bump', arguments: { key: 'task' }, task: { ttl: 60_000 } };
    const first = await gateway.request('tools/call', params);
    const second = await gateway.request('tools/call', params);
    assert.deepEqual([first.isError, second.isError], [undefined, undefined], JSON.stringify(second));
    assert.equal((await gateway.counts('l'))['bump task'], 2);
  });

  it("a retry carrying the client's answers (requestState) bypasses the cache", async () => {
    const bypassed = gateway.core.cache!.stats().bypassed;
    await gateway.call('l__bump', { key: 'retry' });
    await gateway.call('l__bump', { key: 'retry' }, { requestState: 'state-of-a-retry' });
    await gateway.call('l__bump', { key: 'retry' }, { requestState: 'state-of-a-retry' });
    assert.equal((await gateway.counts('l'))['bump retry'], 3);
    assert.equal(gateway.core.cache!.stats().bypassed - bypassed, 2);
  });

  it("a perClient server's results are kept per client session", async () => {
    await gateway.call('p__lookup', { key: 's' }, { sessionId: 'one' });
    await gateway.call('p__lookup', { key: 's' }, { sessionId: 'two' });
    await gateway.call('p__lookup', { key: 's' }, { sessionId: 'one' });
    const stats = gateway.core.cache!.stats().servers.p!;
    assert.equal(stats.misses, 2);
    assert.equal(stats.hits, 1);
  });

  it('the counters are logged every statsInterval when they changed, and at shutdown', async () => {
    const lines: string[] = [];
    const options = parseConfig('cache: { statsInterval: 50ms }\n').config.cache!;
    const cache = new ResultCache({
      options,
      servers: gateway.core.config.servers,
      catalog: gateway.core.catalog,
      logger: createLogger({ sink: line => lines.push(line) })
    });
    const handler = cache.middleware(() => Promise.resolve({ content: [{ type: 'text', text: 'answer' }] }));
    const request = () => ({
      method: 'tools/call' as const,
      params: { name: 'l__bump', arguments: { key: 'logged' } },
      downstream: {
        era: 'legacy' as const,
        sessionId: 's',
        signal: new AbortController().signal,
        clientCapabilities: {},
        progressToken: undefined,
        notify: async () => {},
        log: () => {}
      }
    });
    await handler(request());
    await handler(request());
    await waitUntil(() => lines.length > 0, 'a periodic line');
    assert.match(
      lines[0]!,
      /INFO {2}cache: 50\.0% of 2 cacheable call\(s\) answered without the server \(1 hit\(s\), 0 joined, 1 miss\(es\)\); 1 entry, \d+ bytes, 0 evicted/
    );
    await sleep(200);
    assert.equal(lines.length, 1, 'unchanged counters are not logged again');
    cache.close();
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /cache at shutdown: 50\.0% of 2/);
  });

  it('a server that restarts loses its entries', async () => {
    await gateway.call('l__bump', { key: 'restart' });
    await gateway.call('l__bump', { key: 'restart' });
    assert.equal((await gateway.counts('l'))['bump restart'], 1);
    const upstream = gateway.core.upstreams.get('l')!;
    const since = upstream.state.kind === 'ready' ? upstream.state.since : 0;
    await gateway.call('l__exit');
    await waitUntil(
      () => upstream.state.kind === 'ready' && upstream.state.since > since,
      'the server to restart',
      20_000
    );
    await gateway.call('l__bump', { key: 'restart' });
    // Counted by the new process: the call reached it.
    assert.equal((await gateway.counts('l'))['bump restart'], 1);
  });
});

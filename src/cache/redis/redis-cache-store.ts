import type { Redis } from 'ioredis';

import { maxCacheTtlMs } from '../../config/index.js';
import type { RedisLink } from '../../fleet/index.js';
import type { CacheEntry, CacheStore, CacheStoreStats } from '../cache-store.js';
import { clearScript, getScript, invalidateScript, setScript } from './redis-cache-scripts.js';

export interface RedisCacheStoreOptions {
  link: RedisLink;
  maxEntries: number;
  maxBytes: number;
  now?: () => number;
}

/** ioredis with the scripts defined as commands (EVALSHA, the script sent once). */
interface ScriptedRedis extends Redis {
  manifoldCacheGet(entry: string, lru: string, sizes: string, bytes: string, now: number): Promise<string | null>;
  manifoldCacheSet(...args: Array<string | number>): Promise<[number, number, number]>;
  manifoldCacheInvalidate(tag: string, lru: string, sizes: string, bytes: string): Promise<number>;
  manifoldCacheClear(lru: string, sizes: string, bytes: string): Promise<number>;
}

/**
 * The result cache in the shared Redis: an entry kept by one instance is served by every other. Keys are the
 * result cache's own (principal, or session of a `perClient` server, or `public`; method; target; digest of the
 * arguments), so what one principal may not see stays apart there too. Freshness is the entry's TTL in Redis;
 * the fleet's whole cache is bounded by `cache.maxEntries` and `cache.maxBytes`, least recently used first
 * (a sorted set by last use). Tags are Redis sets, so invalidation by a server's event drops the entries every
 * instance kept. While Redis is down every lookup misses and nothing is kept (calls go to the servers); the
 * result cache's own single flight still joins identical calls in one instance.
 */
export class RedisCacheStore implements CacheStore {
  private readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly lru: string;
  private readonly sizes: string;
  private readonly bytes: string;
  private readonly now: () => number;
  private readonly counts: CacheStoreStats = { entries: 0, bytes: 0, evictions: 0, expirations: 0, invalidations: 0 };

  constructor(private readonly options: RedisCacheStoreOptions) {
    const { link } = options;
    this.client = link.client as ScriptedRedis;
    this.prefix = `${link.keyPrefix}cache:`;
    this.lru = `${this.prefix}lru`;
    this.sizes = `${this.prefix}sizes`;
    this.bytes = `${this.prefix}bytes`;
    this.now = options.now ?? Date.now;
    if (typeof this.client.manifoldCacheGet !== 'function') {
      this.client.defineCommand('manifoldCacheGet', { numberOfKeys: 4, lua: getScript });
      this.client.defineCommand('manifoldCacheSet', { lua: setScript });
      this.client.defineCommand('manifoldCacheInvalidate', { numberOfKeys: 4, lua: invalidateScript });
      this.client.defineCommand('manifoldCacheClear', { numberOfKeys: 3, lua: clearScript });
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    if (!this.options.link.up) return undefined;
    let stored: string | null;
    try {
      stored = await this.client.manifoldCacheGet(this.entryKey(key), this.lru, this.sizes, this.bytes, this.now());
    } catch {
      this.options.link.noteFallback('a cache lookup');
      return undefined;
    }
    if (stored === null) return undefined;
    const bar = stored.indexOf('|');
    const expiresAt = Number(stored.slice(0, bar));
    // Redis's TTL and this clock may differ by a few ms: the entry's own time decides.
    if (!(expiresAt > this.now())) {
      this.counts.expirations++;
      return undefined;
    }
    return { value: stored.slice(bar + 1), expiresAt, tags: [] };
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    const ttlMs = Math.ceil(entry.expiresAt - this.now());
    if (ttlMs <= 0 || !this.options.link.up) return;
    const size = Buffer.byteLength(entry.value);
    if (size > this.options.maxBytes) return;
    try {
      const [evicted, entries, bytes] = await this.client.manifoldCacheSet(
        4 + entry.tags.length,
        this.entryKey(key),
        this.lru,
        this.sizes,
        this.bytes,
        ...entry.tags.map(tag => this.tagKey(tag)),
        `${entry.expiresAt}|${entry.value}`,
        ttlMs,
        this.now(),
        size,
        this.options.maxEntries,
        this.options.maxBytes,
        maxCacheTtlMs
      );
      this.counts.evictions += evicted;
      this.counts.entries = entries;
      this.counts.bytes = bytes;
    } catch {
      // Not kept: the next call asks the server again.
      this.options.link.noteFallback('a cache write');
    }
  }

  async invalidate(tag: string): Promise<number> {
    if (!this.options.link.up) return 0;
    try {
      const dropped = await this.client.manifoldCacheInvalidate(this.tagKey(tag), this.lru, this.sizes, this.bytes);
      this.counts.invalidations += dropped;
      return dropped;
    } catch {
      this.options.link.noteFallback(`an invalidation (${tag})`);
      return 0;
    }
  }

  /** This instance's view: evictions, expirations and invalidations it caused; entries and bytes as of its last write. */
  stats(): CacheStoreStats {
    return { ...this.counts };
  }

  /** Drops every entry of the fleet (`manifold cache clear`, or after Redis comes back: events may have been missed). */
  async clear(): Promise<void> {
    if (!this.options.link.up) return;
    await this.client.manifoldCacheClear(this.lru, this.sizes, this.bytes).catch(() => 0);
    this.counts.entries = this.counts.bytes = 0;
  }

  /** The other instances keep using the entries: nothing to drop. */
  async close(): Promise<void> {}

  private entryKey(key: string): string {
    return `${this.prefix}e:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.prefix}t:${tag}`;
  }
}

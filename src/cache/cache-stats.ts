import type { CacheStoreStats } from './cache-store.js';

/** What is counted per server (and in total). */
export type CacheCounter = 'hits' | 'misses' | 'coalesced' | 'bypassed' | 'stores' | 'tooLarge' | 'errorsNotKept';

type Counts = Record<CacheCounter, number>;

const zero = (): Counts => ({
  hits: 0,
  misses: 0,
  coalesced: 0,
  bypassed: 0,
  stores: 0,
  tooLarge: 0,
  errorsNotKept: 0
});

/** One server's part of the counters. */
export interface CacheServerStats extends Counts {
  /** (hits + coalesced) / (hits + coalesced + misses): the share of cacheable calls that did not reach the server; 0 before any. */
  hitRate: number;
}

/**
 * The cache's counters and sizes, as /healthz's `cache` field and `manifold cache stats` show them: calls that
 * were answered from the cache (`hits`), joined an identical call in flight (`coalesced`), went to the server
 * (`misses`), or could not use the cache (`bypassed`: a retry carrying the client's answers).
 */
export interface CacheStats extends CacheServerStats, CacheStoreStats {
  maxEntries: number;
  maxBytes: number;
  servers: Record<string, CacheServerStats>;
}

const withRate = (counts: Counts): CacheServerStats => {
  const answered = counts.hits + counts.coalesced;
  const total = answered + counts.misses;
  return { ...counts, hitRate: total === 0 ? 0 : answered / total };
};

/** The counters of one cache, in total and per server. */
export class CacheCounters {
  private readonly total = zero();
  private readonly perServer = new Map<string, Counts>();

  count(server: string, counter: CacheCounter): void {
    this.total[counter]++;
    let counts = this.perServer.get(server);
    if (!counts) this.perServer.set(server, (counts = zero()));
    counts[counter]++;
  }

  snapshot(store: CacheStoreStats, limits: { maxEntries: number; maxBytes: number }): CacheStats {
    const servers: Record<string, CacheServerStats> = {};
    for (const [name, counts] of [...this.perServer].sort(([a], [b]) => a.localeCompare(b)))
      servers[name] = withRate(counts);
    return { ...withRate(this.total), ...store, ...limits, servers };
  }
}

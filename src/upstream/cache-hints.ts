/** A result's caching hint (SEP-2549): how long it stays fresh, and whether a shared cache may serve it to anyone. */
export interface CacheHint {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

/**
 * The hint a server put on a result. A missing or invalid `ttlMs` (every server before 2026-07-28) means 0;
 * a missing or invalid `cacheScope` counts as `private`, the safe reading.
 */
export function cacheHintOf(result: Record<string, unknown>): CacheHint {
  const ttl = result.ttlMs;
  const scope = result.cacheScope;
  return {
    ttlMs: typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 0 ? ttl : 0,
    cacheScope: scope === 'public' ? 'public' : 'private'
  };
}

/** The hint of a result made of several: fresh only as long as every part (min `ttlMs`), private if any part is. */
export function combineCacheHints(hints: readonly CacheHint[]): CacheHint | undefined {
  if (hints.length === 0) return undefined;
  return {
    ttlMs: Math.min(...hints.map(hint => hint.ttlMs)),
    cacheScope: hints.some(hint => hint.cacheScope === 'private') ? 'private' : 'public'
  };
}

export { cacheKey, canonicalJson } from './cache-key.js';
export { type CacheCounter, CacheCounters, type CacheServerStats, type CacheStats } from './cache-stats.js';
export type { CacheEntry, CacheStore, CacheStoreStats } from './cache-store.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-cache-store.js';
export { ResultCache, type ResultCacheOptions } from './result-cache.js';
export { RedisCacheStore, type RedisCacheStoreOptions } from './redis/redis-cache-store.js';

import * as z from 'zod/v4';

import { byteSizeSchema } from './byte-size.js';
import { durationSchema } from './duration.js';

/** The longest a result is kept, whatever a server's hint or the config says: the SDK's own cap (24 h). */
export const maxCacheTtlMs = 24 * 3_600_000;

const ttlSchema = durationSchema.refine(ttl => ttl > 0 && ttl <= maxCacheTtlMs, {
  message:
    'expected a duration above 0 and at most 24h (to keep results out of the cache, set enabled: false or servers.<name>.cache: false)'
});

/**
 * The result cache (docs/CONFIG.md "Cache read results"). Off unless the `cache:` block is present: a cache
 * serves results that may have changed since, which the operator must choose knowingly.
 */
export const cacheOptionsSchema = z
  .strictObject({
    /** Off switch that keeps the settings. */
    enabled: z.boolean().default(true),
    /** How long a result stays fresh when its server gives no hint (every tool result; a 2025-era server's reads). */
    ttl: ttlSchema.default(60_000),
    /** Most results kept; the least recently used goes first. */
    maxEntries: z.number().int().min(1).default(10_000),
    /** Most bytes of results kept (their JSON); the least recently used goes first. */
    maxBytes: byteSizeSchema.default(64 * 1024 ** 2).refine(bytes => bytes >= 1024, 'expected at least 1KiB'),
    /** A result larger than this (its JSON) is never kept. */
    maxEntryBytes: byteSizeSchema.default(1024 ** 2).refine(bytes => bytes >= 1, 'expected at least 1 byte'),
    /** Public tool names (globs) whose results may be kept, among the read-only tools; all when absent. */
    include: z.array(z.string().min(1)).optional(),
    /** Public tool names (globs) whose results are never kept. */
    exclude: z.array(z.string().min(1)).default([]),
    /** Keep `resources/read` results too (for as long as the server's hint says, or `ttl` without one). */
    resources: z.boolean().default(true),
    /** How often the counters are logged (when they changed); `0` logs them only at shutdown. */
    statsInterval: durationSchema.default(300_000)
  })
  .refine(options => options.maxEntryBytes <= options.maxBytes, {
    message: 'maxEntryBytes must not exceed maxBytes',
    path: ['maxEntryBytes']
  });

/** A server's part in the cache: `false` keeps its results out; `{ ttl }` sets how long its results stay fresh. */
export const serverCacheSchema = z.union([z.boolean(), z.strictObject({ ttl: ttlSchema })]);

export type CacheOptions = z.infer<typeof cacheOptionsSchema>;
export type ServerCacheOptions = z.infer<typeof serverCacheSchema>;

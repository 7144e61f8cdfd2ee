/** One kept result: its JSON, when it stops being fresh, and the tags it is dropped by. */
export interface CacheEntry {
  /** The result, as JSON (what a shared store such as Redis keeps; a copy nobody can change). */
  value: string;
  /** Epoch ms after which the entry is not served. */
  expiresAt: number;
  /** What invalidates it: `tools:<server>`, `resources:<server>`, `uri:<uri>`, `session:<id>`. */
  tags: readonly string[];
}

/** What a store has counted since it was made. */
export interface CacheStoreStats {
  entries: number;
  /** Bytes of the values kept (UTF-8 JSON). */
  bytes: number;
  /** Entries dropped to make room (least recently used first). */
  evictions: number;
  /** Entries found past their time and dropped. */
  expirations: number;
  /** Entries dropped by a tag (a restart, a list change, a resource update). */
  invalidations: number;
}

/**
 * Where the result cache keeps entries, bounded by its own limits. Asynchronous so that a shared store (Redis,
 * in fleet mode) fits behind it; the memory store answers at once.
 */
export interface CacheStore {
  /** The fresh entry under `key`, or undefined (an expired one is dropped). */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Keeps an entry, replacing one under the same key and dropping the least recently used to make room. */
  set(key: string, entry: CacheEntry): Promise<void>;
  /** Drops every entry carrying `tag`; resolves to how many. */
  invalidate(tag: string): Promise<number>;
  stats(): CacheStoreStats;
  /** Drops everything. */
  clear(): Promise<void>;
  /** Lets go at shutdown: the memory store drops its entries; a shared one keeps them for the other instances. */
  close(): Promise<void>;
}

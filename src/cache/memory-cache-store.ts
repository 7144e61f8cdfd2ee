import type { CacheEntry, CacheStore, CacheStoreStats } from './cache-store.js';

export interface MemoryCacheStoreOptions {
  maxEntries: number;
  maxBytes: number;
  /** The clock (tests move it). */
  now?: () => number;
}

interface Kept extends CacheEntry {
  bytes: number;
}

/**
 * The cache store of one gateway process: a Map in least-recently-used order (a read moves an entry to the
 * end), bounded by entries and by bytes, with an index from tag to keys for invalidation.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, Kept>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private bytes = 0;
  private evictions = 0;
  private expirations = 0;
  private invalidations = 0;

  constructor(options: MemoryCacheStoreOptions) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes;
    this.now = options.now ?? Date.now;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve(undefined);
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      this.expirations++;
      return Promise.resolve(undefined);
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return Promise.resolve(entry);
  }

  set(key: string, entry: CacheEntry): Promise<void> {
    const bytes = Buffer.byteLength(entry.value);
    const existing = this.entries.get(key);
    if (existing) this.remove(key, existing);
    if (bytes > this.maxBytes) return Promise.resolve();
    while (this.entries.size >= this.maxEntries || this.bytes + bytes > this.maxBytes) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [oldestKey, oldestEntry] = oldest.value;
      this.remove(oldestKey, oldestEntry);
      // An expired entry that makes room is not an eviction: it was already of no use.
      if (oldestEntry.expiresAt <= this.now()) this.expirations++;
      else this.evictions++;
    }
    this.entries.set(key, { ...entry, bytes });
    this.bytes += bytes;
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    return Promise.resolve();
  }

  invalidate(tag: string): Promise<number> {
    const keys = this.byTag.get(tag);
    if (!keys) return Promise.resolve(0);
    let dropped = 0;
    for (const key of [...keys]) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      this.remove(key, entry);
      dropped++;
    }
    this.byTag.delete(tag);
    this.invalidations += dropped;
    return Promise.resolve(dropped);
  }

  stats(): CacheStoreStats {
    return {
      entries: this.entries.size,
      bytes: this.bytes,
      evictions: this.evictions,
      expirations: this.expirations,
      invalidations: this.invalidations
    };
  }

  clear(): Promise<void> {
    this.entries.clear();
    this.byTag.clear();
    this.bytes = 0;
    return Promise.resolve();
  }

  private remove(key: string, entry: Kept): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}

import type { CacheEntry, CacheStore, CacheStoreStats } from './cache-store.js';

export interface MemoryCacheStoreOptions {
  maxEntries: number;
  maxBytes: number;
  /** The clock (tests move it). */
  now?: () => number;
}

/** An entry in the recency list: `older` toward the head (next to go), `newer` toward the tail. */
interface Node extends CacheEntry {
  key: string;
  bytes: number;
  older: Node | undefined;
  newer: Node | undefined;
}

/**
 * The cache store of one gateway process: a Map for lookup and a doubly linked list in least-recently-used
 * order (a read moves an entry to the tail; room is made from the head), bounded by entries and by bytes, with
 * an index from tag to keys for invalidation. Every operation but `invalidate` is O(1). (A Map's own order
 * would do for the order, but taking its first entry after many deletions scans the deleted slots.)
 */
export class MemoryCacheStore implements CacheStore {
  private readonly nodes = new Map<string, Node>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private oldest: Node | undefined;
  private newest: Node | undefined;
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
    const node = this.nodes.get(key);
    if (!node) return Promise.resolve(undefined);
    if (node.expiresAt <= this.now()) {
      this.remove(node);
      this.expirations++;
      return Promise.resolve(undefined);
    }
    this.unlink(node);
    this.append(node);
    return Promise.resolve(node);
  }

  set(key: string, entry: CacheEntry): Promise<void> {
    const bytes = Buffer.byteLength(entry.value);
    const existing = this.nodes.get(key);
    if (existing) this.remove(existing);
    if (bytes > this.maxBytes) return Promise.resolve();
    while (this.oldest && (this.nodes.size >= this.maxEntries || this.bytes + bytes > this.maxBytes)) {
      const oldest = this.oldest;
      this.remove(oldest);
      // An expired entry that makes room is not an eviction: it was already of no use.
      if (oldest.expiresAt <= this.now()) this.expirations++;
      else this.evictions++;
    }
    const node: Node = {
      key,
      value: entry.value,
      expiresAt: entry.expiresAt,
      tags: entry.tags,
      bytes,
      older: undefined,
      newer: undefined
    };
    this.nodes.set(key, node);
    this.append(node);
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
      const node = this.nodes.get(key);
      if (!node) continue;
      this.remove(node);
      dropped++;
    }
    this.byTag.delete(tag);
    this.invalidations += dropped;
    return Promise.resolve(dropped);
  }

  stats(): CacheStoreStats {
    return {
      entries: this.nodes.size,
      bytes: this.bytes,
      evictions: this.evictions,
      expirations: this.expirations,
      invalidations: this.invalidations
    };
  }

  clear(): Promise<void> {
    this.nodes.clear();
    this.byTag.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.clear();
  }

  private append(node: Node): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }

  private unlink(node: Node): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = node.newer = undefined;
  }

  private remove(node: Node): void {
    this.nodes.delete(node.key);
    this.unlink(node);
    this.bytes -= node.bytes;
    for (const tag of node.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(node.key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}

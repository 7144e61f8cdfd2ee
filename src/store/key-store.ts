/** An API key made by `manifold keys create`: only its digest is kept; the key is shown once. */
export interface StoredKey {
  /** The principal's name. */
  name: string;
  /** SHA-256 of the key, lowercase hex. */
  hash: string;
  /** The views it may reach (absent: all). */
  views?: readonly string[] | undefined;
  scopes?: readonly string[] | undefined;
  /** Epoch ms. */
  createdAt: number;
  expiresAt?: number | undefined;
  /** Set by `manifold keys revoke`; a revoked key is refused and its name may be used again. */
  revokedAt?: number | undefined;
}

/**
 * Where API keys made on the command line live. Implementations: `sqlite/` (the store file the gateway reads
 * on every authenticated request, so a revoke takes effect on the next request); PostgreSQL later.
 */
export interface KeyStore {
  /** Adds a key; throws when an active key has this name or this digest. A revoked key of this name is replaced. */
  createKey(key: StoredKey): void;
  /** The key with this digest, revoked or not (the caller decides), or undefined. */
  findKeyByHash(hash: string): StoredKey | undefined;
  /** Every key, newest first. */
  listKeys(): StoredKey[];
  /** Marks the active key of this name revoked; false when there is none. */
  revokeKey(name: string, at: number): boolean;
  close(): void;
}

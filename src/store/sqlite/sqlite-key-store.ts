import { ManifoldError } from '../../core/errors.js';
import type { KeyStore, StoredKey } from '../key-store.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

interface KeyRow {
  name: string;
  hash: string;
  views: string | null;
  scopes: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function toStoredKey(row: KeyRow): StoredKey {
  return {
    name: row.name,
    hash: row.hash,
    ...(row.views !== null ? { views: JSON.parse(row.views) as string[] } : {}),
    ...(row.scopes !== null ? { scopes: JSON.parse(row.scopes) as string[] } : {}),
    createdAt: row.created_at,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {})
  };
}

/** Lookups kept between changes to the file; past this many (someone trying random keys) the cache starts over. */
const maxCachedLookups = 1024;

/**
 * API keys in the store's SQLite file (table `api_keys`), beside the runs. Lookups by digest are cached until
 * another connection commits to the file (`PRAGMA data_version`, one cheap read per lookup): a key created or
 * revoked by `manifold keys` in another process counts from the next request.
 */
export class SqliteKeyStore implements KeyStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: Record<'find' | 'byName' | 'insert' | 'remove' | 'list' | 'revoke' | 'dataVersion', SqliteStatement>;
  private readonly cache = new Map<string, StoredKey | undefined>();
  private cachedVersion = -1;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.statements = {
      find: this.db.prepare('SELECT * FROM api_keys WHERE hash = ?'),
      byName: this.db.prepare('SELECT * FROM api_keys WHERE name = ?'),
      insert: this.db.prepare('INSERT INTO api_keys (name, hash, views, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      remove: this.db.prepare('DELETE FROM api_keys WHERE name = ? AND revoked_at IS NOT NULL'),
      list: this.db.prepare('SELECT * FROM api_keys ORDER BY created_at DESC'),
      revoke: this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL'),
      dataVersion: this.db.prepare('PRAGMA data_version')
    };
  }

  createKey(key: StoredKey): void {
    const existing = this.statements.byName.get(key.name) as KeyRow | undefined;
    if (existing && existing.revoked_at === null) {
      throw new ManifoldError('INVALID_PARAMS', `a key named "${key.name}" exists already in ${this.path}; revoke it first (manifold keys revoke ${key.name}) or choose another name`);
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.statements.remove.run(key.name);
      this.statements.insert.run(
        key.name,
        key.hash.toLowerCase(),
        key.views ? JSON.stringify(key.views) : null,
        key.scopes ? JSON.stringify(key.scopes) : null,
        key.createdAt,
        key.expiresAt ?? null
      );
      this.db.exec('COMMIT');
      this.cache.clear();
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  findKeyByHash(hash: string): StoredKey | undefined {
    const version = Number((this.statements.dataVersion.get() as { data_version: number }).data_version);
    if (version !== this.cachedVersion || this.cache.size >= maxCachedLookups) {
      this.cache.clear();
      this.cachedVersion = version;
    }
    if (this.cache.has(hash)) return this.cache.get(hash);
    const row = this.statements.find.get(hash) as KeyRow | undefined;
    const key = row ? toStoredKey(row) : undefined;
    this.cache.set(hash, key);
    return key;
  }

  listKeys(): StoredKey[] {
    return (this.statements.list.all() as KeyRow[]).map(toStoredKey);
  }

  revokeKey(name: string, at: number): boolean {
    this.cache.clear();
    return Number(this.statements.revoke.run(at, name).changes) > 0;
  }

  close(): void {
    this.db.close();
  }
}

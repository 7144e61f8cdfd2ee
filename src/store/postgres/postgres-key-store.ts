import { ManifoldError } from '../../core/errors.js';
import type { KeyStore, StoredKey } from '../key-store.js';
import { acquirePostgres, releasePostgres, type SyncPostgres } from './sync-postgres.js';

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

/**
 * API keys in PostgreSQL (table `api_keys`). Every lookup reads the table (one indexed query): a key created or
 * revoked from any instance, or by `manifold keys`, counts on every instance from the next request.
 */
export class PostgresKeyStore implements KeyStore {
  readonly path: string;
  private readonly db: SyncPostgres;

  constructor(url: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
  }

  createKey(key: StoredKey): void {
    const existing = this.db.query<KeyRow>('SELECT * FROM api_keys WHERE name = $1', [key.name], `reading key "${key.name}"`).rows[0];
    if (existing && existing.revoked_at === null) {
      throw new ManifoldError('INVALID_PARAMS', `a key named "${key.name}" exists already in ${this.path}; revoke it first (manifold keys revoke ${key.name}) or choose another name`);
    }
    this.db.transaction(
      [
        { sql: 'DELETE FROM api_keys WHERE name = $1 AND revoked_at IS NOT NULL', params: [key.name] },
        {
          sql: 'INSERT INTO api_keys (name, hash, views, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
          params: [key.name, key.hash.toLowerCase(), key.views ? JSON.stringify(key.views) : null, key.scopes ? JSON.stringify(key.scopes) : null, key.createdAt, key.expiresAt ?? null]
        }
      ],
      `creating key "${key.name}"`
    );
  }

  findKeyByHash(hash: string): StoredKey | undefined {
    const row = this.db.query<KeyRow>('SELECT * FROM api_keys WHERE hash = $1', [hash], 'looking up an API key').rows[0];
    return row ? toStoredKey(row) : undefined;
  }

  listKeys(): StoredKey[] {
    return this.db.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC', [], 'listing API keys').rows.map(toStoredKey);
  }

  revokeKey(name: string, at: number): boolean {
    return this.db.query('UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [at, name], `revoking key "${name}"`).rowCount > 0;
  }

  close(): void {
    releasePostgres(this.db);
  }
}

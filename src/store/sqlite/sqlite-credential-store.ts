import { chmodSync } from 'node:fs';

import type { UpstreamCredentials, UpstreamCredentialStore } from '../credential-store.js';
import { CredentialSeal } from '../credential-seal.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

/** The key file beside a store file: `<store>.key`. */
export function credentialKeyPath(storePath: string): string {
  return `${storePath}.key`;
}

/**
 * Upstream OAuth credentials in the store's SQLite file (table `upstream_credentials`), each server's sealed
 * with AES-256-GCM under a key kept in `<store>.key` (mode 0600, created on first use), the server's name
 * bound in as associated data so a row cannot be moved to another server. What this protects and what it does
 * not: docs/SECURITY.md "Upstream credentials".
 */
export class SqliteCredentialStore implements UpstreamCredentialStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly sealer: CredentialSeal;
  private readonly statements: Record<'load' | 'save' | 'delete', SqliteStatement>;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.sealer = new CredentialSeal(path === ':memory:' ? undefined : credentialKeyPath(path));
    this.statements = {
      load: this.db.prepare('SELECT sealed FROM upstream_credentials WHERE server = ?'),
      save: this.db.prepare('INSERT INTO upstream_credentials (server, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (server) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at'),
      delete: this.db.prepare('DELETE FROM upstream_credentials WHERE server = ?')
    };
  }

  load(server: string): UpstreamCredentials | undefined {
    const row = this.statements.load.get(server) as { sealed: string } | undefined;
    if (!row) return undefined;
    return JSON.parse(this.sealer.open(server, row.sealed)) as UpstreamCredentials;
  }

  save(server: string, credentials: UpstreamCredentials): void {
    this.statements.save.run(server, this.sealer.seal(server, JSON.stringify(credentials)), Date.now());
    // The file holds only sealed credentials, but it is nobody else's business either.
    if (this.path !== ':memory:') chmodSync(this.path, 0o600);
  }

  delete(server: string): boolean {
    return Number(this.statements.delete.run(server).changes) > 0;
  }

  close(): void {
    this.db.close();
  }
}

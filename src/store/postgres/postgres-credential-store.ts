import type { UpstreamCredentials, UpstreamCredentialStore } from '../credential-store.js';
import { CredentialSeal } from '../credential-seal.js';
import { acquirePostgres, releasePostgres, type SyncPostgres } from './sync-postgres.js';

/**
 * Upstream OAuth credentials in PostgreSQL (table `upstream_credentials`), sealed as in the SQLite store under
 * a key file that stays on the instance (`keyPath`): the database alone does not open them. Every instance of
 * a fleet needs the same key file (a mounted Secret): docs/FLEET.md "Store".
 */
export class PostgresCredentialStore implements UpstreamCredentialStore {
  readonly path: string;
  private readonly db: SyncPostgres;
  private readonly sealer: CredentialSeal;

  constructor(url: string, keyPath: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
    this.sealer = new CredentialSeal(keyPath);
  }

  load(server: string): UpstreamCredentials | undefined {
    const row = this.db.query<{ sealed: string }>('SELECT sealed FROM upstream_credentials WHERE server = $1', [server], `reading server "${server}"'s sign-in`).rows[0];
    return row ? (JSON.parse(this.sealer.open(server, row.sealed)) as UpstreamCredentials) : undefined;
  }

  save(server: string, credentials: UpstreamCredentials): void {
    this.db.query(
      'INSERT INTO upstream_credentials (server, sealed, updated_at) VALUES ($1, $2, $3) ON CONFLICT (server) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at',
      [server, this.sealer.seal(server, JSON.stringify(credentials)), Date.now()],
      `saving server "${server}"'s sign-in`
    );
  }

  delete(server: string): boolean {
    return this.db.query('DELETE FROM upstream_credentials WHERE server = $1', [server], `forgetting server "${server}"'s sign-in`).rowCount > 0;
  }

  close(): void {
    releasePostgres(this.db);
  }
}

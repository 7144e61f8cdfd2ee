import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { openDatabase } from '../../src/store/sqlite/open-database.js';
import { SyncPostgres } from '../../src/store/postgres/sync-postgres.js';
import { type PostgresServer, startPostgres } from './postgres.js';

/**
 * The store implementations a store test runs against: the same test, once on a SQLite file and once on a
 * PostgreSQL database. Calling it registers the file's `before`/`after` hooks: one PostgreSQL server for the
 * test file (started before its tests, stopped by pid after them), a fresh database (or file) per address.
 */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A new, empty store: a SQLite file path (in a folder that does not exist yet) or a postgres:// URL. */
  address(): Promise<string>;
  /** Runs SQL on the store from outside the store classes (what someone with access to the database could do). */
  exec(address: string, sql: string): void;
  /** Rows of a query, from outside the store classes. */
  all(address: string, sql: string): Record<string, unknown>[];
}

export function storeBackends(): StoreBackend[] {
  let server: PostgresServer | undefined;
  const dirs: string[] = [];
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const withPostgres = <T>(url: string, use: (db: SyncPostgres) => T): T => {
    const db = new SyncPostgres(url);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  const withSqlite = <T>(path: string, use: (db: ReturnType<typeof openDatabase>) => T): T => {
    const db = openDatabase(path);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return [
    {
      name: 'sqlite',
      async address() {
        const dir = mkdtempSync(join(tmpdir(), 'manifold-store-'));
        dirs.push(dir);
        return join(dir, 'nested', 'manifold.db');
      },
      exec: (path, sql) => withSqlite(path, db => db.exec(sql)),
      // Plain objects: node:sqlite (Node 22) gives rows a null prototype, which deepEqual tells apart.
      all: (path, sql) => withSqlite(path, db => (db.prepare(sql).all() as Record<string, unknown>[]).map(row => ({ ...row })))
    },
    {
      name: 'postgres',
      async address() {
        if (!server) throw new Error('the PostgreSQL server of this test file did not start (see the before hook)');
        return server.createDatabase();
      },
      exec: (url, sql) => withPostgres(url, db => void db.query(sql)),
      all: (url, sql) => withPostgres(url, db => db.query(sql).rows)
    }
  ];
}

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

import { errorMessage, ManifoldError } from '../../core/errors.js';

/** The part of a SQLite driver the store uses; better-sqlite3 and node:sqlite both have it. */
export interface SqliteStatement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint; changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
  /** Which driver opened it: `better-sqlite3` or `node:sqlite`. */
  driver: string;
}

const require = createRequire(import.meta.url);

/**
 * Opens (creating it and its folder) a SQLite file. The driver is better-sqlite3 where its native build
 * loads; where it does not (a node_modules built for another Node version, e.g. CI running the suite on
 * Node 22 after installing on Node 20), Node's built-in node:sqlite (Node 22.5 and later).
 */
export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let firstError: unknown;
  let Database: (new (file: string) => Omit<SqliteDatabase, 'driver'>) | undefined;
  try {
    Database = require('better-sqlite3') as new (file: string) => Omit<SqliteDatabase, 'driver'>;
  } catch (error) {
    firstError = error;
  }
  // The driver loaded: a failure now is the file's (a folder, no permission), not the driver's.
  if (Database) {
    try {
      return Object.assign(new Database(path), { driver: 'better-sqlite3' });
    } catch (error) {
      // SQLite's own error (SQLITE_CANTOPEN, SQLITE_NOTADB): the file. Anything else is the native part
      // failing to load on the first open (a build for another Node version): try node:sqlite.
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_')) throw error;
      firstError = error;
    }
  }
  let DatabaseSync: (new (file: string) => Omit<SqliteDatabase, 'driver'>) | undefined;
  try {
    ({ DatabaseSync } = requireWithoutSqliteWarning() as { DatabaseSync: new (file: string) => Omit<SqliteDatabase, 'driver'> });
  } catch (error) {
    throw new ManifoldError(
      'INTERNAL',
      `cannot open the store ${path}: better-sqlite3 did not load (${errorMessage(firstError)}) and node:sqlite is not available (${errorMessage(error)}); run "npm rebuild better-sqlite3" for this Node version, or use Node 22.5+`,
      { cause: firstError }
    );
  }
  // node:sqlite loaded: a failure to open is the file's (a folder, no permission), reported as such. Unlike
  // better-sqlite3 (5 s), it does not wait for another process's lock by default: several gateways (or a
  // `manifold runs resume` beside a running one) opening one file would fail with "database is locked".
  const database = Object.assign(new DatabaseSync(path), { driver: 'node:sqlite' });
  database.exec('PRAGMA busy_timeout = 5000');
  return database;
}

/**
 * Loads node:sqlite without its one-time "ExperimentalWarning: SQLite is an experimental feature" on stderr: the
 * gateway's stderr is its log (JSON lines with --log-format json), and the warning says nothing a user can act on.
 * Every other warning passes.
 */
function requireWithoutSqliteWarning(): unknown {
  const emitWarning = process.emitWarning.bind(process) as (warning: string | Error, ...rest: unknown[]) => void;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to be put back as it was
  const original = process.emitWarning;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const first = rest[0] as string | { type?: string } | undefined;
    const type = typeof first === 'string' ? first : (first?.type ?? (typeof warning === 'string' ? undefined : warning.name));
    if (type === 'ExperimentalWarning' && /SQLite/.test(text)) return;
    emitWarning(warning, ...rest);
  };
  try {
    return require('node:sqlite');
  } finally {
    process.emitWarning = original;
  }
}

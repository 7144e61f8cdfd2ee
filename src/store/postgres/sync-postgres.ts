import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { ManifoldError } from '../../core/errors.js';
import { pgWorkerMain } from './pg-worker.js';
import { postgresMigrations, postgresSchemaName } from './postgres-schema.js';
import type { PgReply, PgRequest, PgResult, PgStep, PgTransactionResult } from './pg-protocol.js';

/** Distributed request shapes without their id (the bridge numbers them). */
type Request = PgRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface SyncPostgresOptions {
  /** Connections the worker's pool may open (default 4). */
  poolSize?: number;
  /** How long to wait for a connection (default 5 s): then the request fails as "cannot reach". */
  connectTimeoutMs?: number;
  /** The server cancels a statement that runs longer (default 30 s). */
  statementTimeoutMs?: number;
  /** A schema brought up to date (see {@link SyncPostgres.migrate}) before the first query, and retried until it is. */
  schema?: { name: string; migrations: readonly string[] };
}

/** A postgres:// URL without its password (and with nothing from the query string), for messages and logs. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Whether a store setting names PostgreSQL rather than a SQLite file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Error codes that mean the server is not there (or went away): the store is down, not the request wrong. */
const unreachable = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|57P01|57P02|57P03|08\d\d\d)$/;
const unreachableText = /timeout exceeded when trying to connect|Connection terminated|connection closed|server closed the connection/i;

/**
 * A synchronous PostgreSQL client: the store interfaces are synchronous (as SQLite's driver is), so queries go
 * to a worker thread that owns a `pg` Pool, and this thread blocks on `Atomics.wait` until the answer is posted
 * (the synckit pattern; better-sqlite3 blocks the same way on its file). One request at a time; a transaction
 * is one request (its statements run in the worker on one connection), never several round trips.
 * docs/decisions/2026-12-07-postgres-sync-bridge.md says why.
 */
export class SyncPostgres {
  readonly url: string;
  /** The URL without its password. */
  readonly label: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly counter: Int32Array;
  private readonly waitMs: number;
  private nextId = 1;
  private closed = false;
  private readonly migrated = new Set<string>();
  private readonly schema: SyncPostgresOptions['schema'];

  constructor(url: string, options: SyncPostgresOptions = {}) {
    this.url = url;
    this.schema = options.schema;
    this.label = redactPostgresUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    this.waitMs = connectTimeoutMs + statementTimeoutMs + 5000;
    const signal = new SharedArrayBuffer(4);
    this.counter = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const [entry, mode] = workerEntry();
    this.worker = new Worker(entry, {
      ...mode,
      workerData: { url, port: port2, signal, poolSize: options.poolSize ?? 4, connectTimeoutMs, statementTimeoutMs },
      transferList: [port2]
    });
    // It never keeps the process alive: close() ends it, and so does the process's exit.
    this.worker.unref();
    this.port.unref();
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], what = 'a query'): { rows: Row[]; rowCount: number } {
    this.ready();
    return this.call({ op: 'query', sql, ...(params ? { params } : {}) }, what) as { rows: Row[]; rowCount: number };
  }

  /** Runs the statements in one transaction on one connection (see {@link PgStep} for `expect`). */
  transaction(steps: readonly PgStep[], what = 'a transaction'): PgTransactionResult {
    this.ready();
    return this.call({ op: 'transaction', steps }, what) as PgTransactionResult;
  }

  /**
   * Brings schema `name` to `migrations.length` (each applied once, in order, under an advisory lock so that
   * instances starting together take turns); once per connection and name.
   */
  migrate(name: string, migrations: readonly string[]): void {
    if (this.migrated.has(name)) return;
    this.call({ op: 'migrate', name, lockKey: lockKeyOf(`manifold:migrate:${name}`), migrations }, `upgrading its schema "${name}"`);
    this.migrated.add(name);
  }

  /** The schema of the options, migrated once (a failure, the server down, is retried on the next query). */
  private ready(): void {
    if (this.schema) this.migrate(this.schema.name, this.schema.migrations);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' }, 'closing');
    } catch {
      // Closing a pool whose server is gone: nothing to wait for.
    }
    this.closed = true;
    void this.worker.terminate();
  }

  private call(request: Request, what: string): PgResult | PgTransactionResult | { from: number; to: number } | null {
    if (this.closed) throw new ManifoldError('INTERNAL', `the PostgreSQL store ${this.label} is closed (${what})`);
    const id = this.nextId++;
    const seen = Atomics.load(this.counter, 0);
    this.port.postMessage({ ...request, id });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const received: { message: PgReply } | undefined = receiveMessageOnPort(this.port);
      if (received) {
        const reply = received.message;
        // A late answer to a request that timed out: dropped.
        if (reply.id !== id) continue;
        if (reply.ok) return reply.value;
        throw this.failure(what, reply.error);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ManifoldError(
          'UPSTREAM_UNAVAILABLE',
          `the PostgreSQL store ${this.label} (config "store") did not answer ${what} within ${Math.round(this.waitMs / 1000)} s; check the server is up and not overloaded`
        );
      }
      // In slices: a worker that died (it could not load) answers nothing, and says so only through threadId.
      if (this.worker.threadId === -1) {
        throw new ManifoldError('INTERNAL', `the PostgreSQL store ${this.label}: its worker thread stopped (${what}); restart the gateway`);
      }
      Atomics.wait(this.counter, 0, seen, Math.min(left, 250));
    }
  }

  private failure(what: string, error: { message: string; code?: string }): ManifoldError {
    const detail = `${error.message}${error.code && !error.message.includes(error.code) ? ` (${error.code})` : ''}`;
    if ((error.code !== undefined && unreachable.test(error.code)) || unreachableText.test(error.message)) {
      return new ManifoldError(
        'UPSTREAM_UNAVAILABLE',
        `cannot reach the PostgreSQL store ${this.label} (config "store" or MANIFOLD_STORE) for ${what}: ${detail}. Start PostgreSQL or correct the URL; Manifold tries again on the next use`,
        { data: { store: this.label, code: error.code } }
      );
    }
    if (error.code === '28P01' || error.code === '28000' || error.code === '3D000') {
      return new ManifoldError(
        'INTERNAL',
        `the PostgreSQL store ${this.label} refused the connection for ${what}: ${detail}. Check the user, password and database in the URL (config "store" or MANIFOLD_STORE)`,
        { data: { store: this.label, code: error.code } }
      );
    }
    return new ManifoldError('INTERNAL', `the PostgreSQL store ${this.label} failed ${what}: ${detail}`, { data: { store: this.label, code: error.code } });
  }
}

/**
 * The worker's code: {@link pgWorkerMain}'s source as a script, given `pg` by a dynamic import of its resolved
 * path (the same built and under tsx, whose loader Node 20 does not give to workers; and whether the script is
 * taken as CommonJS or, under `--input-type=module`, as a module). `__name`: what esbuild (tsx) may wrap named
 * inner functions in.
 */
function workerEntry(): [string, { eval: true }] {
  const pgUrl = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;
  const code = `var __name = (target) => target;
import('node:worker_threads').then(threads => (${String(pgWorkerMain)})(threads, () => import(${JSON.stringify(pgUrl)}).then(loaded => loaded.default ?? loaded)));`;
  return [code, { eval: true }];
}

/** A stable 31-bit advisory lock key for a name (the same in every process). */
export function lockKeyOf(name: string): number {
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash & 0x7fffffff;
}

const shared = new Map<string, { db: SyncPostgres; users: number }>();

/**
 * The process's connection to a database, shared by its stores (one worker and pool per URL, not one per
 * store); each user calls {@link releasePostgres} once when done, and the last one closes it.
 */
export function acquirePostgres(url: string): SyncPostgres {
  // The store's schema is applied on its first query, not here: a gateway starts while PostgreSQL is down.
  const entry = shared.get(url);
  if (entry) {
    entry.users++;
    return entry.db;
  }
  const db = new SyncPostgres(url, { schema: { name: postgresSchemaName, migrations: postgresMigrations } });
  shared.set(url, { db, users: 1 });
  return db;
}

export function releasePostgres(db: SyncPostgres): void {
  const entry = shared.get(db.url);
  if (!entry || entry.db !== db) return db.close();
  if (--entry.users > 0) return;
  shared.delete(db.url);
  db.close();
}

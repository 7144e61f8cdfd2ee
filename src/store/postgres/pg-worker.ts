import type { MessagePort } from 'node:worker_threads';

import type pg from 'pg';

import type { PgReply, PgRequest, PgResult, PgStep, PgValue } from './pg-protocol.js';

/**
 * The worker thread behind {@link SyncPostgres}: owns a `pg` Pool and answers one request at a time from the
 * main thread, which waits on a shared counter (Atomics) until the answer is posted.
 *
 * The worker runs this function's source (`String(pgWorkerMain)`, evaluated as a CommonJS script), so it must
 * not use anything from this module's scope: it requires what it needs by path. That way the same code runs
 * built (dist/) and from the TypeScript sources under tsx, whose loader Node 20 does not give to workers.
 */
export function pgWorkerMain(pgPath: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script in the worker
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- by path: the worker has no module resolution of its own
  const postgres = require(pgPath) as typeof pg;
  const { url, port, signal, poolSize, connectTimeoutMs, statementTimeoutMs } = workerData as {
    url: string;
    port: MessagePort;
    signal: SharedArrayBuffer;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };
  const counter = new Int32Array(signal);

  // BIGINT (seq, counts) as numbers: every value the store keeps fits in 2^53.
  postgres.types.setTypeParser(20, (value: string) => Number(value));

  const pool = new postgres.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    application_name: 'manifold'
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; the next request makes a new one.
  pool.on('error', () => {});

  const reply = (message: PgReply): void => {
    port.postMessage(message);
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  };

  const toResult = (result: pg.QueryResult): PgResult => ({ rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? 0 });

  /** Whether a step's first row has every field of `expect` (compared as JSON). */
  const matches = (rows: Record<string, unknown>[], expect: Record<string, unknown>): boolean => {
    const row = rows[0];
    return !!row && Object.entries(expect).every(([key, value]) => JSON.stringify(row[key]) === JSON.stringify(value));
  };

  const transaction = async (steps: readonly PgStep[]): Promise<PgValue> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const results: PgResult[] = [];
      for (const [index, step] of steps.entries()) {
        const result = toResult(await client.query(step.sql, step.params as unknown[] | undefined));
        if (step.expect && !matches(result.rows, step.expect)) {
          await client.query('ROLLBACK');
          return { results, aborted: { step: index, rows: result.rows } };
        }
        results.push(result);
      }
      await client.query('COMMIT');
      return { results };
    } catch (error) {
      // A connection that failed other than by the server refusing a statement may be in any state: not reused.
      if (!(error instanceof postgres.DatabaseError)) broken = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(broken);
    }
  };

  /** Applies the migrations a database has not had, under an advisory lock: instances starting at once take turns. */
  const migrate = async (name: string, lockKey: number, migrations: readonly string[]): Promise<PgValue> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      await client.query('CREATE TABLE IF NOT EXISTS manifold_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      const found = await client.query<{ version: number }>('SELECT version FROM manifold_schema WHERE name = $1', [name]);
      const from = Number(found.rows[0]?.version ?? 0);
      for (let index = from; index < migrations.length; index++) await client.query(migrations[index] as string);
      if (from < migrations.length) {
        await client.query('INSERT INTO manifold_schema (name, version) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET version = excluded.version', [
          name,
          migrations.length
        ]);
      }
      await client.query('COMMIT');
      return { from, to: migrations.length };
    } catch (error) {
      if (!(error instanceof postgres.DatabaseError)) broken = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(broken);
    }
  };

  const handle = async (request: PgRequest): Promise<PgValue> => {
    switch (request.op) {
      case 'query':
        return toResult(await pool.query(request.sql, request.params as unknown[] | undefined));
      case 'transaction':
        return transaction(request.steps);
      case 'migrate':
        return migrate(request.name, request.lockKey, request.migrations);
      case 'close':
        await pool.end();
        return null;
    }
  };

  port.on('message', (request: PgRequest) => {
    handle(request).then(
      value => reply({ id: request.id, ok: true, value }),
      (error: unknown) => {
        const { message, code } = error as { message?: string; code?: unknown };
        reply({ id: request.id, ok: false, error: { message: message || String(error), ...(typeof code === 'string' ? { code } : {}) } });
      }
    );
  });
}

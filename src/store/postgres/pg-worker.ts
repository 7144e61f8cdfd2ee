import type { MessagePort } from 'node:worker_threads';
import type * as workerThreads from 'node:worker_threads';

import type pg from 'pg';

import type { PgReply, PgRequest, PgResult, PgStep, PgValue } from './pg-protocol.js';

/**
 * The worker thread behind {@link SyncPostgres}: owns a `pg` Pool and answers one request at a time from the
 * main thread, which waits on a shared counter (Atomics) until the answer is posted.
 *
 * The worker runs this function's source (`String(pgWorkerMain)`, evaluated as a script), so it must not use
 * anything from this module's scope: it is given `node:worker_threads` and a loader of `pg` (a dynamic import by
 * path, which works whether the script is taken as CommonJS or as a module). That way the same code runs built
 * (dist/) and from the TypeScript sources under tsx, whose loader Node 20 does not give to workers. If `pg`
 * does not load, every request is answered with that error.
 */
export function pgWorkerMain(threads: typeof workerThreads, loadPg: () => Promise<typeof pg>): void {
  const { url, port, signal, poolSize, connectTimeoutMs, statementTimeoutMs } = threads.workerData as {
    url: string;
    port: MessagePort;
    signal: SharedArrayBuffer;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };
  const counter = new Int32Array(signal);
  const reply = (message: PgReply): void => {
    port.postMessage(message);
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  };
  const answer = (id: number, work: Promise<PgValue>): void => {
    work.then(
      value => reply({ id, ok: true, value }),
      (error: unknown) => {
        const { message, code } = error as { message?: string; code?: unknown };
        reply({
          id,
          ok: false,
          error: { message: message || String(error), ...(typeof code === 'string' ? { code } : {}) }
        });
      }
    );
  };
  // Requests that come before `pg` has loaded wait for it.
  const loading = loadPg();
  let handler: ((request: PgRequest) => Promise<PgValue>) | undefined;
  port.on('message', (request: PgRequest) => {
    answer(request.id, handler ? handler(request) : loading.then(postgres => (handler ??= start(postgres))(request)));
  });

  function start(postgres: typeof pg): (request: PgRequest) => Promise<PgValue> {
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

    const toResult = (result: pg.QueryResult): PgResult => ({
      rows: result.rows as Record<string, unknown>[],
      rowCount: result.rowCount ?? 0
    });

    /** Whether a step's first row has every field of `expect` (compared as JSON). */
    const matches = (rows: Record<string, unknown>[], expect: Record<string, unknown>): boolean => {
      const row = rows[0];
      return (
        !!row && Object.entries(expect).every(([key, value]) => JSON.stringify(row[key]) === JSON.stringify(value))
      );
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
        await client.query(
          'CREATE TABLE IF NOT EXISTS manifold_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL)'
        );
        const found = await client.query<{ version: number }>('SELECT version FROM manifold_schema WHERE name = $1', [
          name
        ]);
        const from = Number(found.rows[0]?.version ?? 0);
        for (let index = from; index < migrations.length; index++) await client.query(migrations[index] as string);
        if (from < migrations.length) {
          await client.query(
            'INSERT INTO manifold_schema (name, version) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET version = excluded.version',
            [name, migrations.length]
          );
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

    return handle;
  }
}

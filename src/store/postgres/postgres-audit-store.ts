import type { AuditCheckpoint, AuditListedRow, AuditQuery, AuditRow, AuditStore } from '../audit-store.js';
import { genesisHash, tokensMethod } from '../audit-store.js';
import { acquirePostgres, lockKeyOf, releasePostgres, type SyncPostgres } from './sync-postgres.js';

interface Row {
  seq: number;
  time: number;
  principal: string;
  session: string;
  view: string | null;
  method: string;
  target: string | null;
  upstream: string | null;
  server: string | null;
  args_digest: string;
  args_size: number;
  arguments: string | null;
  outcome: string;
  error: string | null;
  duration_ms: number;
  result_size: number;
  run_id: string | null;
  step_id: string | null;
  ref: number | null;
  input_tokens: number | null;
  result_tokens: number | null;
  model_tokens: number | null;
  prev: string;
  hash: string;
}

const toAuditRow = (row: Row): AuditRow => ({
  seq: Number(row.seq),
  time: row.time,
  principal: row.principal,
  session: row.session,
  view: row.view,
  method: row.method,
  target: row.target,
  upstream: row.upstream,
  server: row.server,
  argsDigest: row.args_digest,
  argsSize: Number(row.args_size),
  arguments: row.arguments,
  outcome: row.outcome as AuditRow['outcome'],
  error: row.error,
  durationMs: row.duration_ms,
  resultSize: Number(row.result_size),
  runId: row.run_id,
  stepId: row.step_id,
  // Only a `tokens` row has them: absent members leave the other rows' canonical JSON (and hash) unchanged.
  ...(row.ref !== null && row.ref !== undefined
    ? { ref: Number(row.ref), inputTokens: Number(row.input_tokens ?? 0), resultTokens: Number(row.result_tokens ?? 0), modelTokens: Number(row.model_tokens ?? 0) }
    : {}),
  prev: row.prev,
  hash: row.hash
});

interface CheckpointRow {
  seq: number;
  count: number;
  hash: string;
  time: number;
  kind: string;
  signature: string | null;
}

const toCheckpoint = (row: CheckpointRow): AuditCheckpoint => ({
  seq: Number(row.seq),
  count: Number(row.count),
  hash: row.hash,
  time: row.time,
  kind: row.kind as AuditCheckpoint['kind'],
  signature: row.signature
});

/** The head in one row: the last row, else the last cut, else the genesis. */
const headSql = `SELECT seq, hash FROM (
    (SELECT seq, hash, 1 AS rank FROM audit_log ORDER BY seq DESC LIMIT 1)
    UNION ALL (SELECT seq, hash, 2 AS rank FROM audit_checkpoints WHERE kind = 'cut' ORDER BY seq DESC LIMIT 1)
    UNION ALL (SELECT 0, '${genesisHash}', 3)
  ) AS candidates ORDER BY rank LIMIT 1`;

/** Appends serialize on this advisory lock (per database): every instance's rows form one chain. */
const appendLock = lockKeyOf('manifold:audit:append');

/** Rows read per round trip when iterating the whole log (verification). */
const page = 5000;

/** A glob (`*`, `?`) as a LIKE pattern (with `\` escaping LIKE's own wildcards). */
function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, c => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/**
 * The audit log in PostgreSQL (tables `audit_log`, `audit_checkpoints`), one chain for every instance: an append
 * is one statement (the function `manifold_audit_append`) that takes an advisory lock, checks the head is still
 * the one its rows were hashed on and inserts them; when another instance appended in between, the rows are built again on the new head (the build
 * is pure) and the transaction retried.
 */
export class PostgresAuditStore implements AuditStore {
  readonly path: string;
  private readonly db: SyncPostgres;
  /** The head after this process's last append: right unless another instance appended since. */
  private knownHead: { seq: number; hash: string } | undefined;

  constructor(url: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
  }

  head(): { seq: number; hash: string } {
    const row = this.db.query<{ seq: number; hash: string }>(headSql, [], 'reading the audit chain head').rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: genesisHash };
  }

  append(build: (head: { seq: number; hash: string }) => AuditRow[]): AuditRow[] {
    let head = this.knownHead ?? this.head();
    for (let attempt = 0; ; attempt++) {
      const rows = build(head);
      if (rows.length === 0) return rows;
      const json = rows.map(row => ({
        seq: row.seq, time: row.time, principal: row.principal, session: row.session, view: row.view, method: row.method, target: row.target,
        upstream: row.upstream, server: row.server, args_digest: row.argsDigest, args_size: row.argsSize, arguments: row.arguments, outcome: row.outcome,
        error: row.error, duration_ms: row.durationMs, result_size: row.resultSize, run_id: row.runId, step_id: row.stepId,
        ref: row.ref ?? null, input_tokens: row.inputTokens ?? null, result_tokens: row.resultTokens ?? null, model_tokens: row.modelTokens ?? null, prev: row.prev, hash: row.hash
      }));
      // One statement, one round trip: the function takes the lock, checks the head and inserts (postgres-schema.ts).
      const answer = this.db.query<{ appended: boolean; head_seq: number; head_hash: string }>(
        'SELECT * FROM manifold_audit_append($1, $2, $3, $4)',
        [appendLock, head.seq, head.hash, JSON.stringify(json)],
        `appending ${rows.length} audit row(s)`
      ).rows[0];
      if (answer?.appended) {
        const last = rows[rows.length - 1] as AuditRow;
        this.knownHead = { seq: last.seq, hash: last.hash };
        return rows;
      }
      // Another instance appended: build on the head the function found. Under the lock it cannot move while
      // we insert, so this ends; the bound only guards against a store that keeps changing under us.
      head = answer ? { seq: Number(answer.head_seq), hash: answer.head_hash } : { seq: 0, hash: genesisHash };
      if (attempt >= 100) throw new Error(`the audit chain head of ${this.path} kept moving: ${attempt} appends lost the race`);
    }
  }

  addCheckpoint(checkpoint: AuditCheckpoint): void {
    this.db.query(
      `INSERT INTO audit_checkpoints (seq, count, hash, time, kind, signature) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (seq) DO UPDATE SET count = excluded.count, hash = excluded.hash, time = excluded.time, kind = excluded.kind, signature = excluded.signature`,
      [checkpoint.seq, checkpoint.count, checkpoint.hash, checkpoint.time, checkpoint.kind, checkpoint.signature],
      'writing an audit checkpoint'
    );
  }

  checkpoints(): AuditCheckpoint[] {
    return this.db.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY seq, time', [], 'reading audit checkpoints').rows.map(toCheckpoint);
  }

  *rows(): Iterable<AuditRow> {
    let after = -1;
    for (;;) {
      const { rows } = this.db.query<Row>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [after, page], 'reading the audit log');
      for (const row of rows) yield toAuditRow(row);
      if (rows.length < page) return;
      after = Number((rows[rows.length - 1] as Row).seq);
    }
  }

  query(query: AuditQuery): AuditListedRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (query.since !== undefined) add(p => `time >= ${p}`, query.since);
    if (query.tool !== undefined) add(p => `target LIKE ${p} ESCAPE '\\'`, globToLike(query.tool));
    if (query.server !== undefined) add(p => `server = ${p}`, query.server);
    if (query.principal !== undefined) {
      if (query.principal.includes(':')) add(p => `principal = ${p}`, query.principal);
      else add(p => `principal LIKE ${p} ESCAPE '\\'`, `%:${globToLike(query.principal)}`);
    }
    where.push(`method <> '${tokensMethod}'`);
    params.push(query.limit ?? 100);
    const sql = `SELECT * FROM (SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}) AS recent ORDER BY seq`;
    const rows: AuditListedRow[] = this.db.query<Row>(sql, params, 'querying the audit log').rows.map(toAuditRow);
    if (rows.length === 0) return rows;
    // A `tokens` row comes after the row it names: read from the first listed seq on.
    const bySeq = new Map(rows.map(row => [row.seq, row]));
    const annexes = this.db.query<Row>(
      `SELECT seq, ref, input_tokens, result_tokens, model_tokens FROM audit_log WHERE seq > $1 AND method = '${tokensMethod}'`,
      [(rows[0] as AuditRow).seq],
      'reading the token counts of audit rows'
    ).rows;
    for (const annex of annexes) {
      const row = bySeq.get(Number(annex.ref));
      if (row) row.tokens = { input: Number(annex.input_tokens ?? 0), result: Number(annex.result_tokens ?? 0), model: Number(annex.model_tokens ?? 0), seq: Number(annex.seq) };
    }
    return rows;
  }

  prune(cut: AuditCheckpoint): number {
    const { results } = this.db.transaction(
      [
        { sql: 'SELECT pg_advisory_xact_lock($1)', params: [appendLock] },
        {
          sql: `INSERT INTO audit_checkpoints (seq, count, hash, time, kind, signature) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (seq) DO UPDATE SET count = excluded.count, hash = excluded.hash, time = excluded.time, kind = excluded.kind, signature = excluded.signature`,
          params: [cut.seq, cut.count, cut.hash, cut.time, cut.kind, cut.signature]
        },
        { sql: 'DELETE FROM audit_log WHERE seq <= $1', params: [cut.seq] },
        { sql: 'DELETE FROM audit_checkpoints WHERE seq < $1', params: [cut.seq] }
      ],
      'pruning the audit log'
    );
    return results[2]?.rowCount ?? 0;
  }

  lastBefore(time: number): AuditRow | undefined {
    const row = this.db.query<Row>('SELECT * FROM audit_log WHERE time < $1 ORDER BY seq DESC LIMIT 1', [time], 'reading the audit log').rows[0];
    return row ? toAuditRow(row) : undefined;
  }

  close(): void {
    releasePostgres(this.db);
  }
}

import type { AuditCheckpoint, AuditListedRow, AuditQuery, AuditRow, AuditStore } from '../audit-store.js';
import { genesisHash, tokensMethod } from '../audit-store.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

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

function toAuditRow(row: Row): AuditRow {
  return {
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
  };
}

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

/** A glob (`*`, `?`) as a SQL LIKE pattern (with `\` escaping LIKE's own wildcards). */
function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, c => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/** The audit log in the store's SQLite file (tables `audit_log`, `audit_checkpoints`). */
export class SqliteAuditStore implements AuditStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: Record<'begin' | 'commit' | 'last' | 'lastCut' | 'insert' | 'checkpoint' | 'checkpoints' | 'all' | 'pruneRows' | 'pruneCheckpoints' | 'lastBefore' | 'bounds' | 'timeAt' | 'tokensFrom', SqliteStatement>;

  /**
   * `durability` (`audit.durability`): `process` (default) commits to the WAL without an fsync (`synchronous =
   * NORMAL`): a committed row survives the process (kill -9), a power cut or an OS crash may lose the last ones;
   * `power` fsyncs each commit (`synchronous = FULL`) on this connection, so a row also survives a power cut.
   */
  constructor(path: string, options: { durability?: 'process' | 'power' } = {}) {
    this.path = path;
    this.db = openStoreDatabase(path);
    if (options.durability === 'power' && path !== ':memory:') this.db.exec('PRAGMA synchronous = FULL');
    this.statements = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      last: this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      lastCut: this.db.prepare("SELECT seq, hash FROM audit_checkpoints WHERE kind = 'cut' ORDER BY seq DESC LIMIT 1"),
      insert: this.db.prepare(
        'INSERT INTO audit_log (seq, time, principal, session, view, method, target, upstream, server, args_digest, args_size, arguments, outcome, error, duration_ms, result_size, run_id, step_id, ref, input_tokens, result_tokens, model_tokens, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      checkpoint: this.db.prepare('INSERT OR REPLACE INTO audit_checkpoints (seq, count, hash, time, kind, signature) VALUES (?, ?, ?, ?, ?, ?)'),
      checkpoints: this.db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq, time'),
      all: this.db.prepare('SELECT * FROM audit_log ORDER BY seq'),
      pruneRows: this.db.prepare('DELETE FROM audit_log WHERE seq <= ?'),
      pruneCheckpoints: this.db.prepare('DELETE FROM audit_checkpoints WHERE seq < ?'),
      lastBefore: this.db.prepare('SELECT * FROM audit_log WHERE seq = ?'),
      bounds: this.db.prepare('SELECT min(seq) AS first, max(seq) AS last FROM audit_log'),
      timeAt: this.db.prepare('SELECT time FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT 1'),
      // A `tokens` row comes after the row it names: read by seq (the primary key), no index on ref.
      tokensFrom: this.db.prepare(`SELECT seq, ref, input_tokens, result_tokens, model_tokens FROM audit_log WHERE seq > ? AND method = '${tokensMethod}'`)
    };
  }

  head(): { seq: number; hash: string } {
    const row = (this.statements.last.get() ?? this.statements.lastCut.get()) as { seq: number; hash: string } | undefined;
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: genesisHash };
  }

  append(build: (head: { seq: number; hash: string }) => AuditRow[]): AuditRow[] {
    // One transaction per batch, the head read inside it: another process appending to the file waits for the
    // lock, then reads the new head, so rows of several processes form one chain.
    // Prepared BEGIN and COMMIT: exec() parses them anew on every batch (a third of a one-row commit's time).
    this.statements.begin.run();
    try {
      const rows = build(this.head());
      for (const row of rows) {
        this.statements.insert.run(
          row.seq, row.time, row.principal, row.session, row.view, row.method, row.target, row.upstream, row.server,
          row.argsDigest, row.argsSize, row.arguments, row.outcome, row.error, row.durationMs, row.resultSize, row.runId, row.stepId,
          row.ref ?? null, row.inputTokens ?? null, row.resultTokens ?? null, row.modelTokens ?? null, row.prev, row.hash
        );
      }
      this.statements.commit.run();
      return rows;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  addCheckpoint(checkpoint: AuditCheckpoint): void {
    this.statements.checkpoint.run(checkpoint.seq, checkpoint.count, checkpoint.hash, checkpoint.time, checkpoint.kind, checkpoint.signature);
  }

  checkpoints(): AuditCheckpoint[] {
    return (this.statements.checkpoints.all() as CheckpointRow[]).map(toCheckpoint);
  }

  *rows(): Iterable<AuditRow> {
    for (const row of this.statements.all.all() as Row[]) yield toAuditRow(row);
  }

  query(query: AuditQuery): AuditListedRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (query.since !== undefined) add('time >= ?', query.since);
    if (query.tool !== undefined) add("target LIKE ? ESCAPE '\\'", globToLike(query.tool));
    if (query.server !== undefined) add('server = ?', query.server);
    // `key:ci`, or a bare name of any kind.
    if (query.principal !== undefined) {
      if (query.principal.includes(':')) add('principal = ?', query.principal);
      else add("principal LIKE ? ESCAPE '\\'", `%:${globToLike(query.principal)}`);
    }
    where.push(`method <> '${tokensMethod}'`);
    const sql = `SELECT * FROM (SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
    params.push(query.limit ?? 100);
    const rows: AuditListedRow[] = (this.db.prepare(sql).all(...params) as Row[]).map(toAuditRow);
    if (rows.length === 0) return rows;
    const bySeq = new Map(rows.map(row => [row.seq, row]));
    const first = rows[0] as AuditRow;
    for (const annex of this.statements.tokensFrom.all(first.seq) as Row[]) {
      const row = bySeq.get(Number(annex.ref));
      if (row) row.tokens = { input: Number(annex.input_tokens ?? 0), result: Number(annex.result_tokens ?? 0), model: Number(annex.model_tokens ?? 0), seq: Number(annex.seq) };
    }
    return rows;
  }

  prune(cut: AuditCheckpoint): number {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.addCheckpoint(cut);
      const deleted = Number(this.statements.pruneRows.run(cut.seq).changes);
      this.statements.pruneCheckpoints.run(cut.seq);
      this.db.exec('COMMIT');
      return deleted;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * The last row written before `time`, found by a binary search over seq (there is no index on time: rows are in
   * time order, to within the longest call, since a row's time is its call's start).
   */
  lastBefore(time: number): AuditRow | undefined {
    const bounds = this.statements.bounds.get() as { first: number | null; last: number | null };
    if (bounds.first === null || bounds.last === null) return undefined;
    let low = Number(bounds.first);
    let high = Number(bounds.last);
    let found: number | undefined;
    while (low <= high) {
      const middle = Math.floor((low + high) / 2);
      const at = this.statements.timeAt.get(middle) as { time: number } | undefined;
      if (at !== undefined && at.time < time) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    if (found === undefined) return undefined;
    const row = this.statements.lastBefore.get(found) as Row | undefined;
    return row ? toAuditRow(row) : undefined;
  }

  close(): void {
    this.db.close();
  }
}

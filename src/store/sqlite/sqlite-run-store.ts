import type { Checkpoint, ClaimedRun, RunKind, RunOwner, RunRecord, RunStatus, RunStore, RunSummary, StepRecord, StepStatus } from '../run-store.js';
import type { UsageRow, UsageStore } from '../usage-store.js';
import { localPrincipal } from '../../core/principal.js';
import { errorMessage, isManifoldError, ManifoldError } from '../../core/errors.js';
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './open-database.js';
import { SqliteUsageTable } from './sqlite-usage-table.js';

const schema = `
CREATE TABLE IF NOT EXISTS workflow_runs (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  ended_at REAL,
  input TEXT NOT NULL,
  output_size INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS workflow_runs_started ON workflow_runs (started_at);
CREATE TABLE IF NOT EXISTS workflow_steps (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES workflow_runs (id),
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  tool TEXT,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  ended_at REAL,
  input TEXT,
  output_size INTEGER,
  error TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS workflow_steps_run ON workflow_steps (run_id, seq);
`;

/**
 * Schema changes after the first release, in order; `PRAGMA user_version` says how many a file has had. An
 * older file (from before durable runs) is upgraded when it is opened: columns are only added, so an older
 * Manifold can still read it.
 */
const migrations: string[] = [
  `ALTER TABLE workflow_runs ADD COLUMN arguments TEXT;
   ALTER TABLE workflow_runs ADD COLUMN definition TEXT;
   ALTER TABLE workflow_runs ADD COLUMN owner_pid INTEGER;
   ALTER TABLE workflow_runs ADD COLUMN owner_host TEXT;
   ALTER TABLE workflow_runs ADD COLUMN owner_token TEXT;
   ALTER TABLE workflow_runs ADD COLUMN result TEXT;
   ALTER TABLE workflow_runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX IF NOT EXISTS workflow_runs_status ON workflow_runs (status);
   CREATE TABLE IF NOT EXISTS run_checkpoints (
     run_id TEXT NOT NULL REFERENCES workflow_runs (id),
     key TEXT NOT NULL,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     idempotent INTEGER NOT NULL,
     label TEXT,
     output TEXT,
     started_at REAL NOT NULL,
     ended_at REAL,
     PRIMARY KEY (run_id, key)
   );`,
  // Agent, orchestrator and router runs (NULL: a workflow run).
  `ALTER TABLE workflow_runs ADD COLUMN kind TEXT;`,
  // API keys made by `manifold keys create` (issue 11): only the key's SHA-256 is kept (SqliteKeyStore).
  `CREATE TABLE IF NOT EXISTS api_keys (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     views TEXT,
     scopes TEXT,
     created_at REAL NOT NULL,
     expires_at REAL,
     revoked_at REAL
   );`,
  // Who started a run (config rules: a principal sees its own runs); no row: the local user. A table of its own,
  // so the migration is idempotent and an older Manifold reads the file unchanged.
  `CREATE TABLE IF NOT EXISTS run_principals (
     run_id TEXT PRIMARY KEY REFERENCES workflow_runs (id),
     principal TEXT NOT NULL
   );`,
  // Upstream OAuth credentials (sqlite-credential-store.ts): one sealed (AES-256-GCM) JSON blob per server.
  `CREATE TABLE IF NOT EXISTS upstream_credentials (
     server TEXT PRIMARY KEY,
     sealed TEXT NOT NULL,
     updated_at REAL NOT NULL
   );`,
  // Token usage per hour × principal × view × server × tool × workflow (usage-store.ts, issue 12).
  `CREATE TABLE IF NOT EXISTS usage_hourly (
     hour INTEGER NOT NULL,
     principal TEXT NOT NULL,
     view TEXT NOT NULL,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     workflow TEXT NOT NULL,
     calls INTEGER NOT NULL DEFAULT 0,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     result_tokens INTEGER NOT NULL DEFAULT 0,
     model_tokens INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (hour, principal, view, server, tool, workflow)
   );`,
  // The audit log (issue 12, sqlite-audit-store.ts): one hash-chained row per request, and the chain's checkpoints.
  `CREATE TABLE IF NOT EXISTS audit_log (
     seq INTEGER PRIMARY KEY,
     time REAL NOT NULL,
     principal TEXT NOT NULL,
     session TEXT NOT NULL,
     view TEXT,
     method TEXT NOT NULL,
     target TEXT,
     upstream TEXT,
     server TEXT,
     args_digest TEXT NOT NULL,
     args_size INTEGER NOT NULL,
     arguments TEXT,
     outcome TEXT NOT NULL,
     error TEXT,
     duration_ms REAL NOT NULL,
     result_size INTEGER NOT NULL,
     run_id TEXT,
     step_id TEXT,
     prev TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time);
   CREATE TABLE IF NOT EXISTS audit_checkpoints (
     seq INTEGER PRIMARY KEY,
     count INTEGER NOT NULL,
     hash TEXT NOT NULL,
     time REAL NOT NULL,
     kind TEXT NOT NULL,
     signature TEXT
   );`,
  // Audit rows of kind `tokens` (issue 12): a call's token counts, chained after it (audit-log.ts), naming its row.
  // And no index on the audit log's time: each index is one more page written per commit (about half a row's cost);
  // time ranges are read by seq (sqlite-audit-store.ts).
  `ALTER TABLE audit_log ADD COLUMN ref INTEGER;
   ALTER TABLE audit_log ADD COLUMN input_tokens INTEGER;
   ALTER TABLE audit_log ADD COLUMN result_tokens INTEGER;
   ALTER TABLE audit_log ADD COLUMN model_tokens INTEGER;
   DROP INDEX IF EXISTS audit_log_time;`,
  // Approvals asked of people (issue 13, sqlite-approval-store.ts): a client without elicitation retries once granted.
  `CREATE TABLE IF NOT EXISTS approvals (
     id TEXT PRIMARY KEY,
     principal TEXT NOT NULL,
     tool TEXT NOT NULL,
     server TEXT NOT NULL,
     args_digest TEXT NOT NULL,
     arguments TEXT NOT NULL,
     reason TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at REAL NOT NULL,
     expires_at REAL NOT NULL,
     decided_at REAL,
     decided_by TEXT
   );
   CREATE INDEX IF NOT EXISTS approvals_call ON approvals (principal, tool, args_digest);`,
  // Pinned tool definitions (issue 13, sqlite-pin-store.ts): per server and tool, the approved definition and the
  // current one; the revision grows with every change, so a running gateway sees a CLI decision.
  `CREATE TABLE IF NOT EXISTS tool_pins (
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     approved_hash TEXT,
     approved_definition TEXT,
     current_hash TEXT NOT NULL,
     current_definition TEXT NOT NULL,
     blocked INTEGER NOT NULL DEFAULT 0,
     first_seen REAL NOT NULL,
     changed_at REAL,
     decided_at REAL,
     decided_by TEXT,
     PRIMARY KEY (server, tool)
   );
   CREATE TABLE IF NOT EXISTS tool_pin_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
   INSERT OR IGNORE INTO tool_pin_revision (id, revision) VALUES (1, 0);`,
  // Run leases (fleet mode, docs/FLEET.md "Runs across instances"): until when the owner holds the run; NULL: no lease.
  `ALTER TABLE workflow_runs ADD COLUMN lease_until REAL;`
];

/**
 * Brings the schema to the current version, each migration in a transaction. The version is read inside it:
 * two processes opening an older file at once do not both migrate it (the second waits, then finds it done).
 */
function migrate(db: SqliteDatabase): void {
  const version = () => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (version() >= migrations.length) return;
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    const current = version();
    if (current >= migrations.length) {
      db.exec('COMMIT');
      return;
    }
    try {
      db.exec(migrations[current] as string);
      db.exec(`PRAGMA user_version = ${current + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new Error(`upgrading the run store to version ${current + 1} failed: ${errorMessage(error)}`, { cause: error });
    }
  }
}

interface RunRow {
  id: string;
  workflow: string;
  status: string;
  started_at: number;
  ended_at: number | null;
  input: string;
  output_size: number | null;
  error: string | null;
  arguments?: string | null;
  definition?: string | null;
  owner_pid?: number | null;
  owner_host?: string | null;
  owner_token?: string | null;
  result?: string | null;
  resumes?: number | null;
  kind?: string | null;
  principal?: string | null;
  steps?: number;
}

interface CheckpointRow {
  run_id: string;
  key: string;
  kind: string;
  status: string;
  idempotent: number;
  label: string | null;
  output: string | null;
  started_at: number;
  ended_at: number | null;
}

interface StepRow {
  run_id: string;
  path: string;
  kind: string;
  tool: string | null;
  attempt: number;
  status: string;
  started_at: number;
  ended_at: number | null;
  input: string | null;
  output_size: number | null;
  error: string | null;
  detail: string | null;
}

/** Runs without a recorded principal were started by the local user (stdio, the CLI, HTTP without auth). */
const localPrincipalName = localPrincipal.name;

/** The end of the lease a run started or claimed now by `owner` gets; null without a lease. */
const leaseUntil = (owner: RunOwner | undefined): number | null => (owner?.lease !== undefined ? Date.now() + owner.lease : null);
const orNull = (value: string | number | undefined): string | number | null => value ?? null;
const orUndefined = <T>(value: T | null): T | undefined => value ?? undefined;

/** An error that names the store's file and says what to do (the driver's own says neither). */
function cannotOpen(path: string, error: unknown): Error {
  if (isManifoldError(error)) return error; // openDatabase's: no driver; it names the file and the remedy
  return new ManifoldError(
    'INTERNAL',
    `cannot open the run store ${path}: ${errorMessage(error)}. Set store.path in the config to a writable SQLite file (or ":memory:" to keep no history), or move that file away`,
    { cause: error }
  );
}

/**
 * Opens the store's SQLite file with its schema brought to the current version (every table, every migration
 * applied): the run store and the other tables kept in the same file (API keys, upstream sign-ins) open it this way.
 */
export function openStoreDatabase(path: string): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = openDatabase(path);
  } catch (error) {
    throw cannotOpen(path, error);
  }
  try {
    // WAL with synchronous NORMAL: readers (manifold runs) do not block the gateway, and a commit does not
    // wait for an fsync (a power cut may lose the last records, never corrupt the file).
    if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec(schema);
    migrate(db);
  } catch (error) {
    db.close();
    throw cannotOpen(path, error);
  }
  return db;
}

/** Runs in a SQLite file (WAL, so `manifold runs` can read while a gateway writes). */
export class SqliteRunStore implements RunStore, UsageStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly usage: SqliteUsageTable;
  private readonly statements: Record<
    'startRun' | 'startedBy' | 'endRun' | 'startStep' | 'endStep' | 'getRun' | 'getSteps' | 'saveCheckpoint' | 'getCheckpoints' | 'claimRun',
    SqliteStatement
  >;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.statements = {
      startRun: this.db.prepare(
        'INSERT INTO workflow_runs (id, workflow, status, started_at, input, arguments, definition, owner_pid, owner_host, owner_token, kind, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      endRun: this.db.prepare('UPDATE workflow_runs SET status = ?, ended_at = ?, output_size = ?, error = ?, result = ? WHERE id = ?'),
      saveCheckpoint: this.db.prepare(
        'INSERT OR REPLACE INTO run_checkpoints (run_id, key, kind, status, idempotent, label, output, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      getCheckpoints: this.db.prepare('SELECT * FROM run_checkpoints WHERE run_id = ? ORDER BY started_at'),
      claimRun: this.db.prepare(
        'UPDATE workflow_runs SET status = \'running\', ended_at = NULL, error = NULL, result = NULL, owner_pid = ?, owner_host = ?, owner_token = ?, lease_until = ?, resumes = resumes + 1 WHERE id = ? AND status IN (SELECT value FROM json_each(?))'
      ),
      startStep: this.db.prepare(
        'INSERT INTO workflow_steps (run_id, path, kind, tool, attempt, status, started_at, input, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      endStep: this.db.prepare('UPDATE workflow_steps SET status = ?, ended_at = ?, output_size = ?, error = ?, detail = COALESCE(?, detail) WHERE seq = ?'),
      getRun: this.db.prepare('SELECT r.*, p.principal FROM workflow_runs r LEFT JOIN run_principals p ON p.run_id = r.id WHERE r.id = ?'),
      startedBy: this.db.prepare('INSERT OR REPLACE INTO run_principals (run_id, principal) VALUES (?, ?)'),
      getSteps: this.db.prepare('SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY started_at, seq')
    };
    this.usage = new SqliteUsageTable(this.db);
  }

  /** Which SQLite driver is in use (better-sqlite3 or node:sqlite). */
  get driver(): string {
    return this.db.driver;
  }

  startRun(run: RunRecord): void {
    this.statements.startRun.run(
      run.id,
      run.workflow,
      run.status,
      run.startedAt,
      run.input,
      orNull(run.arguments),
      orNull(run.definition),
      orNull(run.owner?.pid),
      orNull(run.owner?.host),
      orNull(run.owner?.token),
      orNull(run.kind),
      leaseUntil(run.owner)
    );
    if (run.principal !== undefined && run.principal !== localPrincipalName) this.statements.startedBy.run(run.id, run.principal);
  }

  endRun(id: string, end: { status: RunStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; result?: string | undefined }): void {
    this.statements.endRun.run(end.status, end.endedAt, orNull(end.outputSize), orNull(end.error), orNull(end.result), id);
  }

  saveCheckpoint(checkpoint: Checkpoint): void {
    this.statements.saveCheckpoint.run(
      checkpoint.runId,
      checkpoint.key,
      checkpoint.kind,
      checkpoint.status,
      checkpoint.idempotent ? 1 : 0,
      orNull(checkpoint.label),
      orNull(checkpoint.output),
      checkpoint.startedAt,
      orNull(checkpoint.endedAt)
    );
  }

  getCheckpoints(runId: string): Checkpoint[] {
    return (this.statements.getCheckpoints.all(runId) as CheckpointRow[]).map(row => ({
      runId: row.run_id,
      key: row.key,
      kind: row.kind,
      status: row.status as Checkpoint['status'],
      idempotent: Number(row.idempotent) === 1,
      label: orUndefined(row.label),
      output: orUndefined(row.output),
      startedAt: row.started_at,
      endedAt: orUndefined(row.ended_at)
    }));
  }

  claimRun(id: string, owner: RunOwner, from: readonly RunStatus[]): boolean {
    const result = this.statements.claimRun.run(owner.pid, owner.host, owner.token, leaseUntil(owner), id, JSON.stringify(from));
    return Number(result.changes) === 1;
  }

  markInterrupted(host: string, isAlive: (owner: RunOwner) => boolean, endedAt: number): string[] {
    const rows = this.db.prepare("SELECT id, owner_pid, owner_token FROM workflow_runs WHERE status = 'running' AND owner_host = ? AND lease_until IS NULL").all(host) as Array<{
      id: string;
      owner_pid: number | null;
      owner_token: string | null;
    }>;
    const update = this.db.prepare(
      "UPDATE workflow_runs SET status = 'interrupted', ended_at = ?, error = ? WHERE id = ? AND status = 'running' AND owner_pid = ?"
    );
    const marked: string[] = [];
    for (const row of rows) {
      if (row.owner_pid === null || isAlive({ pid: Number(row.owner_pid), host, token: row.owner_token ?? '' })) continue;
      const message = `the gateway running it (process ${row.owner_pid}) stopped before the run ended; "manifold runs resume ${row.id}" continues it`;
      const changed = update.run(endedAt, message, row.id, row.owner_pid);
      if (Number(changed.changes) !== 1) continue;
      // Its steps that were running then will never end: say so in the timeline.
      this.db
        .prepare("UPDATE workflow_steps SET status = 'failed', ended_at = ?, error = ? WHERE run_id = ? AND status = 'running'")
        .run(endedAt, `interrupted: process ${row.owner_pid} stopped while it ran`, row.id);
      marked.push(row.id);
    }
    return marked;
  }

  renewLeases(ownerToken: string, until: number): number {
    return Number(this.db.prepare("UPDATE workflow_runs SET lease_until = ? WHERE owner_token = ? AND status = 'running' AND lease_until IS NOT NULL").run(until, ownerToken).changes);
  }

  claimExpired(now: number, owner: RunOwner, limit: number): ClaimedRun[] {
    const rows = this.db
      .prepare("SELECT id, owner_pid, owner_host, lease_until FROM workflow_runs WHERE status = 'running' AND lease_until < ? ORDER BY lease_until LIMIT ?")
      .all(now, limit) as Array<{ id: string; owner_pid: number | null; owner_host: string | null; lease_until: number }>;
    // Conditional on the lease it read: of two instances claiming at once, the second changes nothing.
    const claim = this.db.prepare(
      "UPDATE workflow_runs SET owner_pid = ?, owner_host = ?, owner_token = ?, lease_until = ?, resumes = resumes + 1 WHERE id = ? AND status = 'running' AND lease_until = ?"
    );
    const claimed: ClaimedRun[] = [];
    for (const row of rows) {
      if (Number(claim.run(owner.pid, owner.host, owner.token, now + (owner.lease ?? 0), row.id, row.lease_until).changes) !== 1) continue;
      this.db
        .prepare("UPDATE workflow_steps SET status = 'failed', ended_at = ?, error = ? WHERE run_id = ? AND status = 'running'")
        .run(now, `interrupted: the lease of process ${row.owner_pid ?? '?'} on ${row.owner_host ?? '?'} expired while it ran`, row.id);
      claimed.push({ id: row.id, ...(row.owner_pid !== null ? { from: { pid: Number(row.owner_pid), host: row.owner_host ?? '' } } : {}) });
    }
    return claimed;
  }

  startStep(step: StepRecord): number {
    const result = this.statements.startStep.run(
      step.runId,
      step.path,
      step.kind,
      orNull(step.tool),
      step.attempt,
      step.status,
      step.startedAt,
      orNull(step.input),
      orNull(step.detail)
    );
    return Number(result.lastInsertRowid);
  }

  endStep(
    handle: number,
    end: { status: StepStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; detail?: string | undefined }
  ): void {
    this.statements.endStep.run(end.status, end.endedAt, orNull(end.outputSize), orNull(end.error), orNull(end.detail), handle);
  }

  listRuns(options: { limit?: number; workflow?: string } = {}): RunSummary[] {
    const limit = options.limit ?? 20;
    const where = options.workflow !== undefined ? 'WHERE r.workflow = ?' : '';
    const params: unknown[] = options.workflow !== undefined ? [options.workflow, limit] : [limit];
    const rows = this.db
      .prepare(
        // Not the journal's columns (arguments, definition, result): a list does not need them, and they can be big.
        `SELECT r.id, r.workflow, r.status, r.started_at, r.ended_at, r.input, r.output_size, r.error, r.owner_pid, r.owner_host, r.owner_token, r.resumes, r.kind, p.principal,
          (SELECT COUNT(*) FROM workflow_steps s WHERE s.run_id = r.id) AS steps FROM workflow_runs r LEFT JOIN run_principals p ON p.run_id = r.id ${where} ORDER BY r.started_at DESC LIMIT ?`
      )
      .all(...params) as RunRow[];
    return rows.map(row => ({ ...toRun(row), steps: Number(row.steps ?? 0) }));
  }

  prune(keep: number): number {
    const cutoff = this.db.prepare('SELECT started_at FROM workflow_runs ORDER BY started_at DESC LIMIT 1 OFFSET ?').get(keep - 1) as { started_at: number } | undefined;
    if (!cutoff) return 0;
    this.db.exec('BEGIN');
    try {
      this.db.prepare('DELETE FROM workflow_steps WHERE run_id IN (SELECT id FROM workflow_runs WHERE started_at < ?)').run(cutoff.started_at);
      this.db.prepare('DELETE FROM run_checkpoints WHERE run_id IN (SELECT id FROM workflow_runs WHERE started_at < ?)').run(cutoff.started_at);
      this.db.prepare('DELETE FROM run_principals WHERE run_id IN (SELECT id FROM workflow_runs WHERE started_at < ?)').run(cutoff.started_at);
      const before = (this.db.prepare('SELECT COUNT(*) AS n FROM workflow_runs').get() as { n: number }).n;
      this.db.prepare('DELETE FROM workflow_runs WHERE started_at < ?').run(cutoff.started_at);
      const after = (this.db.prepare('SELECT COUNT(*) AS n FROM workflow_runs').get() as { n: number }).n;
      this.db.exec('COMMIT');
      return Number(before) - Number(after);
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  getRun(id: string): { run: RunRecord; steps: StepRecord[] } | undefined {
    const row = this.statements.getRun.get(id) as RunRow | undefined;
    if (!row) return undefined;
    const steps = (this.statements.getSteps.all(id) as StepRow[]).map(toStep);
    return { run: toRun(row), steps };
  }

  addUsage(rows: readonly UsageRow[]): void {
    this.usage.addUsage(rows);
  }

  usageSince(since: number): UsageRow[] {
    return this.usage.usageSince(since);
  }

  close(): void {
    this.db.close();
  }
}


function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    kind: (row.kind ?? 'workflow') as RunKind,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    endedAt: orUndefined(row.ended_at),
    input: row.input,
    outputSize: orUndefined(row.output_size),
    error: orUndefined(row.error),
    arguments: orUndefined(row.arguments ?? null),
    definition: orUndefined(row.definition ?? null),
    owner: row.owner_pid !== null && row.owner_pid !== undefined ? { pid: Number(row.owner_pid), host: row.owner_host ?? '', token: row.owner_token ?? '' } : undefined,
    result: orUndefined(row.result ?? null),
    resumes: Number(row.resumes ?? 0),
    principal: row.principal ?? localPrincipalName
  };
}

function toStep(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    path: row.path,
    kind: row.kind as StepRecord['kind'],
    tool: orUndefined(row.tool),
    attempt: row.attempt,
    status: row.status as StepStatus,
    startedAt: row.started_at,
    endedAt: orUndefined(row.ended_at),
    input: orUndefined(row.input),
    outputSize: orUndefined(row.output_size),
    error: orUndefined(row.error),
    detail: orUndefined(row.detail)
  };
}

import type { RunRecord, RunStatus, RunStore, RunSummary, StepRecord, StepStatus } from '../run-store.js';
import { errorMessage, isManifoldError, ManifoldError } from '../../core/errors.js';
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './open-database.js';

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

interface RunRow {
  id: string;
  workflow: string;
  status: string;
  started_at: number;
  ended_at: number | null;
  input: string;
  output_size: number | null;
  error: string | null;
  steps?: number;
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

/** Runs in a SQLite file (WAL, so `manifold runs` can read while a gateway writes). */
export class SqliteRunStore implements RunStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: Record<'startRun' | 'endRun' | 'startStep' | 'endStep' | 'getRun' | 'getSteps', SqliteStatement>;

  constructor(path: string) {
    this.path = path;
    try {
      this.db = openDatabase(path);
    } catch (error) {
      throw cannotOpen(path, error);
    }
    try {
      // WAL with synchronous NORMAL: readers (manifold runs) do not block the gateway, and a commit does not
      // wait for an fsync (a power cut may lose the last records, never corrupt the file).
      if (path !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
      this.db.exec('PRAGMA busy_timeout = 5000');
      this.db.exec(schema);
    } catch (error) {
      this.db.close();
      throw cannotOpen(path, error);
    }
    this.statements = {
      startRun: this.db.prepare('INSERT INTO workflow_runs (id, workflow, status, started_at, input) VALUES (?, ?, ?, ?, ?)'),
      endRun: this.db.prepare('UPDATE workflow_runs SET status = ?, ended_at = ?, output_size = ?, error = ? WHERE id = ?'),
      startStep: this.db.prepare(
        'INSERT INTO workflow_steps (run_id, path, kind, tool, attempt, status, started_at, input, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      endStep: this.db.prepare('UPDATE workflow_steps SET status = ?, ended_at = ?, output_size = ?, error = ?, detail = COALESCE(?, detail) WHERE seq = ?'),
      getRun: this.db.prepare('SELECT * FROM workflow_runs WHERE id = ?'),
      getSteps: this.db.prepare('SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY started_at, seq')
    };
  }

  /** Which SQLite driver is in use (better-sqlite3 or node:sqlite). */
  get driver(): string {
    return this.db.driver;
  }

  startRun(run: RunRecord): void {
    this.statements.startRun.run(run.id, run.workflow, run.status, run.startedAt, run.input);
  }

  endRun(id: string, end: { status: RunStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined }): void {
    this.statements.endRun.run(end.status, end.endedAt, orNull(end.outputSize), orNull(end.error), id);
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
        `SELECT r.*, (SELECT COUNT(*) FROM workflow_steps s WHERE s.run_id = r.id) AS steps FROM workflow_runs r ${where} ORDER BY r.started_at DESC LIMIT ?`
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

  close(): void {
    this.db.close();
  }
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    endedAt: orUndefined(row.ended_at),
    input: row.input,
    outputSize: orUndefined(row.output_size),
    error: orUndefined(row.error)
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

import { localPrincipal } from '../../core/principal.js';
import type { Checkpoint, ClaimedRun, RunKind, RunOwner, RunRecord, RunStatus, RunStore, RunSummary, StepRecord, StepStatus } from '../run-store.js';
import type { UsageRow, UsageStore } from '../usage-store.js';
import { PostgresUsageTable } from './postgres-usage-table.js';
import { acquirePostgres, releasePostgres, type SyncPostgres } from './sync-postgres.js';

interface RunRow {
  id: string;
  workflow: string;
  kind: string | null;
  status: string;
  started_at: number;
  ended_at: number | null;
  input: string;
  output_size: number | null;
  error: string | null;
  arguments?: string | null;
  definition?: string | null;
  owner_pid: number | null;
  owner_host: string | null;
  owner_token: string | null;
  result?: string | null;
  resumes: number | null;
  principal: string | null;
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

interface CheckpointRow {
  run_id: string;
  key: string;
  kind: string;
  status: string;
  idempotent: boolean;
  label: string | null;
  output: string | null;
  started_at: number;
  ended_at: number | null;
}

const localPrincipalName = localPrincipal.name;
/** The end of the lease a run started or claimed now by `owner` gets; null without a lease. */
const leaseUntil = (owner: RunOwner | undefined): number | null => (owner?.lease !== undefined ? Date.now() + owner.lease : null);
const orNull = <T>(value: T | undefined): T | null => value ?? null;
const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * Runs, their steps and journals in PostgreSQL (fleet mode): the same tables and meaning as the SQLite store;
 * `claimRun` is one conditional UPDATE, so of two instances resuming a run one wins.
 */
export class PostgresRunStore implements RunStore, UsageStore {
  /** The URL without its password (what messages name). */
  readonly path: string;
  private readonly db: SyncPostgres;
  private readonly usage: PostgresUsageTable;

  constructor(url: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
    this.usage = new PostgresUsageTable(this.db);
  }

  startRun(run: RunRecord): void {
    const steps = [
      {
        sql: 'INSERT INTO workflow_runs (id, workflow, status, started_at, input, arguments, definition, owner_pid, owner_host, owner_token, kind, lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
        params: [run.id, run.workflow, run.status, run.startedAt, run.input, orNull(run.arguments), orNull(run.definition), orNull(run.owner?.pid), orNull(run.owner?.host), orNull(run.owner?.token), orNull(run.kind), leaseUntil(run.owner)]
      }
    ];
    if (run.principal !== undefined && run.principal !== localPrincipalName) {
      steps.push({
        sql: 'INSERT INTO run_principals (run_id, principal) VALUES ($1, $2) ON CONFLICT (run_id) DO UPDATE SET principal = excluded.principal',
        params: [run.id, run.principal]
      });
    }
    this.db.transaction(steps, `recording run ${run.id}`);
  }

  endRun(id: string, end: { status: RunStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; result?: string | undefined }): void {
    this.db.query(
      'UPDATE workflow_runs SET status = $1, ended_at = $2, output_size = $3, error = $4, result = $5 WHERE id = $6',
      [end.status, end.endedAt, orNull(end.outputSize), orNull(end.error), orNull(end.result), id],
      `ending run ${id}`
    );
  }

  saveCheckpoint(checkpoint: Checkpoint): void {
    this.db.query(
      `INSERT INTO run_checkpoints (run_id, key, kind, status, idempotent, label, output, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (run_id, key) DO UPDATE SET kind = excluded.kind, status = excluded.status, idempotent = excluded.idempotent, label = excluded.label,
         output = excluded.output, started_at = excluded.started_at, ended_at = excluded.ended_at`,
      [
        checkpoint.runId,
        checkpoint.key,
        checkpoint.kind,
        checkpoint.status,
        checkpoint.idempotent,
        orNull(checkpoint.label),
        orNull(checkpoint.output),
        checkpoint.startedAt,
        orNull(checkpoint.endedAt)
      ],
      `journaling run ${checkpoint.runId} step ${checkpoint.key}`
    );
  }

  getCheckpoints(runId: string): Checkpoint[] {
    return this.db.query<CheckpointRow>('SELECT * FROM run_checkpoints WHERE run_id = $1 ORDER BY started_at', [runId], `reading run ${runId}'s journal`).rows.map(row => ({
      runId: row.run_id,
      key: row.key,
      kind: row.kind,
      status: row.status as Checkpoint['status'],
      idempotent: row.idempotent,
      label: orUndefined(row.label),
      output: orUndefined(row.output),
      startedAt: row.started_at,
      endedAt: orUndefined(row.ended_at)
    }));
  }

  claimRun(id: string, owner: RunOwner, from: readonly RunStatus[]): boolean {
    const result = this.db.query(
      "UPDATE workflow_runs SET status = 'running', ended_at = NULL, error = NULL, result = NULL, owner_pid = $1, owner_host = $2, owner_token = $3, lease_until = $6, resumes = resumes + 1 WHERE id = $4 AND status = ANY($5::text[])",
      [owner.pid, owner.host, owner.token, id, [...from], leaseUntil(owner)],
      `claiming run ${id}`
    );
    return result.rowCount === 1;
  }

  markInterrupted(host: string, isAlive: (owner: RunOwner) => boolean, endedAt: number): string[] {
    const rows = this.db.query<{ id: string; owner_pid: number | null; owner_token: string | null }>(
      "SELECT id, owner_pid, owner_token FROM workflow_runs WHERE status = 'running' AND owner_host = $1 AND lease_until IS NULL",
      [host],
      'looking for runs left running'
    ).rows;
    const marked: string[] = [];
    for (const row of rows) {
      if (row.owner_pid === null || isAlive({ pid: Number(row.owner_pid), host, token: row.owner_token ?? '' })) continue;
      const message = `the gateway running it (process ${row.owner_pid}) stopped before the run ended; "manifold runs resume ${row.id}" continues it`;
      // Both in one transaction, the run's update conditional: another instance marking or claiming it first wins.
      const { results, aborted } = this.db.transaction(
        [
          {
            sql: "UPDATE workflow_runs SET status = 'interrupted', ended_at = $1, error = $2 WHERE id = $3 AND status = 'running' AND owner_pid = $4 AND owner_host = $5 RETURNING id",
            params: [endedAt, message, row.id, row.owner_pid, host],
            expect: { id: row.id }
          },
          {
            sql: "UPDATE workflow_steps SET status = 'failed', ended_at = $1, error = $2 WHERE run_id = $3 AND status = 'running'",
            params: [endedAt, `interrupted: process ${row.owner_pid} stopped while it ran`, row.id]
          }
        ],
        `marking run ${row.id} interrupted`
      );
      if (!aborted && results.length === 2) marked.push(row.id);
    }
    return marked;
  }

  renewLeases(ownerToken: string, until: number): number {
    return this.db.query("UPDATE workflow_runs SET lease_until = $1 WHERE owner_token = $2 AND status = 'running' AND lease_until IS NOT NULL", [until, ownerToken], 'renewing run leases').rowCount;
  }

  claimExpired(now: number, owner: RunOwner, limit: number): ClaimedRun[] {
    // One statement: the expired rows are locked as they are picked (SKIP LOCKED: another instance claiming at
    // once takes others, or none), so each run goes to exactly one instance.
    const { rows } = this.db.query<{ id: string; owner_pid: number | null; owner_host: string | null }>(
      `WITH expired AS (
         SELECT id, owner_pid, owner_host FROM workflow_runs WHERE status = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE workflow_runs r SET owner_pid = $3, owner_host = $4, owner_token = $5, lease_until = $6, resumes = r.resumes + 1
       FROM expired WHERE r.id = expired.id
       RETURNING r.id, expired.owner_pid, expired.owner_host`,
      [now, limit, owner.pid, owner.host, owner.token, now + (owner.lease ?? 0)],
      'claiming runs whose lease expired'
    );
    for (const row of rows) {
      this.db.query(
        "UPDATE workflow_steps SET status = 'failed', ended_at = $1, error = $2 WHERE run_id = $3 AND status = 'running'",
        [now, `interrupted: the lease of process ${row.owner_pid ?? '?'} on ${row.owner_host ?? '?'} expired while it ran`, row.id],
        `failing the running steps of run ${row.id}`
      );
    }
    return rows.map(row => ({ id: row.id, ...(row.owner_pid !== null ? { from: { pid: Number(row.owner_pid), host: row.owner_host ?? '' } } : {}) }));
  }

  startStep(step: StepRecord): number {
    const { rows } = this.db.query<{ seq: number }>(
      'INSERT INTO workflow_steps (run_id, path, kind, tool, attempt, status, started_at, input, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq',
      [step.runId, step.path, step.kind, orNull(step.tool), step.attempt, step.status, step.startedAt, orNull(step.input), orNull(step.detail)],
      `recording run ${step.runId} step ${step.path}`
    );
    return Number(rows[0]?.seq);
  }

  endStep(
    handle: number,
    end: { status: StepStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; detail?: string | undefined }
  ): void {
    this.db.query(
      'UPDATE workflow_steps SET status = $1, ended_at = $2, output_size = $3, error = $4, detail = COALESCE($5, detail) WHERE seq = $6',
      [end.status, end.endedAt, orNull(end.outputSize), orNull(end.error), orNull(end.detail), handle],
      'ending a run step'
    );
  }

  listRuns(options: { limit?: number; workflow?: string } = {}): RunSummary[] {
    const limit = options.limit ?? 20;
    const where = options.workflow !== undefined ? 'WHERE r.workflow = $2' : '';
    const params: unknown[] = options.workflow !== undefined ? [limit, options.workflow] : [limit];
    const { rows } = this.db.query<RunRow>(
      `SELECT r.id, r.workflow, r.status, r.started_at, r.ended_at, r.input, r.output_size, r.error, r.owner_pid, r.owner_host, r.owner_token, r.resumes, r.kind, p.principal,
         (SELECT COUNT(*) FROM workflow_steps s WHERE s.run_id = r.id) AS steps
       FROM workflow_runs r LEFT JOIN run_principals p ON p.run_id = r.id ${where} ORDER BY r.started_at DESC LIMIT $1`,
      params,
      'listing runs'
    );
    return rows.map(row => ({ ...toRun(row), steps: Number(row.steps ?? 0) }));
  }

  prune(keep: number): number {
    const cutoff = this.db.query<{ started_at: number }>('SELECT started_at FROM workflow_runs ORDER BY started_at DESC LIMIT 1 OFFSET $1', [keep - 1], 'pruning runs')
      .rows[0];
    if (!cutoff) return 0;
    const old = 'SELECT id FROM workflow_runs WHERE started_at < $1';
    const { results } = this.db.transaction(
      [
        { sql: `DELETE FROM workflow_steps WHERE run_id IN (${old})`, params: [cutoff.started_at] },
        { sql: `DELETE FROM run_checkpoints WHERE run_id IN (${old})`, params: [cutoff.started_at] },
        { sql: `DELETE FROM run_principals WHERE run_id IN (${old})`, params: [cutoff.started_at] },
        { sql: 'DELETE FROM workflow_runs WHERE started_at < $1', params: [cutoff.started_at] }
      ],
      'pruning runs'
    );
    return results[3]?.rowCount ?? 0;
  }

  getRun(id: string): { run: RunRecord; steps: StepRecord[] } | undefined {
    const row = this.db.query<RunRow>('SELECT r.*, p.principal FROM workflow_runs r LEFT JOIN run_principals p ON p.run_id = r.id WHERE r.id = $1', [id], `reading run ${id}`)
      .rows[0];
    if (!row) return undefined;
    const steps = this.db.query<StepRow>('SELECT * FROM workflow_steps WHERE run_id = $1 ORDER BY started_at, seq', [id], `reading run ${id}'s steps`).rows.map(toStep);
    return { run: toRun(row), steps };
  }

  addUsage(rows: readonly UsageRow[]): void {
    this.usage.addUsage(rows);
  }

  usageSince(since: number): UsageRow[] {
    return this.usage.usageSince(since);
  }

  close(): void {
    releasePostgres(this.db);
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
    arguments: orUndefined(row.arguments),
    definition: orUndefined(row.definition),
    owner: row.owner_pid !== null ? { pid: Number(row.owner_pid), host: row.owner_host ?? '', token: row.owner_token ?? '' } : undefined,
    result: orUndefined(row.result),
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

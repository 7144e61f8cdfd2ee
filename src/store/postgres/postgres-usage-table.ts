import type { UsageRow, UsageStore } from '../usage-store.js';
import type { SyncPostgres } from './sync-postgres.js';

interface UsageDbRow {
  hour: number;
  principal: string;
  view: string;
  server: string;
  tool: string;
  workflow: string;
  calls: number;
  input_tokens: number;
  result_tokens: number;
  model_tokens: number;
}

const add = `INSERT INTO usage_hourly (hour, principal, view, server, tool, workflow, calls, input_tokens, result_tokens, model_tokens)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (hour, principal, view, server, tool, workflow) DO UPDATE SET
    calls = usage_hourly.calls + excluded.calls, input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
    result_tokens = usage_hourly.result_tokens + excluded.result_tokens, model_tokens = usage_hourly.model_tokens + excluded.model_tokens`;

/** The `usage_hourly` table in PostgreSQL: additions are upserts, so instances adding to one row all count. */
export class PostgresUsageTable implements UsageStore {
  constructor(private readonly db: SyncPostgres) {}

  addUsage(rows: readonly UsageRow[]): void {
    if (rows.length === 0) return;
    // In key order: two instances adding to the same rows lock them in the same order (no deadlock).
    const key = (row: UsageRow) => JSON.stringify([row.hour, row.principal, row.view, row.server, row.tool, row.workflow]);
    const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    this.db.transaction(
      sorted.map(row => ({
        sql: add,
        params: [row.hour, row.principal, row.view, row.server, row.tool, row.workflow, row.calls, row.inputTokens, row.resultTokens, row.modelTokens]
      })),
      'adding token usage'
    );
  }

  usageSince(since: number): UsageRow[] {
    return this.db
      .query<UsageDbRow>('SELECT * FROM usage_hourly WHERE hour >= $1 ORDER BY hour', [Math.floor(since / 3_600_000) * 3_600_000], 'reading token usage')
      .rows.map(row => ({
        hour: Number(row.hour),
        principal: row.principal,
        view: row.view,
        server: row.server,
        tool: row.tool,
        workflow: row.workflow,
        calls: Number(row.calls),
        inputTokens: Number(row.input_tokens),
        resultTokens: Number(row.result_tokens),
        modelTokens: Number(row.model_tokens)
      }));
  }
}

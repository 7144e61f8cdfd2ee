import type { UsageRow, UsageStore } from '../usage-store.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';

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

/** The `usage_hourly` table of the run store's file (its migration is in sqlite-run-store.ts). */
export class SqliteUsageTable implements UsageStore {
  private readonly add: SqliteStatement;
  private readonly since: SqliteStatement;

  constructor(private readonly db: SqliteDatabase) {
    this.add = db.prepare(
      `INSERT INTO usage_hourly (hour, principal, view, server, tool, workflow, calls, input_tokens, result_tokens, model_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hour, principal, view, server, tool, workflow) DO UPDATE SET
         calls = calls + excluded.calls, input_tokens = input_tokens + excluded.input_tokens,
         result_tokens = result_tokens + excluded.result_tokens, model_tokens = model_tokens + excluded.model_tokens`
    );
    this.since = db.prepare('SELECT * FROM usage_hourly WHERE hour >= ? ORDER BY hour');
  }

  addUsage(rows: readonly UsageRow[]): void {
    if (rows.length === 0) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const row of rows)
        this.add.run(row.hour, row.principal, row.view, row.server, row.tool, row.workflow, row.calls, row.inputTokens, row.resultTokens, row.modelTokens);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  usageSince(since: number): UsageRow[] {
    return (this.since.all(Math.floor(since / 3_600_000) * 3_600_000) as UsageDbRow[]).map(row => ({
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

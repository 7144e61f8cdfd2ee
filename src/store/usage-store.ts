/**
 * Token usage aggregates (docs/OBSERVABILITY.md "Token usage and budgets"): one row per UTC hour × principal ×
 * view × server × tool × workflow, with the calls and tokens counted in it. An empty string stands for "none"
 * (no view, the gateway's own tools, no workflow).
 */
export interface UsageRow {
  /** The hour's start, ms since the epoch (UTC, aligned to the hour). */
  hour: number;
  principal: string;
  view: string;
  server: string;
  /** The public tool name, `prompt:<name>`, `resource:<uri>`, or `list:<kind>` for a list answer. */
  tool: string;
  workflow: string;
  calls: number;
  /** Tokens of the arguments clients sent. */
  inputTokens: number;
  /** Tokens of the answers clients received (results, lists). */
  resultTokens: number;
  /** Tokens models used (input + output) for agents, orchestrators, routers and workflow model steps. */
  modelTokens: number;
}

/** Where usage aggregates live (SQLite now; PostgreSQL in fleet mode). */
export interface UsageStore {
  /** Adds these counts to their rows (creating rows as needed), atomically. */
  addUsage(rows: readonly UsageRow[]): void;
  /** Every row of an hour at or after `since` (ms), oldest first. */
  usageSince(since: number): UsageRow[];
}

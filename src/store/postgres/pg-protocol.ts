/** The messages between {@link SyncPostgres} (main thread) and its worker (pg-worker.ts). */

export interface PgResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/**
 * One statement of a transaction. With `expect`, the statement's first row must have these fields (a compare
 * and set: the audit head is still the one the rows were built on), else the transaction is rolled back and
 * the reply says which step and what it found.
 */
export interface PgStep {
  sql: string;
  params?: readonly unknown[];
  expect?: Record<string, unknown>;
}

export interface PgTransactionResult {
  results: PgResult[];
  aborted?: { step: number; rows: Record<string, unknown>[] };
}

export type PgRequest =
  | { id: number; op: 'query'; sql: string; params?: readonly unknown[] }
  | { id: number; op: 'transaction'; steps: readonly PgStep[] }
  | { id: number; op: 'migrate'; name: string; lockKey: number; migrations: readonly string[] }
  | { id: number; op: 'close' };

export type PgReply =
  | { id: number; ok: true; value: PgResult | PgTransactionResult | { from: number; to: number } | null }
  | { id: number; ok: false; error: { message: string; code?: string } };

export type PgValue = Extract<PgReply, { ok: true }>['value'];

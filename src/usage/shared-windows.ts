/** One window's count, as budgets read it: `hour` or `day` (UTC), from its start, per principal (`p`) or view (`v`). */
export interface WindowRef {
  per: 'hour' | 'day';
  /** Epoch ms of the window's start. */
  start: number;
  dimension: 'p' | 'v';
  name: string;
}

/** Tokens added to a window. */
export interface WindowIncrement extends WindowRef {
  resultTokens: number;
  modelTokens: number;
}

/**
 * Budget windows shared by every gateway instance (fleet mode): each instance adds the tokens of the answers it
 * counted, and a budget check reads the caller's windows, so a budget spent through one instance refuses on all.
 * One implementation per backend beside this file (`redis/`); without one, the windows are this process's own.
 */
export interface SharedWindows {
  /** Adds counted tokens (sent at once, not awaited: a budget check sent after it reads it). */
  add(increments: readonly WindowIncrement[]): void;
  /** The windows' counts, in order; undefined when the shared store cannot answer now (counts are local then). */
  read(windows: readonly WindowRef[]): Promise<Array<{ resultTokens: number; modelTokens: number }> | undefined>;
}

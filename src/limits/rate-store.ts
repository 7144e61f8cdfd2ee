/**
 * Where request counts live. One implementation per backend beside this file: `memory/` (one process) now;
 * a Redis one (`RateLimiterRedis`, atomic across gateway instances) for fleet mode. Shared code sees only this.
 */
export interface RateStore {
  /** A fixed-window counter of `requests` per `windowMs`, its keys kept apart from other counters' by `id`. */
  counter(options: { id: string; requests: number; windowMs: number }): RateCounter;
}

/** One limit's counts, per bucket key. */
export interface RateCounter {
  /** Counts one request in `key`'s current window: allowed while the window has room. */
  take(key: string): Promise<RateDecision>;
  /** Gives a counted request back (a call another limit refused after this one counted it). */
  giveBack(key: string): Promise<void>;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** When the current window ends (a refused request can succeed then), ms from now. */
  msBeforeNext: number;
}

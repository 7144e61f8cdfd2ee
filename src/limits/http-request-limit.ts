import type { HttpLimitConfig } from '../config/index.js';
import type { Principal } from '../core/principal.js';
import { formatWindow, type LimitInfo, retryAfterSeconds } from './limited-result.js';
import type { RateStore } from './rate-store.js';

/** Why a whole HTTP request was refused: the text, the limit, and the `Retry-After` seconds. */
export interface HttpRefusal {
  message: string;
  limit: LimitInfo;
  retryAfterMs: number;
  retryAfterSeconds: number;
}

/** Counts a principal's HTTP requests (`limits.http`); resolves to a refusal when its window is full. */
export type HttpRequestLimit = (principal: Principal) => Promise<HttpRefusal | undefined>;

/** `limits.http`: each principal's HTTP requests per window, counted in the same store as call limits. */
export function createHttpRequestLimit(config: HttpLimitConfig, store: RateStore): HttpRequestLimit {
  const counter = store.counter({ id: 'http', requests: config.requests, windowMs: config.per });
  return async principal => {
    const decision = await counter.take(principal.name);
    if (decision.allowed) return undefined;
    const seconds = retryAfterSeconds(decision.msBeforeNext);
    return {
      message: `rate limit "limits.http" reached for ${principal.name}: ${config.requests} HTTP requests per ${formatWindow(config.per)}; retry after ${seconds} s`,
      limit: {
        kind: 'http',
        name: 'limits.http',
        principal: principal.name,
        requests: config.requests,
        perMs: config.per
      },
      retryAfterMs: decision.msBeforeNext,
      retryAfterSeconds: seconds
    };
  };
}

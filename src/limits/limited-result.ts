import { ManifoldError } from '../core/errors.js';
import type { GatewayResult } from '../core/pipeline.js';

/** Where a limited tool result says which limit it hit and when to retry. */
export const limitMetaKey = 'manifold/limit';

/** Which limit refused a call, as `error.data.limit` and a limited tool result's `_meta["manifold/limit"]`. */
export interface LimitInfo {
  kind: 'rate' | 'inFlight' | 'upstream' | 'http';
  /** The limit's name (`limits.calls[i].name`, or its config path). */
  name?: string;
  principal?: string;
  /** The tool (or `prompt "x"`, `resource <uri>`) the call was for. */
  target?: string;
  server?: string;
  requests?: number;
  perMs?: number;
  inFlight?: number;
  maxInFlight?: number;
  maxQueue?: number;
}

/** A window for people: `1 m`, `30 s`, `2 h`, `1500 ms`. */
export function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} m`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** Whole seconds to wait before a retry can succeed (at least 1): the `Retry-After` value. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The RATE_LIMITED error of a rate limit: which limit, for whom, on what, and when to retry. */
export function rateLimited(
  limit: LimitInfo & { requests: number; perMs: number },
  retryAfterMs: number
): ManifoldError {
  const on = limit.target ? ` on ${limit.target}` : '';
  const message = `rate limit "${limit.name}" reached for ${limit.principal}${on}: ${limit.requests} requests per ${formatWindow(limit.perMs)}; retry after ${retryAfterSeconds(retryAfterMs)} s`;
  return new ManifoldError('RATE_LIMITED', message, { data: { limit, retryAfterMs } });
}

/** The RATE_LIMITED error of an in-flight limit: the call may be retried once one of the caller's calls has finished. */
export function inFlightLimited(limit: LimitInfo & { inFlight: number }): ManifoldError {
  const message = `concurrency limit "${limit.name}" reached for ${limit.principal} on ${limit.target}: at most ${limit.inFlight} calls in progress at once; retry when one of them has finished`;
  return new ManifoldError('RATE_LIMITED', message, { data: { limit } });
}

/** Whether an error is a limit's refusal (a rate or in-flight limit, a full upstream queue). */
export function isLimitError(error: unknown): error is ManifoldError {
  return error instanceof ManifoldError && (error.code === 'RATE_LIMITED' || error.code === 'UPSTREAM_BUSY');
}

/**
 * A limit's refusal of a tool call as the tool error a model can act on: the message as text, and the limit
 * with `retryAfterMs` (when known) under `_meta["manifold/limit"]`.
 */
export function toLimitedToolResult(error: ManifoldError): GatewayResult {
  const data = error.data ?? {};
  const retryAfterMs = data.retryAfterMs;
  return {
    content: [{ type: 'text', text: error.message }],
    isError: true,
    _meta: {
      [limitMetaKey]: {
        code: error.code,
        ...(data.limit as LimitInfo | undefined),
        ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {})
      }
    }
  };
}

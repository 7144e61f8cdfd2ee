import type { Tracing } from '../telemetry/tracing/index.js';

/**
 * A fetch that adds the active span's `traceparent` (and `tracestate`) to each request, so that a remote server
 * that reads trace context from HTTP headers joins the trace (others read it from `params._meta`).
 */
export function withTraceHeaders(base: typeof fetch, tracing: Tracing): typeof fetch {
  return (input, init) => {
    const carrier: Record<string, string> = {};
    tracing.injectHeaders(carrier);
    if (Object.keys(carrier).length === 0) return base(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const [name, value] of Object.entries(carrier)) headers.set(name, value);
    return base(input, { ...init, headers });
  };
}

import { context, createContextKey, isSpanContextValid, trace } from '@opentelemetry/api';

/** The downstream request a SERVER span serves, kept in its context for the log lines written inside it. */
export const requestKey = createContextKey('manifold.request');

export interface ActiveRequest {
  requestId?: string | number | undefined;
  sessionId?: string | undefined;
}

/**
 * What a log line written now carries of the traced request it is written in: `trace_id`, `span_id`,
 * `request_id`, `session_id`. Empty outside a span (and always with tracing off: no context is kept then).
 */
export function activeTraceFields(): Record<string, string | number> {
  const active = context.active();
  const span = trace.getSpan(active);
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  const fields: Record<string, string | number> = { trace_id: spanContext.traceId, span_id: spanContext.spanId };
  const request = active.getValue(requestKey) as ActiveRequest | undefined;
  if (request?.requestId !== undefined) fields.request_id = request.requestId;
  if (request?.sessionId !== undefined) fields.session_id = request.sessionId;
  return fields;
}

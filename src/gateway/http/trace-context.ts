import type { IncomingMessage } from 'node:http';

/**
 * The request's W3C trace context headers, as the SDK hands a request's HTTP request to its handlers
 * (`ctx.http.req`): what parents its span when tracing is on. Undefined (nothing built) where it carries none.
 */
export function traceContextOf(req: IncomingMessage): { request: Request } | undefined {
  const traceparent = req.headers.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const headers: Record<string, string> = { traceparent };
  const tracestate = req.headers.tracestate;
  if (typeof tracestate === 'string') headers.tracestate = tracestate;
  return { request: new Request('http://localhost/mcp', { method: 'POST', headers }) };
}

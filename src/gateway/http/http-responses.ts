import type { ServerResponse } from 'node:http';

import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** The headers of an SSE stream (`x-accel-buffering`: nginx and its kin would buffer events otherwise). */
export function sseHeaders(sessionId?: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...(sessionId ? { 'mcp-session-id': sessionId } : {})
  };
}

/** One JSON-RPC message as an SSE `message` event, unless the stream has ended. */
export function writeSseEvent(res: ServerResponse, message: JSONRPCMessage): void {
  if (!res.writableEnded) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

/** A comment line on the stream every `intervalMs`, so that idle proxies do not cut it; clear the timer to stop. */
export function startSseKeepAlive(res: ServerResponse, intervalMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (!res.writableEnded) res.write(': keepalive\n\n');
  }, intervalMs);
  timer.unref();
  return timer;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A JSON-RPC error as the whole answer to an HTTP request; `id` when the request's is known. */
export function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id });
}

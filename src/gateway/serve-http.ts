import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { errorMessage } from '../core/errors.js';
import type { GatewayCore } from './gateway-core.js';
import { handleMcpRequest, type McpEndpointContext } from './http/handle-mcp-request.js';
import { sendJson, sendJsonRpcError } from './http/http-responses.js';
import { LegacySessions } from './http/legacy-sessions.js';
import { type ListenAddress, toListenAddress } from './http/listen-address.js';
import { ModernEndpoints } from './http/modern-endpoints.js';
import { createHttpLimitStage } from './http/refuse-over-limit.js';
import { createRequestGuard } from './http/request-guard.js';
import { routeRequest } from './http/route-request.js';
import { sendHealth } from './http/send-health.js';
import { startSessionSweeper } from './http/session-sweeper.js';
import { SseSessions } from './http/sse-sessions.js';

export interface ServeHttpOptions {
  host: string;
  port: number;
  /** Host header values accepted besides localhost. `*` accepts any (only behind a trusted proxy). */
  allowedHosts?: string[];
  /** Origin hostnames accepted besides localhost. */
  allowedOrigins?: string[];
  /** Close a legacy session after this long without a request. */
  sessionIdleMs?: number;
  /** Largest request body accepted; default: the config's gateway.maxMessageBytes. */
  maxMessageBytes?: number;
}

export interface HttpGateway extends AsyncDisposable {
  /** The MCP endpoint, e.g. http://127.0.0.1:3333/mcp */
  url: string;
  /** Where legacy HTTP+SSE clients connect, e.g. http://127.0.0.1:3333/sse */
  sseUrl: string;
  port: number;
  /** The address bound and every URL it answers at (for 0.0.0.0 or ::, each interface). */
  listen: ListenAddress;
  server: HttpServer;
  close(): Promise<void>;
}

/**
 * Serves the gateway over HTTP on one port: Streamable HTTP at /mcp and /mcp/<view> (2026-07-28 requests
 * statelessly through the SDK's handler, older clients in sessions), the legacy HTTP+SSE transport at /sse,
 * and /healthz. The pieces live in ./http/: the request guard (Host and Origin, DNS-rebinding protection),
 * routing, the /mcp handler, the two session registries, the 2026 handler cache, and the idle sweeper.
 */
export async function serveHttp(core: GatewayCore, options: ServeHttpOptions): Promise<HttpGateway> {
  const logger = core.logger.child('http');
  const maxMessageBytes = options.maxMessageBytes ?? core.config.gateway.maxMessageBytes;
  const guard = createRequestGuard(options);
  // limits.http: each principal's requests per window (after the principal is known; /healthz is not counted).
  const overLimit = core.limits.http ? createHttpLimitStage(core.limits.http) : undefined;
  const mcp: McpEndpointContext = {
    core,
    modern: new ModernEndpoints(core, logger),
    legacy: new LegacySessions(core, logger),
    maxMessageBytes,
    logger
  };
  mcp.modern.for('');
  const sse = new SseSessions(core, logger, maxMessageBytes);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Every request passes the guard first: nothing, not even /healthz or a 404 naming a view, answers before it.
    if (!guard(req, res)) return;
    const route = routeRequest(core, req.method, req.url);
    if (overLimit && (route.kind === 'mcp' || route.kind === 'sse' || route.kind === 'messages') && !(await overLimit(req, res))) return;
    switch (route.kind) {
      case 'health':
        return sendHealth(core, res);
      case 'not-found':
        return sendJson(res, 404, { error: route.message });
      case 'bad-request':
        return sendJson(res, 400, { error: route.message });
      case 'mcp':
        return handleMcpRequest(mcp, route.viewName, req, res);
      case 'sse':
        if (req.method === 'GET') return sse.open(route.viewName, res);
        res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'open the SSE stream with GET' }));
        return;
      case 'messages':
        if (req.method === 'POST') return sse.post(route.url, req, res);
        res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'POST messages here, with ?sessionId= from the endpoint event' }));
        return;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(error => {
      logger.error(`request failed: ${errorMessage(error)}`);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'internal error');
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const listen = toListenAddress(server.address() as AddressInfo);
  const url = listen.url;

  const stopSweeper = startSessionSweeper(() => [...mcp.legacy.entries(), ...sse.entries()], options.sessionIdleMs ?? 60 * 60_000, logger);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopSweeper();
    mcp.modern.stopNotifying();
    const closing = new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
    // Streams that never end by themselves end now: legacy SSE sessions, and the GET streams of 2025 sessions.
    // Requests in flight get the 2 s above to finish.
    await Promise.all([...sse.values()].map(session => session.close()));
    for (const session of mcp.legacy.values()) session.transport.endStandaloneStream();
    server.closeIdleConnections();
    await closing;
    await Promise.all([...mcp.legacy.values()].map(session => session.close()));
    await mcp.modern.close();
  };
  return { url, sseUrl: url.replace(/\/mcp$/, '/sse'), port: listen.port, listen, server, close, [Symbol.asyncDispose]: close };
}

import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { errorMessage, ManifoldError } from '../core/errors.js';
import { localPrincipal, type Principal } from '../core/principal.js';
import { type GatewayCore, runStorePath } from './gateway-core.js';
import { createAuthenticator } from './http/authenticate.js';
import type { HttpMount } from './http/http-mount.js';
import { handleMcpRequest, type McpEndpointContext } from './http/handle-mcp-request.js';
import { sendJson, sendJsonRpcError } from './http/http-responses.js';
import { LegacySessions } from './http/legacy-sessions.js';
import { isLoopbackHost, type ListenAddress, toListenAddress } from './http/listen-address.js';
import { ModernEndpoints } from './http/modern-endpoints.js';
import { createHttpLimitStage } from './http/refuse-over-limit.js';
import { createRequestGuard } from './http/request-guard.js';
import { sendResourceMetadata } from './http/protected-resource.js';
import { routeRequest, unknownViewMessage } from './http/route-request.js';
import { sendHealth, sendReady } from './http/send-health.js';
import { sendMetrics } from './http/send-metrics.js';
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
  /** The store file holding keys made by `manifold keys create`; default: the config's store.path from the working directory. */
  storePath?: string;
  /** The config file's folder, for `auth.jwt.file`; default: the working directory. */
  configDir?: string;
  /** This instance's id in a fleet (leads session ids); default: `fleet.instanceId` (or `MANIFOLD_INSTANCE_ID`). */
  instanceId?: string;
  /** A face mounted under its own path prefix (the web console at /console, src/console), past the request guard. */
  mount?: HttpMount;
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
  /** This instance's id in a fleet, if it has one (it leads every session id). */
  instanceId: string | undefined;
  /** From now on /readyz answers 503 (a load balancer stops sending new work); everything else still answers. */
  drain(): void;
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
  const auth = core.config.auth;
  // Without `auth:` nobody is asked who they are, so only this machine may connect.
  if (auth === undefined && !isLoopbackHost(options.host)) {
    throw new ManifoldError(
      'CONFIG_INVALID',
      `refusing to serve HTTP on ${options.host}, beyond this machine, without authentication: add "auth:" to the config (API keys or an OAuth provider, docs/SECURITY.md), or "auth: none" to serve it open on purpose; or bind to 127.0.0.1`
    );
  }
  // Only an id given on purpose (config or MANIFOLD_INSTANCE_ID) leads session ids: a load balancer's map names it.
  const instanceId = options.instanceId ?? core.config.fleet.instanceId;
  // Ready once listening; draining (SIGTERM with fleet.drain, or closing) turns /readyz to 503 first.
  let draining = false;
  const guard = createRequestGuard(options);
  const authenticator = createAuthenticator({
    auth,
    storePath: options.storePath ?? runStorePath(core.config, undefined),
    configDir: options.configDir ?? process.cwd(),
    logger: logger.child('auth')
  });
  // limits.http: each principal's requests per window (counted once the principal is known; /healthz is not).
  const overLimit = core.limits.http ? createHttpLimitStage(core.limits.http) : undefined;
  const mcp: McpEndpointContext = {
    core,
    modern: new ModernEndpoints(core, logger),
    legacy: new LegacySessions(core, logger, instanceId),
    maxMessageBytes,
    logger
  };
  mcp.modern.for('');
  const sse = new SseSessions(core, logger, maxMessageBytes, instanceId);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Every request passes the guard first: nothing, not even /healthz or a 404 naming a view, answers before it.
    if (!guard(req, res)) return;
    // A mounted face (the console) checks its own credential: an MCP key is not an admin's.
    if (options.mount && isUnder(req.url, options.mount.prefix)) return options.mount.handle(req, res, authenticator);
    const route = routeRequest(core, req.method, req.url);
    // Open without a credential: the health check, and where a client learns how to get one (RFC 9728).
    // With auth:, a caller without a valid credential learns only whether the gateway is healthy.
    if (route.kind === 'health') return sendHealth(core, res, !authenticator.enabled || (await authenticator.identify(req)) !== undefined);
    if (route.kind === 'ready') return sendReady(res, { instanceId, draining });
    if (route.kind === 'metrics') return sendMetrics(core, authenticator, req, res);
    if (route.kind === 'resource-metadata') {
      if (authenticator.jwt) return sendResourceMetadata(authenticator.jwt, req, res, route.endpoint);
      return sendJson(res, 404, { error: 'this gateway takes no OAuth access tokens (no auth.jwt in its config)' });
    }
    // Then who is calling: nothing past this point (not even a 404 naming a view) answers an unauthenticated caller.
    const endpoint = route.kind === 'mcp' || route.kind === 'sse' ? { face: route.kind, viewName: route.viewName } : route.kind === 'unknown-view' ? route.endpoint : undefined;
    const principal = await authenticator.authenticate(req, res, endpoint);
    if (principal === false) return;
    if (overLimit && (route.kind === 'mcp' || route.kind === 'sse' || route.kind === 'messages') && !(await overLimit(principal ?? localPrincipal, res))) {
      core.metrics?.limited.inc({ kind: 'http' });
      return;
    }
    switch (route.kind) {
      case 'not-found':
        return sendJson(res, 404, { error: route.message });
      case 'unknown-view':
        return sendJson(res, 404, { error: route.message });
      case 'bad-request':
        return sendJson(res, 400, { error: route.message });
      case 'mcp':
        if (!mayReach(principal, route.viewName)) return refuseView(res, principal, route.kind, route.viewName);
        return handleMcpRequest(mcp, route.viewName, req, res, principal);
      case 'sse':
        if (!mayReach(principal, route.viewName)) return refuseView(res, principal, route.kind, route.viewName);
        if (req.method === 'GET') return sse.open(route.viewName, res, principal);
        res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'open the SSE stream with GET' }));
        return;
      case 'messages':
        if (req.method === 'POST') return sse.post(route.url, req, res, principal);
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
  if (auth === undefined && !listen.loopbackOnly) {
    // A name that resolved beyond loopback: closed before anything was served.
    await new Promise<void>(resolve => server.close(() => resolve()));
    throw new ManifoldError('CONFIG_INVALID', `refusing to serve HTTP on ${options.host} (${listen.address}), beyond this machine, without authentication: add "auth:" to the config (docs/SECURITY.md), or "auth: none" to serve it open on purpose`);
  }
  const url = listen.url;

  const stopSweeper = startSessionSweeper(() => [...mcp.legacy.entries(), ...sse.entries()], options.sessionIdleMs ?? 60 * 60_000, logger);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    draining = true;
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
    await options.mount?.close();
    authenticator[Symbol.dispose]();
  };
  const drain = () => {
    draining = true;
  };
  return { url, sseUrl: url.replace(/\/mcp$/, '/sse'), port: listen.port, listen, server, instanceId, drain, close, [Symbol.asyncDispose]: close };
}

/** Whether a request target's path is `prefix` or below it. */
function isUnder(target: string | undefined, prefix: string): boolean {
  const path = (target ?? '/').split('?', 1)[0] ?? '/';
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Whether a principal may reach a view's endpoints: one without `views` reaches all; one with them reaches
 * /mcp/<view> (and /sse/<view>) of those views, and /mcp itself when `default` is one of them.
 */
export function mayReach(principal: Principal | undefined, viewName: string): boolean {
  return principal?.views === undefined || principal.views.includes(viewName === '' ? 'default' : viewName);
}

/**
 * A view the credential does not reach is answered as one that does not exist (404, the same words), so a key
 * learns nothing about views beyond its own; /mcp says which endpoints the credential does reach.
 */
function refuseView(res: ServerResponse, principal: Principal | undefined, face: 'mcp' | 'sse', viewName: string): void {
  if (viewName !== '') return sendJson(res, 404, { error: unknownViewMessage(viewName) });
  const reachable = (principal?.views ?? []).map(view => `/${face}/${view}`).join(', ');
  sendJson(res, 404, { error: `not found: /${face} serves the whole catalog, which this credential does not reach; it reaches ${reachable || 'no endpoint'}` });
}

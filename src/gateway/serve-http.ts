import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/node';
import { classifyInboundRequest, createMcpHandler, isInitializeRequest, type McpHttpHandler } from '@modelcontextprotocol/server';

import { errorMessage } from '../core/errors.js';
import type { CatalogView } from '../discovery/index.js';
import { createDownstreamServer } from './create-downstream-server.js';
import type { GatewayCore } from './gateway-core.js';
import { sendJson, sendJsonRpcError } from './http-responses.js';
import { mcpParamMismatch } from './mcp-param-validation.js';
import { SseServerTransport } from './sse-server-transport.js';
import { StreamableSessionTransport } from './streamable-session-transport.js';
import { hasView, resolveServedView } from './views.js';

export interface ServeHttpOptions {
  host: string;
  port: number;
  /** Host header values accepted besides localhost. `*` accepts any (only behind a trusted proxy). */
  allowedHosts?: string[];
  /** Origin hostnames accepted besides localhost. */
  allowedOrigins?: string[];
  /** Close a legacy session after this long without a request. */
  sessionIdleMs?: number;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
}

export interface HttpGateway extends AsyncDisposable {
  /** The MCP endpoint, e.g. http://127.0.0.1:3333/mcp */
  url: string;
  /** Where legacy HTTP+SSE clients connect, e.g. http://127.0.0.1:3333/sse */
  sseUrl: string;
  port: number;
  server: HttpServer;
  close(): Promise<void>;
}

interface LegacySession {
  /** The view the session was opened on ('' for /mcp). */
  viewName: string;
  transport: StreamableSessionTransport;
  close(): Promise<void>;
  lastSeen: number;
}

interface SseSession {
  transport: SseServerTransport;
  lastSeen: number;
  close(): Promise<void>;
}

const localhostNames = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * Serves the gateway over Streamable HTTP at /mcp: 2026-07-28 requests statelessly through the SDK's
 * handler, and older clients in sessions (initialize, Mcp-Session-Id, GET stream, DELETE). Host and Origin
 * are checked against localhost (DNS-rebinding protection) unless more are allowed.
 */
export async function serveHttp(core: GatewayCore, options: ServeHttpOptions): Promise<HttpGateway> {
  const logger = core.logger.child('http');
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const anyHost = options.allowedHosts?.includes('*') ?? false;
  const checkHost = hostHeaderValidation([...localhostNames, ...(options.allowedHosts ?? [])]);
  const checkOrigin = originValidation([...localhostNames, ...(options.allowedOrigins ?? [])]);

  // One stateless handler per endpoint: /mcp, and /mcp/<view> for each view asked for (config `views:`).
  const modernHandlers = new Map<string, { handler: McpHttpHandler; view: CatalogView | undefined; removeNotifier: () => void }>();
  const modernFor = (viewName: string) => {
    let entry = modernHandlers.get(viewName);
    if (!entry) {
      const view = resolveServedView(core, viewName === '' ? undefined : viewName);
      const handler = createMcpHandler(() => createDownstreamServer(core, { session: false, view }).server, {
        legacy: 'reject',
        onerror: error => logger.debug(`modern handler: ${errorMessage(error)}`)
      });
      entry = { handler, view, removeNotifier: core.sessions.addNotifier(handler.notify) };
      modernHandlers.set(viewName, entry);
    }
    return entry;
  };
  modernFor('');
  const sessions = new Map<string, LegacySession>();

  const openLegacySession = async (viewName: string): Promise<LegacySession> => {
    const { server, session } = createDownstreamServer(core, { session: true, view: resolveServedView(core, viewName === '' ? undefined : viewName) });
    const entry: LegacySession = {
      viewName,
      transport: new StreamableSessionTransport({
        onsessioninitialized: sessionId => {
          sessions.set(sessionId, entry);
          if (session) {
            // The registry keys a session by the id its client sends back.
            session.id = sessionId;
            core.sessions.add(session);
          }
          logger.debug(`session ${sessionId} opened`);
        }
      }),
      close: async () => {
        await server.close().catch(() => {});
      },
      lastSeen: Date.now()
    };
    entry.transport.onclose = () => {
      const id = entry.transport.sessionId;
      if (id) {
        sessions.delete(id);
        core.sessions.remove(id);
        logger.debug(`session ${id} closed`);
      }
    };
    await server.connect(entry.transport);
    return entry;
  };

  const sseSessions = new Map<string, SseSession>();

  /** GET /sse[/<view>]: a legacy HTTP+SSE client opens its stream; its messages come to POST /messages. */
  const openSseSession = async (viewName: string, res: ServerResponse): Promise<void> => {
    const { server, session } = createDownstreamServer(core, { session: true, view: resolveServedView(core, viewName === '' ? undefined : viewName) });
    const transport = new SseServerTransport(res, '/messages');
    const entry: SseSession = { transport, lastSeen: Date.now(), close: () => server.close().catch(() => {}) };
    if (session) session.id = transport.sessionId;
    transport.onclose = () => {
      sseSessions.delete(transport.sessionId);
      core.sessions.remove(transport.sessionId);
      logger.debug(`SSE session ${transport.sessionId} closed`);
    };
    sseSessions.set(transport.sessionId, entry);
    if (session) core.sessions.add(session);
    await server.connect(transport);
    logger.debug(`SSE session ${transport.sessionId} opened`);
  };

  /** POST /messages?sessionId=: one message (or batch) of a legacy HTTP+SSE session; answered on its stream. */
  const postSseMessage = async (url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const sessionId = url.searchParams.get('sessionId') ?? '';
    const entry = sseSessions.get(sessionId);
    if (!entry) return sendJson(res, 404, { error: `SSE session "${sessionId}" not found (it closed or the gateway restarted): open GET /sse again` });
    let body: unknown;
    try {
      body = await readJsonBody(req, maxBodyBytes);
    } catch (error) {
      return sendJson(res, error instanceof BodyTooLargeError ? 413 : 400, { error: errorMessage(error) });
    }
    entry.lastSeen = Date.now();
    const problem = entry.transport.receive(body);
    if (problem) return sendJson(res, 400, { error: problem });
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && req.method === 'GET') return sendHealth(core, res);
    const sse = /^\/sse(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (sse || url.pathname === '/messages') {
      const sseView = sse?.[1] === undefined ? '' : decodeURIComponent(sse[1]);
      if (sseView !== '' && !hasView(core, sseView)) return sendJson(res, 404, { error: `no view "${sseView}" (declare it under views: in the config)` });
      if (!anyHost && !checkHost(req, res)) return;
      if (!checkOrigin(req, res)) return;
      if (sse && req.method === 'GET') return openSseSession(sseView, res);
      if (!sse && req.method === 'POST') return postSseMessage(url, req, res);
      res.writeHead(405, { allow: sse ? 'GET' : 'POST', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: sse ? 'open the SSE stream with GET' : 'POST messages here, with ?sessionId= from the endpoint event' }));
      return;
    }
    const endpoint = /^\/mcp(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!endpoint) {
      return sendJson(res, 404, { error: `not found: ${url.pathname} (the MCP endpoint is /mcp or /mcp/<view>; legacy SSE clients use /sse or /sse/<view>)` });
    }
    const viewName = endpoint[1] === undefined ? '' : decodeURIComponent(endpoint[1]);
    if (viewName !== '' && !hasView(core, viewName)) return sendJson(res, 404, { error: `no view "${viewName}" (declare it under views: in the config)` });
    if (!anyHost && !checkHost(req, res)) return;
    if (!checkOrigin(req, res)) return;

    const sessionId = header(req, 'mcp-session-id');
    if (req.method === 'POST') {
      let body: unknown;
      try {
        body = await readJsonBody(req, maxBodyBytes);
      } catch (error) {
        const tooLarge = error instanceof BodyTooLargeError;
        return sendJsonRpcError(res, tooLarge ? 413 : 400, tooLarge ? -32600 : -32700, errorMessage(error));
      }
      const inbound = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: header(req, 'mcp-protocol-version'),
        mcpMethodHeader: header(req, 'mcp-method'),
        body
      });
      if (inbound.kind !== 'legacy') {
        const modern = modernFor(viewName);
        const findTool = (name: string) => (modern.view ? modern.view.findTool(name)?.definition : core.catalog.findTool(name)?.definition);
        const mismatch = mcpParamMismatch(findTool, body, name => header(req, name));
        if (mismatch) {
          const id = (body as { id?: unknown } | null)?.id;
          return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32020, message: `Header mismatch: ${mismatch}` }, id: id ?? null });
        }
        await followListenedResources(core, body, res);
        return serveModernRequest(modern.handler, req, res, body);
      }
      if (sessionId) {
        const existing = sessions.get(sessionId);
        if (!existing || existing.viewName !== viewName) return sendJsonRpcError(res, 404, -32001, `session ${sessionId} not found (it expired or the gateway restarted): initialize again`);
        existing.lastSeen = Date.now();
        return existing.transport.handleRequest(req, res, body);
      }
      if (!isInitializeRequest(body)) {
        return sendJsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; start with initialize (or send 2026-07-28 requests with a _meta envelope)');
      }
      const entry = await openLegacySession(viewName);
      return entry.transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!sessionId) {
        res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `${req.method} needs an Mcp-Session-Id (2026-07-28 clients use POST only)` }, id: null }));
        return;
      }
      const existing = sessions.get(sessionId);
      if (!existing || existing.viewName !== viewName) return sendJsonRpcError(res, 404, -32001, `session ${sessionId} not found`);
      existing.lastSeen = Date.now();
      return existing.transport.handleRequest(req, res);
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' });
    res.end();
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
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl === '0.0.0.0' || hostForUrl === '[::]' ? '127.0.0.1' : hostForUrl}:${address.port}/mcp`;

  const idleMs = options.sessionIdleMs ?? 60 * 60_000;
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of [...sessions, ...sseSessions]) {
      if (now - session.lastSeen > idleMs) {
        logger.info(`closing idle session ${id}`);
        void session.close();
      }
    }
  }, Math.min(60_000, idleMs));
  sweeper.unref();

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearInterval(sweeper);
    for (const entry of modernHandlers.values()) entry.removeNotifier();
    const closing = new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
    // Streams that never end by themselves end now: legacy SSE sessions, and the GET streams of 2025 sessions.
    // Requests in flight get the 2 s above to finish.
    await Promise.all([...sseSessions.values()].map(session => session.close()));
    for (const session of sessions.values()) session.transport.endStandaloneStream();
    server.closeIdleConnections();
    await closing;
    await Promise.all([...sessions.values()].map(session => session.close()));
    await Promise.all([...modernHandlers.values()].map(entry => entry.handler.close().catch(() => {})));
  };
  return { url, sseUrl: url.replace(/\/mcp$/, '/sse'), port: address.port, server, close, [Symbol.asyncDispose]: close };
}

/**
 * A 2026-07-28 listen stream that asks for resource updates: the SDK's handler delivers them to it, and the
 * gateway follows those resources upstream while the stream is open.
 */
async function followListenedResources(core: GatewayCore, body: unknown, res: ServerResponse): Promise<void> {
  const message = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | null;
  if (message?.method !== 'subscriptions/listen') return;
  const uris = message.params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris)) return;
  const following = core.sessions.followResources(uris.filter((uri): uri is string => typeof uri === 'string'));
  res.once('close', () => following());
  // The client's stream is acknowledged only once the resources are followed upstream: no update falls between.
  await following.ready;
}

/**
 * One 2026-07-28 request through the SDK's web-standard handler, with the body already parsed. The SDK's
 * toNodeHandler() would serialise the parsed body again into the Request; the handler reads the parsed body
 * it is given, so the Request carries none. The response is written back as toNodeHandler() does: headers,
 * then the body chunk by chunk with write backpressure, stopping when the client goes away.
 */
async function serveModernRequest(handler: McpHttpHandler, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || name === 'content-length' || name === 'transfer-encoding' || name === 'content-encoding') continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const request = new Request(`http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`, { method: 'POST', headers, signal: abort.signal });
  let response: Response;
  try {
    response = await handler.fetch(request, { parsedBody: body });
  } catch {
    const id = (body as { id?: unknown } | null)?.id;
    response = Response.json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: typeof id === 'string' || typeof id === 'number' ? id : null }, { status: 500 });
  }
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of response.headers) responseHeaders[name] = value;
  res.writeHead(response.status, responseHeaders);
  if (response.body === null) {
    finished = true;
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (abort.signal.aborted) break;
      if (!res.write(chunk)) {
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done);
            abort.signal.removeEventListener('abort', done);
            resolve();
          };
          res.on('drain', done);
          abort.signal.addEventListener('abort', done);
        });
      }
    }
  } catch {
    // The stream failed or the client went away: end what was sent.
  }
  finished = true;
  res.end();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

class BodyTooLargeError extends Error {}

async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Parse error: the body is not JSON (${errorMessage(error)})`);
  }
}

function sendHealth(core: GatewayCore, res: ServerResponse): void {
  const upstreams = [...core.upstreams.values()].map(upstream => ({ name: upstream.name, state: upstream.state.kind }));
  const ok = upstreams.every(upstream => upstream.state === 'ready');
  sendJson(res, 200, { status: ok ? 'ok' : 'degraded', tools: core.catalog.tools.length, upstreams });
}

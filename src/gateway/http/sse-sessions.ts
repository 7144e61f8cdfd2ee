import type { IncomingMessage, ServerResponse } from 'node:http';

import { type Principal, samePrincipal } from '../../core/principal.js';
import type { Logger } from '../../telemetry/logger.js';
import { createDownstreamServer } from '../create-downstream-server.js';
import type { GatewayCore } from '../gateway-core.js';
import { resolveServedView } from '../views.js';
import { sendJson, sendJsonRpcError } from './http-responses.js';
import { readJsonRpcBody } from './read-json-body.js';
import { SseServerTransport } from './sse-server-transport.js';
import { traceContextOf } from './trace-context.js';

/** A legacy HTTP+SSE session (protocol 2024-11-05): its GET stream, and when it was last heard from. */
export interface SseSession {
  transport: SseServerTransport;
  /** Who opened the stream (undefined: the local user); only they may post to it. */
  principal: Principal | undefined;
  lastSeen: number;
  close(): Promise<void>;
}

/** The open legacy HTTP+SSE sessions, by the id in their `endpoint` event. */
export class SseSessions {
  private readonly sessions = new Map<string, SseSession>();

  constructor(
    private readonly core: GatewayCore,
    private readonly logger: Logger,
    private readonly maxMessageBytes: number,
    /** Leads every session id (fleet mode): the load balancer routes by it. */
    private readonly instanceId?: string
  ) {}

  entries(): IterableIterator<[string, SseSession]> {
    return this.sessions.entries();
  }

  values(): IterableIterator<SseSession> {
    return this.sessions.values();
  }

  /** GET /sse[/<view>]: a legacy HTTP+SSE client opens its stream; its messages come to POST /messages. */
  async open(viewName: string, res: ServerResponse, principal: Principal | undefined): Promise<void> {
    const { core, logger, sessions } = this;
    const { server, session } = createDownstreamServer(core, { session: true, view: resolveServedView(core, viewName === '' ? undefined : viewName), principal });
    const transport = new SseServerTransport(res, '/messages', undefined, this.instanceId);
    const entry: SseSession = { transport, principal, lastSeen: Date.now(), close: () => server.close().catch(() => {}) };
    if (session) session.id = transport.sessionId;
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
      core.sessions.remove(transport.sessionId);
      logger.debug(`SSE session ${transport.sessionId} closed`);
    };
    sessions.set(transport.sessionId, entry);
    if (session) core.sessions.add(session);
    await server.connect(transport);
    logger.debug(`SSE session ${transport.sessionId} opened`);
  }

  /** POST /messages?sessionId=: one message (or batch) of a legacy HTTP+SSE session; answered on its stream. */
  async post(url: URL, req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): Promise<void> {
    const sessionId = url.searchParams.get('sessionId') ?? '';
    const entry = this.sessions.get(sessionId);
    // Bound to the principal that opened the stream: another credential is told what an unknown id is told.
    if (!entry || !samePrincipal(entry.principal, principal)) return sendJson(res, 404, { error: `SSE session "${sessionId}" not found (it closed or the gateway restarted): open GET /sse again` });
    const read = await readJsonRpcBody(req, res, this.maxMessageBytes, this.logger);
    if (!read) return;
    entry.lastSeen = Date.now();
    // The POST's traceparent header parents its request's span (tracing on).
    const problem = entry.transport.receive(read.body, traceContextOf(req));
    // A JSON-RPC error (Invalid Request), as every face answers JSON that is not JSON-RPC (found by test/fuzz/http-frames-fuzz.test.ts).
    if (problem) return sendJsonRpcError(res, 400, -32600, problem);
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { JSONRPCMessage, RequestId, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { isInitializeRequest, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

import { toJsonRpcMessages } from '../json-rpc-frames.js';
import { newSessionId } from './session-id.js';
import { traceContextOf } from './trace-context.js';
import { sendJsonRpcError as sendError, sseHeaders, startSseKeepAlive, writeSseEvent as writeEvent } from './http-responses.js';

export interface StreamableSessionOptions {
  /** Called with the new session's id when its initialize arrives (before it is answered). */
  onsessioninitialized?: (sessionId: string) => void;
  /** Comment lines on open SSE streams at this interval keep idle proxies from cutting them. */
  keepAliveMs?: number;
  /**
   * A POST whose answer has not come after this long opens its SSE stream (headers out, keep-alives on), so
   * that a slow call never waits on a client's or a proxy's header timeout.
   */
  streamAfterMs?: number;
  /** Leads the session id (`<instanceId>.<uuid>`): the instance of a fleet that holds the session. */
  instanceId?: string | undefined;
}

/** One POST that carried requests: where their responses, and what the server says meanwhile, go. */
interface Exchange {
  res: ServerResponse;
  /** The requests of the POST, and the responses that came so far. */
  pending: Set<RequestId>;
  responses: JSONRPCMessage[];
  /** `json` until something other than the answer must go out first; then `sse`. */
  mode: 'json' | 'sse';
  gone: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The server side of a 2025 Streamable HTTP session (protocol 2025-03-26 to 2025-11-25), on the SDK's
 * Transport interface for the SDK's Server, written on node:http directly: the SDK's own session transport
 * converts every request and response to web-standard objects, which costs a third of the gateway's CPU per
 * call (docs/PERFORMANCE.md). Behaviour follows the SDK's transport (status codes, messages, session and
 * protocol-version checks, one GET stream per session) with one difference the specification allows: a POST
 * whose answer comes before anything else is answered as `application/json`, and only a POST that has
 * notifications or server requests to carry first (progress, logs, sampling, elicitation, roots), or is still
 * running after `streamAfterMs`, becomes a `text/event-stream`. Quick calls, the common case, skip SSE framing
 * on both sides. Resumability (Last-Event-ID) is not offered, as the SDK's transport does not without an event
 * store.
 */
export class StreamableSessionTransport implements Transport {
  sessionId: string | undefined;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { request?: Request }) => void;

  private initialized = false;
  private closed = false;
  private supportedVersions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  private readonly exchanges = new Map<RequestId, Exchange>();
  private standalone: { res: ServerResponse; keepAlive: NodeJS.Timeout | undefined } | undefined;
  private readonly keepAliveMs: number;
  private readonly streamAfterMs: number;

  constructor(private readonly options: StreamableSessionOptions = {}) {
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.streamAfterMs = options.streamAfterMs ?? 500;
  }

  async start(): Promise<void> {}

  setSupportedProtocolVersions(versions: string[]): void {
    this.supportedVersions = versions;
  }

  /** A request of this session: POST (with its parsed body), GET (the stream for unrelated messages) or DELETE. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    if (this.closed) return sendError(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') return this.handlePost(req, res, body);
    if (req.method === 'GET') return this.handleGet(req, res);
    if (req.method === 'DELETE') return this.handleDelete(req, res);
    res.setHeader('allow', 'GET, POST, DELETE');
    return sendError(res, 405, -32000, 'Method not allowed.');
  }

  private handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return sendError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
      return sendError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const frame = toJsonRpcMessages(body);
    if (!frame.ok) return sendError(res, 400, frame.code, frame.message, frame.id);
    const messages = frame.messages;
    const initializing = messages.some(message => isInitializeRequest(message));
    if (initializing) {
      if (this.initialized) return sendError(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return sendError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.sessionId = newSessionId(this.options.instanceId);
      this.initialized = true;
      this.options.onsessioninitialized?.(this.sessionId);
    } else if (!this.checkSession(req, res)) {
      return;
    }

    const requests = messages.filter(message => isJSONRPCRequest(message));
    if (requests.length === 0) {
      for (const message of messages) this.onmessage?.(message);
      res.writeHead(202).end();
      return;
    }
    const exchange: Exchange = { res, pending: new Set(requests.map(request => request.id)), responses: [], mode: 'json', gone: false, timer: undefined };
    for (const request of requests) this.exchanges.set(request.id, exchange);
    res.on('close', () => {
      exchange.gone = true;
      clearInterval(exchange.timer);
    });
    exchange.timer = setTimeout(() => this.openStream(exchange), this.streamAfterMs);
    exchange.timer.unref();
    const extra = traceContextOf(req);
    for (const message of messages) this.onmessage?.(message, extra);
  }

  private handleGet(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return sendError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (!this.checkSession(req, res)) return;
    if (this.standalone) return sendError(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    res.writeHead(200, sseHeaders(this.sessionId));
    res.flushHeaders();
    const standalone = { res, keepAlive: startSseKeepAlive(res, this.keepAliveMs) };
    this.standalone = standalone;
    res.on('close', () => {
      clearInterval(standalone.keepAlive);
      if (this.standalone === standalone) this.standalone = undefined;
    });
  }

  private async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.checkSession(req, res)) return;
    res.writeHead(200).end();
    await this.close();
  }

  /** Whether the request belongs to this initialized session, at a protocol version it speaks; else answered. */
  private checkSession(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.initialized) {
      sendError(res, 400, -32000, 'Bad Request: Server not initialized');
      return false;
    }
    const sessionId = req.headers['mcp-session-id'];
    if (!sessionId) {
      sendError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return false;
    }
    if (sessionId !== this.sessionId) {
      sendError(res, 404, -32001, 'Session not found');
      return false;
    }
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !this.supportedVersions.includes(version)) {
      sendError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${this.supportedVersions.join(', ')})`);
      return false;
    }
    return true;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResponse = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const requestId = isResponse ? (message as { id: RequestId }).id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (isResponse) throw new Error('Cannot send a response on a standalone SSE stream unless resuming a previous client request');
      // Unrelated messages go to the session's GET stream, or nowhere while it has none (as with the SDK).
      if (this.standalone) writeEvent(this.standalone.res, message);
      return;
    }
    const exchange = this.exchanges.get(requestId);
    if (!exchange) throw new Error(`No connection established for request ID: ${String(requestId)}`);
    if (!isResponse) {
      if (exchange.gone) return;
      if (exchange.mode === 'json') this.openStream(exchange);
      writeEvent(exchange.res, message);
      return;
    }
    exchange.pending.delete(requestId);
    this.exchanges.delete(requestId);
    exchange.responses.push(message);
    if (exchange.gone) {
      this.onerror?.(new Error(`Response for request ID ${String(requestId)} is undeliverable: its HTTP request is gone`));
      return;
    }
    if (exchange.mode === 'sse') {
      writeEvent(exchange.res, message);
      if (exchange.pending.size === 0) this.finish(exchange);
      return;
    }
    if (exchange.pending.size > 0) return;
    clearTimeout(exchange.timer);
    const payload = JSON.stringify(exchange.responses.length === 1 ? exchange.responses[0] : exchange.responses);
    exchange.res.writeHead(200, { 'content-type': 'application/json', ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}) });
    exchange.res.end(payload);
  }

  /** Ends the session's GET stream, if open (the client may open another); used when the gateway stops. */
  endStandaloneStream(): void {
    if (!this.standalone) return;
    clearInterval(this.standalone.keepAlive);
    this.standalone.res.end();
    this.standalone = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of new Set(this.exchanges.values())) this.finish(exchange);
    this.exchanges.clear();
    this.endStandaloneStream();
    this.onclose?.();
  }

  /** Turns a POST's answer into an SSE stream (headers out, keep-alives on); what came so far goes first. */
  private openStream(exchange: Exchange): void {
    if (exchange.mode === 'sse' || exchange.gone || exchange.res.headersSent) return;
    exchange.mode = 'sse';
    clearTimeout(exchange.timer);
    exchange.res.writeHead(200, sseHeaders(this.sessionId));
    exchange.res.flushHeaders();
    for (const response of exchange.responses) writeEvent(exchange.res, response);
    exchange.timer = startSseKeepAlive(exchange.res, this.keepAliveMs);
  }

  /** Ends a POST's response; answers already in (a batch still in JSON mode) go out first, as events. */
  private finish(exchange: Exchange): void {
    if (!exchange.gone && !exchange.res.writableEnded) {
      this.openStream(exchange);
      exchange.res.end();
    }
    clearInterval(exchange.timer);
  }
}


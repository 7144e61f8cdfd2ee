import type { ServerResponse } from 'node:http';

import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

import { toJsonRpcMessages } from '../json-rpc-frames.js';
import { newSessionId } from './session-id.js';
import { sseHeaders, startSseKeepAlive, writeSseEvent } from './http-responses.js';

/**
 * The server side of the legacy HTTP+SSE transport (protocol 2024-11-05, still the only HTTP transport of
 * many clients): the client opens `GET /sse`, the first event names the URL to POST its messages to, and
 * every message from the server (responses, notifications, requests) travels as an `event: message` on that
 * one stream. SDK v2 ships only the client side of it; this is the server side, on the SDK's Transport
 * interface, so the SDK's Server runs over it unchanged.
 */
export class SseServerTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { request?: Request }) => void;

  private closed = false;
  private keepAlive: NodeJS.Timeout | undefined;

  /**
   * `endpoint` is the path clients POST to (the session id is added as `?sessionId=`); `keepAliveMs` spaces
   * the comment lines that keep idle proxies from cutting the stream; `instanceId` leads the session id (fleet).
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly endpoint: string,
    private readonly keepAliveMs = 25_000,
    instanceId?: string
  ) {
    this.sessionId = newSessionId(instanceId);
  }

  /** The URL clients POST to, as announced in the `endpoint` event. */
  get messagesUrl(): string {
    return `${this.endpoint}?sessionId=${this.sessionId}`;
  }

  async start(): Promise<void> {
    if (this.res.headersSent) throw new Error('SseServerTransport already started');
    this.res.writeHead(200, sseHeaders());
    this.res.write(`event: endpoint\ndata: ${this.messagesUrl}\n\n`);
    this.res.on('close', () => this.finish());
    this.keepAlive = startSseKeepAlive(this.res, this.keepAliveMs);
  }

  /**
   * A POSTed body: one JSON-RPC message or a batch of them (batches by the rules of every face, json-rpc-frames.ts). Returns why it is
   * not one, or undefined once the messages are handed to the server.
   */
  receive(body: unknown, extra?: { request: Request }): string | undefined {
    const frame = toJsonRpcMessages(body);
    if (!frame.ok) return frame.message;
    for (const message of frame.messages) this.onmessage?.(message, extra);
    return undefined;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the SSE stream is closed');
    writeSseEvent(this.res, message);
  }

  async close(): Promise<void> {
    if (!this.res.writableEnded) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.onclose?.();
  }
}

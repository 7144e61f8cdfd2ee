import type { Readable, Writable } from 'node:stream';

import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';
import { isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/server';

import { JsonLines, type OversizedLine } from '../core/json-lines.js';
import type { Logger } from '../telemetry/logger.js';
import { errorResponse, toJsonRpcMessages, tooLargeMessage } from './json-rpc-frames.js';

export interface StdioLineTransportOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** gateway.maxMessageBytes: a longer line is answered with an error and skipped. */
  maxMessageBytes: number;
  logger: Logger;
  /** Sees every message the client sends, before the server does. */
  oninbound?: (message: JSONRPCMessage) => void;
  /** Called once when the connection ends (stdin closed, or close()), whoever else listens to onclose. */
  onend?: () => void;
}

/**
 * The gateway's side of stdio (newline-delimited JSON-RPC on this process's stdin and stdout), on the SDK's
 * Transport interface, handed to the SDK's serveStdio as its wire. It reads stdin once: the gateway sees each
 * message (`oninbound`) from the same reader the SDK is fed by. Unlike the SDK's StdioServerTransport, which
 * closes the connection on a line over 10 MB and skips lines that are not JSON-RPC without a word, every frame
 * is answered by the rules of every face (json-rpc-frames.ts): a line over `maxMessageBytes` gets -32600 (with
 * its id when it can be read from the line's start or end) and is skipped, a malformed line gets -32700 with
 * id null, a batch is delivered message by message and its answers go back as one array line. The connection
 * goes on.
 */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly lines: JsonLines;
  /** Batches waiting for answers: each request id of a batch maps to the batch's answers. */
  private readonly batches = new Map<RequestId, { pending: Set<RequestId>; responses: JSONRPCMessage[] }>();
  private started = false;
  private closed = false;

  constructor(private readonly options: StdioLineTransportOptions) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.lines = new JsonLines({ maxBytes: options.maxMessageBytes, onLine: line => this.onLine(line), onOversized: line => this.onOversized(line) });
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioLineTransport already started');
    this.started = true;
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onStdinEnd);
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
    this.stdin.on('end', this.onStdinEnd);
    this.stdin.on('close', this.onStdinEnd);
    this.stdout.on('error', this.onStdoutError);
  }

  private readonly onStdinError = (error: Error) => this.onerror?.(error);
  private readonly onStdinEnd = () => void this.close();
  private readonly onStdoutError = (error: Error) => {
    if (this.closed) return;
    this.options.logger.warn(`cannot write to stdout (${error.message}): closing the connection`);
    this.onerror?.(error);
    void this.close();
  };

  private readonly onData = (chunk: Buffer | string) => this.lines.push(chunk);

  /** A line over the limit: answered -32600 (with its id when its start or end shows it), logged at warn. */
  private onOversized({ bytes, id }: OversizedLine): void {
    const limit = this.options.maxMessageBytes;
    this.options.logger.warn(`refused a message of ${bytes} bytes, over gateway.maxMessageBytes (${limit} bytes); answered -32600${id === null ? '' : ` to request ${String(id)}`}`);
    this.reply(errorResponse(id, -32600, tooLargeMessage(bytes, limit)));
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.options.logger.warn(`a line that is not JSON (${(error as Error).message}); answered -32700`);
      this.reply(errorResponse(null, -32700, `Parse error: the line is not JSON (${(error as Error).message}); send one JSON-RPC message per line`));
      return;
    }
    const frame = toJsonRpcMessages(value);
    if (!frame.ok) {
      this.options.logger.warn(`refused a line: ${frame.message}`);
      this.reply(errorResponse(frame.id, frame.code, frame.message));
      return;
    }
    if (frame.batch) {
      const requests = frame.messages.filter(message => isJSONRPCRequest(message));
      const batch = { pending: new Set(requests.map(request => request.id)), responses: [] };
      for (const request of requests) this.batches.set(request.id, batch);
    }
    for (const message of frame.messages) {
      if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') this.settleCancelled(message.params?.requestId);
      this.options.oninbound?.(message);
      this.onmessage?.(message);
    }
  }

  /** A cancelled request of a batch gets no answer: the batch is answered without it. */
  private settleCancelled(id: unknown): void {
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const batch = this.batches.get(id);
    if (!batch) return;
    this.batches.delete(id);
    batch.pending.delete(id);
    if (batch.pending.size === 0 && batch.responses.length > 0) this.reply(batch.responses);
  }

  /** An answer the transport writes itself; a failed write is reported, not thrown. */
  private reply(message: JSONRPCMessage | JSONRPCMessage[]): void {
    this.write(message).catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the stdio connection is closed');
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const id = (message as { id: RequestId }).id;
      const batch = this.batches.get(id);
      if (batch) {
        // A batch is answered with one array, once every request of it is.
        this.batches.delete(id);
        batch.pending.delete(id);
        batch.responses.push(message);
        if (batch.pending.size > 0) return;
        return this.write(batch.responses);
      }
    }
    return this.write(message);
  }

  private write(message: JSONRPCMessage | JSONRPCMessage[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.stdout.off('drain', onDrain);
        reject(error);
      };
      const onDrain = () => {
        this.stdout.off('error', onError);
        resolve();
      };
      this.stdout.once('error', onError);
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) {
        this.stdout.off('error', onError);
        resolve();
      } else {
        this.stdout.once('drain', onDrain);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    this.stdin.off('end', this.onStdinEnd);
    this.stdin.off('close', this.onStdinEnd);
    // Late write failures (the client went away) are not errors of a closed connection.
    this.stdout.off('error', this.onStdoutError);
    this.stdout.on('error', () => {});
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.lines.reset();
    this.batches.clear();
    this.onclose?.();
    this.options.onend?.();
  }
}

export { idOfOversized } from '../core/json-lines.js';

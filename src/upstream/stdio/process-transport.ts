import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/client';

import { ManifoldError } from '../../core/errors.js';
import { JsonLines, type OversizedLine } from '../../core/json-lines.js';
import type { Logger } from '../../telemetry/logger.js';
import { type SpawnedProcess, type SpawnOptions, spawnProcess } from './spawn-process.js';

export interface ProcessTransportOptions extends SpawnOptions {
  /** Receives each line the server writes to stderr. */
  onStderrLine?: (line: string) => void;
  logger?: Logger;
  /** gateway.maxMessageBytes: a longer message from the server is skipped (see onOversized); default 16 MiB. */
  maxMessageBytes?: number;
}

const defaultMaxMessageBytes = 16 * 1024 * 1024;

/**
 * MCP over a child's stdin/stdout, with the child in its own process group so that closing the transport
 * reaps every process the server started. Messages are newline-delimited JSON.
 */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private process: SpawnedProcess | undefined;
  private readonly limit: number;
  private readonly lines: JsonLines;
  private closed = false;
  private stderrTail: string[] = [];

  constructor(private readonly options: ProcessTransportOptions) {
    this.limit = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.lines = new JsonLines({ maxBytes: this.limit, onLine: line => this.onLine(line), onOversized: line => this.onOversized(line) });
  }

  get pid(): number | undefined {
    return this.process?.child.pid;
  }

  /** The last lines the server wrote to stderr (for error messages when it dies). */
  get recentStderr(): string[] {
    return [...this.stderrTail];
  }

  async start(): Promise<void> {
    if (this.process) throw new Error('ProcessTransport already started');
    const spawned = spawnProcess(this.options);
    this.process = spawned;
    const { child } = spawned;

    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const hint =
          error.code === 'ENOENT'
            ? `command "${this.options.command}" was not found (check the command and PATH)`
            : error.message;
        reject(new ManifoldError('SPAWN_FAILED', `could not start ${this.options.command}: ${hint}`, { cause: error }));
      };
      child.once('error', onError);
      child.once('spawn', () => {
        child.off('error', onError);
        child.on('error', error => this.onerror?.(error));
        resolve();
      });
    });

    child.stdout.on('data', (chunk: Buffer) => this.lines.push(chunk));
    child.stdout.on('error', error => this.onerror?.(error));
    child.stdin.on('error', error => {
      // EPIPE when the child died: the exit handler reports it.
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') this.onerror?.(error);
    });
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline).replace(/\r$/, '');
        partial = partial.slice(newline + 1);
        this.onStderr(line);
      }
      if (partial.length > 64 * 1024) {
        this.onStderr(partial);
        partial = '';
      }
    });
    const stderrEnded = new Promise<void>(resolve => {
      child.stderr.once('end', resolve);
      child.stderr.once('close', resolve);
    });
    void spawned.exited.then(async ({ code, signal }) => {
      // The last stderr lines are often why it died: let them arrive first (bounded: a grandchild may hold the pipe).
      await Promise.race([stderrEnded, new Promise(resolve => setTimeout(resolve, 250).unref())]);
      if (partial) this.onStderr(partial);
      if (!this.closed) {
        this.closed = true;
        this.options.logger?.debug('process exited', { code, signal });
        // After any response still being delivered (see onLine).
        setImmediate(() => this.onclose?.());
      }
    });
  }

  private onStderr(line: string): void {
    if (!line) return;
    this.stderrTail.push(line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
    this.options.onStderrLine?.(line);
  }

  /**
   * A message from the server over gateway.maxMessageBytes is skipped and the connection goes on. An answer whose
   * id can be read fails the request it answers, alone; a request of the server's whose id can be read is
   * answered with an error; anything else is dropped. Each is logged at warn.
   */
  private onOversized({ bytes, id, response }: OversizedLine): void {
    const limit = this.limit;
    const size = `${bytes} bytes, over gateway.maxMessageBytes (${limit} bytes)`;
    const logger = this.options.logger;
    if (id === null) {
      logger?.warn(`dropped a message from the server of ${size}: its id cannot be read, so nothing waits on it`);
      return;
    }
    if (response) {
      logger?.warn(`the server's answer to request ${String(id)} was ${size}; the request fails, the connection goes on`);
      const failure: JSONRPCMessage = {
        jsonrpc: '2.0',
        id,
        error: { code: -32603, message: `the server's answer was ${size}; raise gateway.maxMessageBytes in the config if such answers are expected` }
      };
      setImmediate(() => this.onmessage?.(failure));
      return;
    }
    logger?.warn(`refused a request from the server of ${size}; answered it with an error`);
    const refusal: JSONRPCMessage = {
      jsonrpc: '2.0',
      id,
      error: { code: -32600, message: `Invalid Request: the message is ${size}; send a smaller one` }
    };
    this.send(refusal).catch(() => {});
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      // A server that prints to stdout breaks the protocol; say so and keep reading.
      this.options.onStderrLine?.(`(stdout, not JSON-RPC) ${line.slice(0, 500)}`);
      return;
    }
    // SDK 2.4.0 dispatches a notification (progress) a microtask later but a response at once: a response read
    // in the same chunk as the request's last progress would overtake it, and that progress would be dropped
    // as "unknown token". A response is delivered after whatever came before it has settled.
    if (!('method' in message)) setImmediate(() => this.onmessage?.(message));
    else this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const child = this.process?.child;
    if (!child || this.closed || !child.stdin.writable) {
      return Promise.reject(new ManifoldError('UPSTREAM_CLOSED', 'the server process is not running'));
    }
    // Settled once the message is handed to the pipe: a server that died before it could read the message
    // (EPIPE) rejects it as not sent, so that a caller knows it never ran.
    return new Promise((resolve, reject) => {
      child.stdin.write(serializeMessage(message), error => {
        if (error) reject(new ManifoldError('UPSTREAM_CLOSED', 'the server process is not running (it exited before reading the message)', { cause: error }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    const spawned = this.process;
    const wasClosed = this.closed;
    this.closed = true;
    this.lines.reset();
    if (spawned) await spawned.terminate();
    if (!wasClosed) this.onclose?.();
  }
}

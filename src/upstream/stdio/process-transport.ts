import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/client';

import { ManifoldError } from '../../core/errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { type SpawnedProcess, type SpawnOptions, spawnProcess } from './spawn-process.js';

export interface ProcessTransportOptions extends SpawnOptions {
  /** Receives each line the server writes to stderr. */
  onStderrLine?: (line: string) => void;
  logger?: Logger;
  /** Largest single message accepted from the server. */
  maxMessageBytes?: number;
}

/**
 * MCP over a child's stdin/stdout, with the child in its own process group so that closing the transport
 * reaps every process the server started. Messages are newline-delimited JSON.
 */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private process: SpawnedProcess | undefined;
  private pending: Buffer[] = [];
  private closed = false;
  private stderrTail: string[] = [];
  private pendingBytes = 0;

  constructor(private readonly options: ProcessTransportOptions) {}

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

    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
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

  private onData(chunk: Buffer): void {
    const limit = this.options.maxMessageBytes ?? 64 * 1024 * 1024;
    let from = 0;
    let newline: number;
    // Only the new chunk is searched for newlines, so a large message costs linear time.
    while ((newline = chunk.indexOf(0x0a, from)) >= 0) {
      const piece = chunk.subarray(from, newline);
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      from = newline + 1;
      this.onLine(line.toString('utf8').replace(/\r$/, ''));
    }
    if (from < chunk.length) {
      this.pending.push(chunk.subarray(from));
      this.pendingBytes += chunk.length - from;
      if (this.pendingBytes > limit) {
        this.pending = [];
        this.pendingBytes = 0;
        this.onerror?.(new Error(`a message from the server exceeded ${limit} bytes; closing the connection`));
        void this.close();
      }
    }
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
    this.pending = [];
    if (spawned) await spawned.terminate();
    if (!wasClosed) this.onclose?.();
  }
}

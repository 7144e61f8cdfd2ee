import { ManifoldError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { UpstreamConnection, UpstreamRelay } from '../upstream/index.js';
import type { InflightRegistry } from './inflight.js';
import type { DownstreamContext } from '../core/pipeline.js';

/** The upstream session a call goes to, and the key its in-flight entry is registered under. */
export interface UpstreamLease {
  connection: UpstreamConnection;
  /** The key of this session in the {@link InflightRegistry}. */
  relayKey: string;
  /** Ends the call's use of the session (a request-scoped session is closed with it). */
  release(): void;
}

const noRelease = () => {};

/** A call to the shared session of a server: nothing to open, nothing to release. */
export function sharedLease(upstream: UpstreamConnection): UpstreamLease {
  return { connection: upstream, relayKey: upstream.name, release: noRelease };
}

export interface PerClientUpstreamsOptions {
  inflight: InflightRegistry;
  logger: Logger;
  /** Most client sessions per server (`gateway.perClientMax`). */
  max: number;
  /** Close a client's session after this long without a call (`gateway.perClientIdle`). */
  idleMs: number;
  /** Builds (does not start) the connection of one client (`sessionId`) to the server, with its relay. */
  create(server: string, relay: UpstreamRelay, sessionId: string): UpstreamConnection;
}

interface Entry {
  server: string;
  sessionId: string;
  connection: UpstreamConnection;
  calls: number;
  lastUsed: number;
  requestScoped: boolean;
}

/**
 * The upstream sessions of `perClient` servers: one per downstream client session, so that the client's roots,
 * sampling and elicitation reach that session only. Opened on the client's first call to the server, closed when
 * the client's session ends, after `idleMs` without a call, or (a sessionless 2026-07-28 request) when its
 * call ends. At most `max` per server. Calls to shared servers lease the shared connection.
 */
export class PerClientUpstreams implements AsyncDisposable {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  /** Sessions being closed, awaited by close(). */
  private readonly closing = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly options: PerClientUpstreamsOptions) {
    this.logger = options.logger;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(60_000, options.idleMs / 2)));
    this.sweeper.unref();
  }

  /** Open client sessions of `server` (all servers when absent). */
  size(server?: string): number {
    let count = 0;
    for (const entry of this.entries.values()) if (server === undefined || entry.server === server) count++;
    return count;
  }

  /**
   * The session for a call from `downstream` to `upstream` (the shared connection, or for a `perClient` server
   * the caller's own, opened now if it has none). Synchronous, so the call can be registered in flight before
   * the new session's handshake (when servers ask for roots).
   */
  lease(upstream: UpstreamConnection, downstream: DownstreamContext): UpstreamLease {
    if (!upstream.config.perClient) return sharedLease(upstream);
    const server = upstream.name;
    const key = `${server}#${downstream.sessionId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const open = this.size(server);
      if (open >= this.options.max) {
        throw new ManifoldError(
          'UPSTREAM_UNAVAILABLE',
          `server "${server}" is per-client and already has ${open} client sessions open (gateway.perClientMax = ${this.options.max}): ` +
            `try again when a client disconnects or idles out (gateway.perClientIdle), or raise gateway.perClientMax`,
          { data: { server, perClientMax: this.options.max } }
        );
      }
      const connection = this.options.create(server, this.options.inflight.relayFor(server, key, downstream.sessionId), downstream.sessionId);
      entry = {
        server,
        sessionId: downstream.sessionId,
        connection,
        calls: 0,
        lastUsed: Date.now(),
        requestScoped: downstream.requestScoped === true
      };
      this.entries.set(key, entry);
      this.logger.debug(
        `opening a session with "${server}" for client ${downstream.sessionId} (${open + 1}/${this.options.max})`
      );
      // A 2025 server logs at the level set on its session: the client's own, from the start.
      if (downstream.logLevel) void connection.applyLoggingLevel(downstream.logLevel);
      void connection.start();
    }
    const leased = entry;
    leased.calls++;
    let released = false;
    return {
      connection: leased.connection,
      relayKey: key,
      release: () => {
        if (released) return;
        released = true;
        leased.calls--;
        leased.lastUsed = Date.now();
        if (leased.calls === 0 && leased.requestScoped) this.closeEntry(key, 'its request ended');
      }
    };
  }

  /** A client session ended: its sessions with `perClient` servers are closed. */
  endSession(sessionId: string): void {
    for (const [key, entry] of this.entries)
      if (entry.sessionId === sessionId) this.closeEntry(key, 'the client session ended');
  }

  /** Sends a notification (roots/list_changed) to the sessions that client has with `perClient` servers. */
  notifySession(sessionId: string, method: string): void {
    for (const entry of this.entries.values()) {
      if (entry.sessionId === sessionId && entry.connection.era === 'legacy') void entry.connection.notify(method);
    }
  }

  private closeEntry(key: string, why: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.logger.debug(`closing the session with "${entry.server}" of client ${entry.sessionId}: ${why}`);
    const stopping = entry.connection.stop().finally(() => this.closing.delete(stopping));
    this.closing.add(stopping);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.calls === 0 && now - entry.lastUsed >= this.options.idleMs)
        this.closeEntry(key, `idle for ${Math.round(this.options.idleMs / 1000)} s`);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all([...entries.map(entry => entry.connection.stop()), ...this.closing]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

import { ResultSchema } from '@modelcontextprotocol/core';
import type { LoggingMessageNotificationParams } from '@modelcontextprotocol/server';
import { ProtocolError } from '@modelcontextprotocol/server';

import type { Logger } from '../telemetry/logger.js';
import type { ServerRequestMethod, UpstreamRelay } from '../upstream/index.js';
import type { Root } from './configured-roots.js';
import type { DownstreamContext } from '../core/pipeline.js';
import { logSeverity, type SessionRegistry } from './sessions.js';

const capabilityFor: Record<ServerRequestMethod, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots'
};

/** How long a request relayed to a client outside any call (a per-client server asking for roots) may take. */
const sessionRequestTimeoutMs = 60_000;

/**
 * Knows which downstream calls are in flight on which upstream session, so that what a 2025-era upstream
 * sends during a call (requests to the client, log messages), which carries no request id, reaches the client
 * whose call caused it, and no other client (docs/decisions/2026-12-07-per-client-upstream-state.md):
 *
 * - a shared upstream (keyed by server name) sees the roots of its config, never a client's; its sampling and
 *   elicitation requests are relayed only when every call in flight on it belongs to one client session, and
 *   refused otherwise (never guessed);
 * - a client's own session with a `perClient` server (keyed by {@link PerClientUpstreams}) relays everything
 *   to that client.
 */
export class InflightRegistry implements UpstreamRelay {
  private readonly byKey = new Map<string, DownstreamContext[]>();
  /** Told of every resource update of any upstream session, before the clients are (the result cache). */
  readonly resourceUpdateListeners = new Set<(upstream: string, uri: string) => void>();

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly logger: Logger,
    /** Each server's configured roots (see configuredRoots); none when absent. */
    private readonly roots: ReadonlyMap<string, readonly Root[]> = new Map()
  ) {}

  /** Registers a call on an upstream session (a server's name, or a per-client session's key); returns its end. */
  enter(key: string, context: DownstreamContext): () => void {
    let list = this.byKey.get(key);
    if (!list) {
      list = [];
      this.byKey.set(key, list);
    }
    list.push(context);
    return () => {
      const current = this.byKey.get(key);
      if (!current) return;
      const index = current.lastIndexOf(context);
      if (index >= 0) current.splice(index, 1);
      if (current.length === 0) this.byKey.delete(key);
    };
  }

  count(key: string): number {
    return this.byKey.get(key)?.length ?? 0;
  }

  private live(key: string): DownstreamContext[] {
    return (this.byKey.get(key) ?? []).filter(context => !context.signal.aborted);
  }

  /** A shared upstream's request to the client. */
  async onServerRequest(upstream: string, method: ServerRequestMethod, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (method === 'roots/list') return { roots: [...(this.roots.get(upstream) ?? [])] };
    const live = this.live(upstream);
    if (live.length === 0) throw refusal(method, upstream, 'no client call to this server is in flight');
    const clients = new Set(live.map(context => context.sessionId));
    if (clients.size > 1) {
      const why =
        `calls of ${clients.size} different clients are in flight on this shared server, and a 2025-era server does not say which call ` +
        `it asks for; declare the server with perClient: true to give each client its own session`;
      this.logger.warn(`refused ${method} from "${upstream}": ${why}`);
      throw refusal(method, upstream, why);
    }
    return this.relayToCaller(upstream, method, params, signal, live);
  }

  /**
   * The relay of one client's own session with a `perClient` server: requests and log messages go to that
   * client's call in flight on it, else (a 2025 session) to the client's session directly.
   */
  relayFor(server: string, key: string, sessionId: string): UpstreamRelay {
    return {
      onServerRequest: async (_upstream, method, params, signal) => {
        const live = this.live(key);
        if (live.length > 0) return this.relayToCaller(server, method, params, signal, live);
        const session = this.sessions.get(sessionId);
        if (session && session.era === 'legacy' && session.server.getClientCapabilities()?.[capabilityFor[method]]) {
          this.logger.debug(`relaying ${method} from "${server}" to its client's session`);
          return session.server.request({ method, params }, ResultSchema, { signal, timeout: sessionRequestTimeoutMs });
        }
        throw refusal(method, server, 'its client has no call in flight on it and cannot be asked between calls');
      },
      onLog: (_upstream, params) => {
        const logger = params.logger ?? server;
        const calls = this.byKey.get(key);
        const target = calls?.[calls.length - 1];
        if (target) return target.log(params.level, params.data, logger);
        const session = this.sessions.get(sessionId);
        if (!session?.logLevel || logSeverity[params.level] < logSeverity[session.logLevel]) return;
        void session.server.notification({ method: 'notifications/message', params: { ...params, logger } }).catch(() => {});
      },
      onResourceUpdated: (_upstream, uri) => this.onResourceUpdated(server, uri)
    };
  }

  /** Relays to the (single) client whose calls are `live`: the most recent one that can answer. */
  private async relayToCaller(
    upstream: string,
    method: ServerRequestMethod,
    params: Record<string, unknown>,
    signal: AbortSignal,
    live: readonly DownstreamContext[]
  ): Promise<Record<string, unknown>> {
    const capability = capabilityFor[method];
    // A modern context that takes requests is the input-required bridge: it decides about capabilities itself.
    const target = live.findLast(context => context.requestClient && (context.era === 'modern' || context.clientCapabilities?.[capability]));
    if (target?.requestClient) {
      this.logger.debug(`relaying ${method} from "${upstream}" to the calling client`);
      return target.requestClient(method, params, signal);
    }
    const why = live.some(context => context.clientCapabilities?.[capability])
      ? 'the calling client is connected over MCP 2026-07-28, where servers cannot send requests to clients'
      : `the calling client did not declare the "${capability}" capability`;
    throw refusal(method, upstream, why);
  }

  /**
   * A shared upstream's log message: to the calling client when every call in flight is that client's; to every
   * session that asked for logs when none is (a message about the server); kept in the gateway's own log when
   * calls of several clients are in flight (it may be about any of them).
   */
  onLog(upstream: string, params: LoggingMessageNotificationParams): void {
    const calls = this.byKey.get(upstream) ?? [];
    const logger = params.logger ?? upstream;
    const target = calls[calls.length - 1];
    if (!target) return this.sessions.broadcastLog({ ...params, logger }, upstream);
    if (calls.every(context => context.sessionId === target.sessionId)) return target.log(params.level, params.data, logger);
    this.logger.debug(`log message from "${upstream}" during calls of several clients, not relayed: ${JSON.stringify(params.data).slice(0, 200)}`);
  }

  onResourceUpdated(upstream: string, uri: string): void {
    this.logger.debug(`resource updated on "${upstream}": ${uri}`);
    // First the gateway's own copies (the result cache), so a client that reads on the notice gets the new one.
    for (const listener of this.resourceUpdateListeners) listener(upstream, uri);
    this.sessions.resourceUpdated(uri);
  }
}

function refusal(method: ServerRequestMethod, upstream: string, why: string): ProtocolError {
  return new ProtocolError(-32603, `Manifold cannot relay ${method} from server "${upstream}": ${why}`);
}

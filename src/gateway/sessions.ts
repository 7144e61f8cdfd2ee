import type { LoggingLevel, LoggingMessageNotificationParams, Server } from '@modelcontextprotocol/server';

import { errorMessage } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { ListKind } from '../upstream/index.js';
import type { Logger } from '../telemetry/logger.js';

export const logSeverity: Record<LoggingLevel, number> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7
};

/** A connected downstream client with a lasting connection (stdio, or a legacy HTTP session). */
export interface DownstreamSession {
  id: string;
  server: Server;
  /** Level set with logging/setLevel (legacy); undefined until the client sets one. */
  logLevel: LoggingLevel | undefined;
  /** URIs this session subscribed to with resources/subscribe. */
  subscriptions: Set<string>;
  /** Known once the client has sent its first request. */
  era: 'legacy' | 'modern' | undefined;
  /** Who opened it (HTTP with `auth:`); absent: the local user. What is pushed to the session is for them. */
  principal?: Principal | undefined;
  /**
   * Under config `rules:`: what the session can see of a list, as a string (names and definition hashes), and
   * what it was when last told; a change it cannot see is not announced to it.
   */
  visibleList?: (kind: ListKind) => string;
  lastVisible?: Partial<Record<ListKind, string>>;
}

/** Receives list-changed and resource-updated events for the modern HTTP face (its listen streams). */
export interface HttpNotifier {
  toolsChanged(): void;
  promptsChanged(): void;
  resourcesChanged(): void;
  resourceUpdated(uri: string): void;
}

export interface SessionRegistryHooks {
  /** The most verbose level any session asked for changed (to pass on to legacy upstreams). */
  onLogLevel?(level: LoggingLevel): void;
  /** A URI gained its first subscriber, or lost its last. */
  onSubscription?(uri: string, subscribed: boolean): void | Promise<void>;
  /** A session ended (disconnect, DELETE, idle, stdin closed): its per-client state goes with it. */
  onSessionEnd?(id: string): void;
  /** Whether a session may learn of this resource (config `rules:`); absent: every session may. */
  mayRead?(session: DownstreamSession, uri: string): boolean;
  /** Whether a session can see something of this server (config `rules:`), to hear its logs; absent: every session. */
  seesServer?(session: DownstreamSession, server: string): boolean;
}

/** Every lasting downstream connection, for the notifications that are not answers to a request. */
export class SessionRegistry {
  private readonly sessions = new Map<string, DownstreamSession>();
  private readonly notifiers = new Set<HttpNotifier>();
  private readonly subscriberCounts = new Map<string, number>();
  hooks: SessionRegistryHooks = {};

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.sessions.size;
  }

  add(session: DownstreamSession): void {
    this.sessions.set(session.id, session);
  }

  get(id: string): DownstreamSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    for (const uri of session.subscriptions) this.unsubscribe(session, uri);
    this.hooks.onSessionEnd?.(id);
  }

  addNotifier(notifier: HttpNotifier): () => void {
    this.notifiers.add(notifier);
    return () => this.notifiers.delete(notifier);
  }

  setLogLevel(session: DownstreamSession, level: LoggingLevel): void {
    session.logLevel = level;
    let most: LoggingLevel = level;
    for (const other of this.sessions.values()) {
      if (other.logLevel && logSeverity[other.logLevel] < logSeverity[most]) most = other.logLevel;
    }
    this.hooks.onLogLevel?.(most);
  }

  /** Resolves once the resource is followed upstream (so that no update is missed after it resolves). */
  subscribe(session: DownstreamSession, uri: string): Promise<void> {
    return this.addSubscriber(session.subscriptions, uri);
  }

  unsubscribe(session: DownstreamSession, uri: string): void {
    this.removeSubscriber(session.subscriptions, uri);
  }

  /**
   * Counts a subscriber that is not a session: a 2026-07-28 client's listen stream asking for resource updates
   * (the SDK delivers them to it; the gateway has to follow the resources upstream). Returns the end of it,
   * with `ready`: resolved once every resource is followed upstream.
   */
  followResources(uris: readonly string[]): (() => void) & { ready: Promise<void> } {
    const held = new Set<string>();
    const ready = Promise.all(uris.map(uri => this.addSubscriber(held, uri))).then(() => {});
    const stop = () => {
      for (const uri of [...held]) this.removeSubscriber(held, uri);
    };
    return Object.assign(stop, { ready });
  }

  private async addSubscriber(held: Set<string>, uri: string): Promise<void> {
    if (held.has(uri)) return;
    held.add(uri);
    const count = (this.subscriberCounts.get(uri) ?? 0) + 1;
    this.subscriberCounts.set(uri, count);
    if (count === 1) await this.hooks.onSubscription?.(uri, true);
  }

  private removeSubscriber(held: Set<string>, uri: string): void {
    if (!held.delete(uri)) return;
    const count = (this.subscriberCounts.get(uri) ?? 1) - 1;
    if (count <= 0) {
      this.subscriberCounts.delete(uri);
      void this.hooks.onSubscription?.(uri, false);
    } else this.subscriberCounts.set(uri, count);
  }

  listChanged(kinds: readonly ListKind[]): void {
    for (const session of this.sessions.values()) {
      for (const kind of kinds) {
        if (session.visibleList) {
          const now = session.visibleList(kind);
          session.lastVisible ??= {};
          if (session.lastVisible[kind] === now) continue;
          session.lastVisible[kind] = now;
        }
        const send =
          kind === 'tools'
            ? session.server.sendToolListChanged()
            : kind === 'prompts'
              ? session.server.sendPromptListChanged()
              : session.server.sendResourceListChanged();
        void Promise.resolve(send).catch(error => this.logger.debug(`list_changed to ${session.id} failed: ${errorMessage(error)}`));
      }
    }
    for (const notifier of this.notifiers) {
      for (const kind of kinds) {
        if (kind === 'tools') notifier.toolsChanged();
        else if (kind === 'prompts') notifier.promptsChanged();
        else notifier.resourcesChanged();
      }
    }
  }

  resourceUpdated(uri: string): void {
    for (const session of this.sessions.values()) {
      // Legacy sessions get it if they subscribed; a modern stdio session's listen filter is applied by the SDK.
      if (session.era !== 'modern' && !session.subscriptions.has(uri)) continue;
      if (this.hooks.mayRead && !this.hooks.mayRead(session, uri)) continue;
      void Promise.resolve(session.server.sendResourceUpdated({ uri })).catch(() => {});
    }
    for (const notifier of this.notifiers) notifier.resourceUpdated(uri);
  }

  /**
   * Sends an upstream log message that belongs to no call to every session whose level lets it through (and, under
   * config `rules:`, that can see something of that server).
   */
  broadcastLog(params: LoggingMessageNotificationParams, upstream?: string): void {
    for (const session of this.sessions.values()) {
      if (session.logLevel === undefined) continue;
      if (upstream !== undefined && this.hooks.seesServer && !this.hooks.seesServer(session, upstream)) continue;
      if (logSeverity[params.level] < logSeverity[session.logLevel]) continue;
      void session.server.notification({ method: 'notifications/message', params }).catch(() => {});
    }
  }

  all(): DownstreamSession[] {
    return [...this.sessions.values()];
  }
}

import type { Client, DiscoverResult, PriorDiscovery, ServerCapabilities, Transport } from '@modelcontextprotocol/client';

import { isStdioServer, type ServerConfig } from '../config/index.js';
import { errorMessage, type ManifoldError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { RemoteKind } from './create-transport.js';
import { createUpstreamClient } from './create-upstream-client.js';
import { ChangeFollower } from './follow-changes.js';
import { openIsolatedClient } from './isolated-client.js';
import { listSnapshot } from './list-snapshot.js';
import { applyLoggingLevel, type LoggingLevel } from './logging-level.js';
import { forwardRequest, type ForwardingHost, type ForwardOptions } from './forward-request.js';
import { roundTripMs } from './measure-latency.js';
import { mirrorsParams, withoutInvalidHeaderTools } from './mirror-param-headers.js';
import { nodeFetch } from './node-fetch.js';
import { withTraceHeaders } from './trace-headers.js';
import { UpstreamOAuth } from './oauth/upstream-oauth.js';
import { openUpstreamClient } from './open-upstream-client.js';
import { ProcessTransport } from './stdio/process-transport.js';
import { describeConnectFailure } from './translate-error.js';
import {
  emptySnapshot,
  type ListKind,
  type ProtocolEra,
  type UpstreamConnectionOptions,
  type UpstreamEvent,
  type UpstreamSnapshot,
  type UpstreamState
} from './upstream-types.js';
import { type ReadinessSource, waitUntilReady } from './wait-until-ready.js';

/**
 * One long-lived MCP session to one upstream server, shared by every downstream client: connects (probing
 * the protocol era), lists what the server offers, follows its change notifications, reconnects with
 * exponential backoff when it fails, and forwards requests.
 *
 * This file is the life cycle: the state machine, reconnects and backoff (a session that was up and closes
 * is restarted at once). Each other concern is a module beside it: opening a session
 * (`open-upstream-client.ts`, with `era-negotiation.ts` and `create-transport.ts`), the SDK client and its
 * relay handlers (`create-upstream-client.ts`), waiting through a start or restart (`wait-until-ready.ts`),
 * forwarding (`forward-request.ts`, with `resend-policy.ts` and `translate-error.ts`), list paging
 * (`list-snapshot.ts`), change following and resource subscriptions (`follow-changes.ts`), the logging level
 * (`logging-level.ts`), SEP-2243 header mirroring (`mirror-param-headers.ts`), per-request clients
 * (`isolated-client.ts`) and latency (`measure-latency.ts`).
 */
export class UpstreamConnection implements AsyncDisposable {
  readonly name: string;
  readonly config: ServerConfig;
  private readonly options: UpstreamConnectionOptions;
  private readonly logger: Logger;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private currentState: UpstreamState = { kind: 'stopped' };
  private currentSnapshot: UpstreamSnapshot = emptySnapshot();
  private readonly listeners = new Set<(event: UpstreamEvent) => void>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private failures = 0;
  private stopped = true;
  private verdict: PriorDiscovery | undefined;
  private remoteKind: RemoteKind | undefined;
  private readonly stateWaiters = new Set<() => void>();
  /** A session that was up closed under us, and the attempt to restart it has not ended yet. */
  private restartPending = false;
  private readonly changes: ChangeFollower;
  private loggingLevel: LoggingLevel | undefined;
  /** Request ids of the per-request clients (see openIsolatedClient): unique across them. */
  private nextRequestId = 1_000_000;
  private failedAttemptStderr: string[] = [];
  /** The transport of the connect attempt in progress, closed by stop() so that shutdown does not wait it out. */
  private attemptTransport: Transport | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  /** OAuth toward a remote server with `oauth:` (its token on every request); undefined otherwise. */
  readonly oauth: UpstreamOAuth | undefined;
  /** The fetch of remote transports: through `oauth` where the server has it. */
  private readonly fetch: typeof fetch | undefined;
  private stopFollowingLogin: (() => void) | undefined;

  constructor(options: UpstreamConnectionOptions) {
    this.options = options;
    this.name = options.name;
    this.config = options.config;
    this.logger = options.logger.child(`upstream:${options.name}`);
    this.changes = new ChangeFollower({
      logger: this.logger,
      timeoutMs: () => this.timeoutMs,
      isCurrent: client => client === this.client && !this.stopped,
      refresh: kinds => this.refreshLists(kinds)
    });
    const { config } = options;
    if (!isStdioServer(config) && config.oauth) {
      this.oauth =
        options.oauth ??
        new UpstreamOAuth({
          server: options.name,
          serverUrl: config.url,
          config: config.oauth,
          store: options.credentials,
          userAgent: options.userAgent,
          redirectUri: options.redirectUri,
          fetch: options.fetch ?? nodeFetch,
          logger: this.logger
        });
    }
    const base = this.oauth?.fetch ?? options.fetch;
    // Tracing on: each HTTP request carries the context of the span it is sent in (the dispatcher's CLIENT span).
    this.fetch = options.tracing?.enabled ? withTraceHeaders(base ?? nodeFetch, options.tracing) : base;
  }

  get state(): UpstreamState {
    return this.currentState;
  }

  get snapshot(): UpstreamSnapshot {
    return this.currentSnapshot;
  }

  get timeoutMs(): number {
    return this.config.timeout ?? this.options.defaultTimeoutMs;
  }

  /** Bound on one handshake: `servers.<name>.connectTimeout`, else the gateway's. */
  get connectTimeoutMs(): number {
    return this.config.connectTimeout ?? this.options.connectTimeoutMs;
  }

  /** How long a call waits for the server while it starts or restarts: `servers.<name>.waitForRestart`, else the gateway's. */
  get waitForRestartMs(): number {
    return this.config.waitForRestart ?? this.options.waitForRestartMs ?? 30_000;
  }

  get serverCapabilities(): ServerCapabilities | undefined {
    return this.client?.getServerCapabilities();
  }

  get serverVersion(): { name: string; version: string } | undefined {
    return this.client?.getServerVersion();
  }

  get instructions(): string | undefined {
    return this.client?.getInstructions();
  }

  get era(): ProtocolEra | undefined {
    return this.currentState.kind === 'ready' ? this.currentState.era : undefined;
  }

  /** Process id of a stdio server (for tests and doctor). */
  get pid(): number | undefined {
    return this.transport instanceof ProcessTransport ? this.transport.pid : undefined;
  }

  /** The last lines a stdio server wrote to stderr (the current process, else the last one that failed to start). */
  get recentStderr(): string[] {
    return this.transport instanceof ProcessTransport ? this.transport.recentStderr : this.failedAttemptStderr;
  }

  /** The verdict of the last successful connect, for reuse (e.g. by doctor). */
  get discoverResult(): DiscoverResult | undefined {
    return this.verdict?.kind === 'modern' ? this.verdict.discover : undefined;
  }

  onEvent(listener: (event: UpstreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: UpstreamEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error('event listener failed', { error: errorMessage(error) });
      }
    }
  }

  private setState(state: UpstreamState): void {
    this.currentState = state;
    this.emit({ type: 'state', state });
    for (const wake of [...this.stateWaiters]) wake();
  }

  /** Starts connecting; resolves after the first attempt, whether it succeeded or failed (fail open). */
  async start(): Promise<void> {
    this.stopped = false;
    this.stopFollowingLogin ??= this.oauth?.onLoginRequired(error => this.onLoginRequired(error));
    await this.connect();
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const attempt = this.failures + 1;
    const lastFailure = this.currentState.kind === 'failed' ? this.currentState.reason : undefined;
    this.setState({ kind: 'starting', since: Date.now(), attempt, ...(lastFailure ? { lastFailure } : {}) });
    const started = performance.now();
    try {
      const { client, transport, kind } = await openUpstreamClient({
        server: this.name,
        config: this.config,
        configPath: this.options.configPath,
        logger: this.logger,
        fetch: this.fetch,
        maxMessageBytes: this.options.maxMessageBytes,
        timeoutMs: this.connectTimeoutMs,
        verdict: this.verdict,
        remoteKind: this.remoteKind,
        newClient: () => this.newClient(),
        isStopped: () => this.stopped,
        onAttemptTransport: transport => (this.attemptTransport = transport),
        onFailedStderr: lines => (this.failedAttemptStderr = lines)
      });
      if (kind !== 'stdio') this.remoteKind = kind;
      if (this.stopped) {
        await client.close().catch(() => {});
        return;
      }
      this.client = client;
      this.transport = transport;
      const era: ProtocolEra = client.getProtocolEra() === 'modern' ? 'modern' : 'legacy';
      const discover = client.getDiscoverResult();
      this.verdict = discover ? { kind: 'modern', discover } : { kind: 'legacy' };
      await this.refreshLists(['tools', 'prompts', 'resources']);
      await this.changes.follow(client, era);
      if (this.loggingLevel) await this.applyLoggingLevel(this.loggingLevel);
      // Watch for the session ending under us (crash, network) only once it is established.
      client.onclose = () => this.onClosed(client);
      const connectMs = Math.round(performance.now() - started);
      this.failures = 0;
      this.restartPending = false;
      this.setState({
        kind: 'ready',
        since: Date.now(),
        era,
        protocolVersion: client.getNegotiatedProtocolVersion(),
        transport: kind,
        connectMs
      });
      this.logger.info(`connected (${era} ${client.getNegotiatedProtocolVersion() ?? ''}, ${kind}) in ${connectMs} ms`, {
        tools: this.currentSnapshot.tools.length,
        prompts: this.currentSnapshot.prompts.length,
        resources: this.currentSnapshot.resources.length
      });
    } catch (error) {
      await this.disposeClient();
      if (this.stopped) return;
      this.failures++;
      // A cached verdict may be what failed: probe afresh next time.
      this.verdict = undefined;
      // A restart that failed: the server stays down, and calls waiting for it fail with the reason.
      this.restartPending = false;
      this.scheduleReconnect(describeConnectFailure(error, this.recentStderr));
    }
  }

  private get backoff(): { baseMs: number; maxMs: number } {
    return this.options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
  }

  /** Retries after a failure: after `delayMs` if given, else after the backoff for the failures so far (±20%). */
  private scheduleReconnect(reason: string, delayMs?: number): void {
    const { baseMs, maxMs } = this.backoff;
    const delay = delayMs ?? Math.round(Math.min(maxMs, baseMs * 2 ** Math.min(this.failures - 1, 16)) * (0.8 + Math.random() * 0.4));
    const retryAt = Date.now() + delay;
    this.setState({ kind: 'failed', since: Date.now(), reason, attempt: this.failures, retryAt });
    this.logger.warn(`down: ${reason}; ${delay === 0 ? 'restarting it now' : `retrying in ${Math.round(delay / 100) / 10} s`}`);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private onClosed(client: Client): void {
    if (client !== this.client || this.stopped) return;
    const upSince = this.currentState.kind === 'ready' ? this.currentState.since : Date.now();
    this.client = undefined;
    this.changes.forgetSession();
    const stderr = this.recentStderr;
    this.transport = undefined;
    this.failures++;
    this.restartPending = true;
    const reason = `connection closed${stderr.length > 0 ? ` (last stderr: ${stderr.slice(-3).join(' | ')})` : ''}`;
    // A server that had been up a while is restarted at once (calls are waiting for it); one that closes
    // soon after starting waits out the backoff, so that a crash loop does not spin.
    const wasStable = Date.now() - upSince >= this.backoff.baseMs;
    this.scheduleReconnect(reason, wasStable ? 0 : undefined);
  }

  /**
   * The server's sign-in is missing or was refused (refresh token revoked): the session is dropped and the
   * server is down with that reason until someone runs `manifold login` (each retry reads the store again).
   */
  private onLoginRequired(error: ManifoldError): void {
    // After the request that found out has failed with the reason (closing now would fail it as "closed").
    setTimeout(() => this.dropForLogin(error), 0).unref();
  }

  private dropForLogin(error: ManifoldError): void {
    if (this.stopped || this.currentState.kind !== 'ready') return;
    const client = this.client;
    this.client = undefined;
    this.transport = undefined;
    this.changes.forgetSession();
    if (client) {
      client.onclose = undefined;
      void client.close().catch(() => {});
    }
    this.failures++;
    this.scheduleReconnect(error.message);
  }

  private newClient(): Client {
    return createUpstreamClient({
      server: this.name,
      ...(this.options.clientInfo ? { clientInfo: this.options.clientInfo } : {}),
      ...(this.options.relay ? { relay: this.options.relay } : {}),
      onListChanged: (client, kind) => this.changes.onListChanged(client, kind)
    });
  }

  /**
   * Follows (or stops following) updates of a resource for the gateway's clients: `resources/subscribe` on a
   * 2025 session, the `resourceSubscriptions` of the listen stream on 2026-07-28. Kept across reconnects.
   */
  async setResourceSubscription(uri: string, subscribed: boolean): Promise<void> {
    await this.changes.setResourceSubscription(this.client, uri, subscribed);
  }

  /** Re-lists the given kinds and announces the change. */
  refreshLists(kinds: ListKind[]): Promise<void> {
    // One at a time: a list_changed that arrives during the first listing (servers that register tools once
    // initialized) must not start from the empty snapshot and land over the complete one.
    const run = this.refreshing.then(() => this.refreshListsNow(kinds));
    this.refreshing = run.catch(() => {});
    return run;
  }

  private async refreshListsNow(kinds: ListKind[]): Promise<void> {
    const client = this.client;
    if (!client) return;
    const next = await listSnapshot(client, kinds, this.currentSnapshot, {
      timeoutMs: this.timeoutMs,
      keepTools: tools => (mirrorsParams(client, this.config) ? withoutInvalidHeaderTools(tools, this.logger) : tools)
    });
    if (client !== this.client) return;
    this.currentSnapshot = next;
    this.emit({ type: 'lists-changed', kinds: [...kinds] });
  }

  /**
   * Waits until the connection is ready: through a start or a restart after a crash, for at most `timeoutMs`
   * and `waitForRestartMs`. Throws UPSTREAM_UNAVAILABLE, with the reason, when the server is down (its last
   * attempt failed) or stopped, or the wait runs out. `lost`: a session a request was just lost with (wait for
   * the next one).
   */
  async ready(timeoutMs: number, signal?: AbortSignal, lost?: Client): Promise<Client> {
    // The common case, without a wait.
    if (this.state.kind === 'ready' && this.client && this.client !== lost) return this.client;
    return waitUntilReady(this.readiness, Math.min(timeoutMs, this.waitForRestartMs), signal, lost);
  }

  private readonly readiness: ReadinessSource = {
    server: () => this.name,
    enabled: () => this.config.enabled,
    // Through the getter, which a subclass may override (UnavailableUpstream is always failed).
    state: () => this.state,
    client: () => this.client,
    restartPending: () => this.restartPending,
    onStateChange: wake => {
      this.stateWaiters.add(wake);
      return () => this.stateWaiters.delete(wake);
    }
  };

  /**
   * Sends a request and returns the raw result. `describe` names what was asked (e.g. `tool "echo"`) for
   * errors. See forward-request.ts: waits through a restart, re-initialises an expired HTTP session, and
   * sends once more a request lost with its connection where that is harmless.
   */
  async request(method: string, params: Record<string, unknown>, options: ForwardOptions): Promise<Record<string, unknown>> {
    return forwardRequest(this.forwarding, method, params, options);
  }

  private readonly forwarding: ForwardingHost = {
    server: () => this.name,
    defaultTimeoutMs: () => this.timeoutMs,
    logger: () => this.logger,
    ready: (timeoutMs, signal, lost) => this.ready(timeoutMs, signal, lost),
    isCurrent: client => client === this.client,
    tools: () => this.currentSnapshot.tools,
    mirrorsParams: client => mirrorsParams(client, this.config),
    openIsolatedClient: (shared, onLog) =>
      openIsolatedClient(shared, onLog, {
        config: this.config,
        remoteKind: this.remoteKind,
        verdict: this.verdict,
        logger: this.logger,
        fetch: this.fetch,
        newClient: () => this.newClient(),
        nextRequestId: () => this.nextRequestId++
      }),
    reconnectNow: () => this.reconnectNow()
  };

  /** Drops the current session and connects again now (not waiting for backoff). */
  async reconnectNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => {});
    }
    this.transport = undefined;
    await this.connect();
  }

  /** Sends a notification (e.g. roots/list_changed) if connected. */
  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    await this.client?.notification({ method, ...(params ? { params } : {}) }).catch(() => {});
  }

  /** Sets the upstream's logging level (legacy servers with the logging capability); kept across reconnects. */
  async applyLoggingLevel(level: LoggingLevel): Promise<void> {
    this.loggingLevel = level;
    await applyLoggingLevel(this.client, level, this.logger);
  }

  /** Round-trip time of a cheap request (ping on legacy, discover on modern). */
  async measureLatency(): Promise<number> {
    const client = await this.ready(this.timeoutMs);
    return roundTripMs(client, this.timeoutMs);
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    await this.changes.closeSession();
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => {});
    }
    await transport?.close().catch(() => {});
  }

  /** Closes the session and reaps the server process (group). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollowingLogin?.();
    this.stopFollowingLogin = undefined;
    this.restartPending = false;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.connecting) {
      // A connect in progress (a server stuck at start, a slow list) is cut short, not waited out: a client
      // closing the gateway gives it only seconds before SIGKILL, which would leave the server behind.
      await this.attemptTransport?.close().catch(() => {});
      await this.disposeClient();
      // Bounded: a transport may leave its start pending once closed (then nothing keeps the process alive, and
      // Node ends with an unsettled await). An attempt that still succeeds later sees `stopped` and closes.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.connecting.catch(() => {}), new Promise(resolve => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    }
    await this.disposeClient();
    this.currentSnapshot = emptySnapshot();
    this.setState({ kind: 'stopped' });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

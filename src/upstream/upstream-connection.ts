import type {
  ClientCapabilities,
  DiscoverResult,
  LoggingMessageNotificationParams,
  PriorDiscovery,
  Prompt,
  RequestOptions,
  Resource,
  ServerCapabilities,
  Tool,
  Transport
} from '@modelcontextprotocol/client';
import { Client, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { isStdioServer, type ServerConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { type CacheHint, cacheHintOf, combineCacheHints } from './cache-hints.js';
import { mcpParamHeaders, scanMcpParamDeclarations } from './mcp-param-headers.js';
import { withUniqueRequestIds } from './unique-request-ids.js';
import { createRemoteTransport, createStdioTransport, type RemoteKind, remoteKindsFor } from './create-transport.js';
import { ProcessTransport } from './stdio/process-transport.js';

/** A resource template as listed by a server (kept raw). */
export interface ResourceTemplateEntry {
  uriTemplate: string;
  name: string;
  [key: string]: unknown;
}

/** What an upstream offers, as it last listed it. Entries are kept as the server sent them. */
export interface UpstreamSnapshot {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateEntry[];
  /** The caching hints the server put on each list (all pages combined); absent for kinds not listed. */
  cacheHints?: Partial<Record<'tools' | 'prompts' | 'resources' | 'resourceTemplates', CacheHint>>;
}

export type ProtocolEra = 'legacy' | 'modern';

/** The connection's life: a closed union, switched on exhaustively. */
export type UpstreamState =
  | { kind: 'stopped' }
  | { kind: 'starting'; since: number; attempt: number; lastFailure?: string }
  | {
      kind: 'ready';
      since: number;
      era: ProtocolEra;
      protocolVersion: string | undefined;
      transport: 'stdio' | RemoteKind;
      connectMs: number;
    }
  | { kind: 'failed'; since: number; reason: string; attempt: number; retryAt: number | undefined };

export type ListKind = 'tools' | 'prompts' | 'resources';

export type UpstreamEvent =
  | { type: 'state'; state: UpstreamState }
  | { type: 'lists-changed'; kinds: ListKind[] };

export type ServerRequestMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** What the gateway does with things an upstream sends on its own: requests to the client, logs, updates. */
export interface UpstreamRelay {
  onServerRequest(upstream: string, method: ServerRequestMethod, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
  onLog(upstream: string, params: LoggingMessageNotificationParams): void;
  onResourceUpdated(upstream: string, uri: string): void;
}

export interface UpstreamConnectionOptions {
  name: string;
  config: ServerConfig;
  configPath?: string;
  logger: Logger;
  relay?: UpstreamRelay;
  /** Per-request timeout when the server config sets none. */
  defaultTimeoutMs: number;
  /** Bound on one connect attempt. */
  connectTimeoutMs: number;
  clientInfo?: { name: string; version: string };
  /** Backoff after failures: base and cap in ms. */
  backoff?: { baseMs: number; maxMs: number };
  /** For tests and the lenient-upstream shim: the fetch remote transports use. */
  fetch?: typeof fetch;
}

/** What the gateway's upstream client declares: it relays these to the downstream client. */
const relayedCapabilities: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true }
};

const emptySnapshot = (): UpstreamSnapshot => ({ tools: [], prompts: [], resources: [], resourceTemplates: [] });

/**
 * One long-lived MCP session to one upstream server, shared by every downstream client: connects (probing
 * the protocol era), lists what the server offers, follows its change notifications, reconnects with
 * exponential backoff when it fails, and forwards requests.
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
  private readyWaiters = new Set<() => void>();
  private subscription: { close(): Promise<void> } | undefined;
  private loggingLevel: LoggingMessageNotificationParams['level'] | undefined;
  private readonly pendingKinds = new Set<ListKind>();
  /** Resources some client of the gateway follows (see setResourceSubscription). */
  private readonly resourceSubscriptions = new Set<string>();
  /** Request ids of the per-request clients (see openIsolatedClient): unique across them. */
  private nextRequestId = 1_000_000;
  private failedAttemptStderr: string[] = [];
  /** The transport of the connect attempt in progress, closed by stop() so that shutdown does not wait it out. */
  private attemptTransport: Transport | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: UpstreamConnectionOptions) {
    this.options = options;
    this.name = options.name;
    this.config = options.config;
    this.logger = options.logger.child(`upstream:${options.name}`);
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
    if (state.kind === 'ready' || state.kind === 'stopped' || state.kind === 'failed') {
      for (const wake of this.readyWaiters) wake();
      this.readyWaiters.clear();
    }
  }

  /** Starts connecting; resolves after the first attempt, whether it succeeded or failed (fail open). */
  async start(): Promise<void> {
    this.stopped = false;
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
      const { client, transport, kind } = await this.openClient();
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
      await this.followChanges(client, era);
      if (era === 'legacy') await this.resubscribe(client);
      if (this.loggingLevel) await this.applyLoggingLevel(this.loggingLevel);
      // Watch for the session ending under us (crash, network) only once it is established.
      client.onclose = () => this.onClosed(client);
      const connectMs = Math.round(performance.now() - started);
      this.failures = 0;
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
      const reason = this.describeFailure(error);
      this.scheduleReconnect(reason);
    }
  }

  private describeFailure(error: unknown): string {
    let reason = errorMessage(error);
    if (error instanceof SdkHttpError) reason = `HTTP ${error.status}${error.statusText ? ' ' + error.statusText : ''}: ${reason}`;
    const stderr = this.recentStderr;
    if (stderr.length > 0) reason += ` (last stderr: ${stderr.slice(-3).join(' | ')})`;
    return reason;
  }

  private scheduleReconnect(reason: string): void {
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(this.failures - 1, 16));
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    const retryAt = Date.now() + jittered;
    this.setState({ kind: 'failed', since: Date.now(), reason, attempt: this.failures, retryAt });
    this.logger.warn(`down: ${reason}; retrying in ${Math.round(jittered / 100) / 10} s`);
    this.reconnectTimer = setTimeout(() => void this.connect(), jittered);
    this.reconnectTimer.unref();
  }

  private onClosed(client: Client): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    this.subscription = undefined;
    const stderr = this.recentStderr;
    this.transport = undefined;
    this.failures++;
    const reason = `connection closed${stderr.length > 0 ? ` (last stderr: ${stderr.slice(-3).join(' | ')})` : ''}`;
    this.scheduleReconnect(reason);
  }

  private newClient(): Client {
    const client = new Client(this.options.clientInfo ?? { name: 'manifold', version: '0.1.0' }, {
      capabilities: relayedCapabilities,
      inputRequired: { autoFulfill: false },
      defaultCacheTtlMs: 0,
      listMaxPages: 0
    });
    this.installHandlers(client);
    return client;
  }

  private negotiation(kind: 'stdio' | RemoteKind): { prior?: PriorDiscovery; mode: 'legacy' | 'auto' | { pin: string } } {
    if (kind === 'sse') return { mode: 'legacy' };
    switch (this.config.protocol) {
      case 'legacy':
        return { mode: 'legacy' };
      case 'modern':
        return { mode: { pin: '2026-07-28' } };
      case 'auto':
        return { mode: 'auto', ...(this.verdict ? { prior: this.verdict } : {}) };
    }
  }

  private async openClient(): Promise<{ client: Client; transport: Transport; kind: 'stdio' | RemoteKind }> {
    const timeout = this.options.connectTimeoutMs;
    if (isStdioServer(this.config)) {
      const config = this.config;
      const attemptStdio = async (prior: PriorDiscovery | undefined) => {
        const transport = createStdioTransport(config, { configPath: this.options.configPath, logger: this.logger });
        const client = this.newClient();
        const { mode } = this.negotiation('stdio');
        client.setVersionNegotiation({ mode, probe: { timeoutMs: Math.min(5000, timeout) } });
        this.failedAttemptStderr = [];
        this.attemptTransport = transport;
        try {
          await client.connect(transport, { timeout, ...(prior ? { prior } : {}) });
        } catch (error) {
          await transport.close().catch(() => {});
          // Kept for the failure reason (doctor): often the one line that says why the server exited.
          this.failedAttemptStderr = transport.recentStderr;
          throw error;
        } finally {
          this.attemptTransport = undefined;
        }
        return { client, transport, kind: 'stdio' as const };
      };
      const { prior } = this.negotiation('stdio');
      try {
        return await attemptStdio(prior);
      } catch (error) {
        // Some legacy servers exit when they see the modern probe: start afresh as legacy.
        const closedInProbe =
          error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed && /closed/.test(error.message);
        if (!closedInProbe || this.config.protocol !== 'auto' || this.stopped) throw error;
        this.logger.debug('server closed on the server/discover probe; starting it again as a legacy server');
        return attemptStdio({ kind: 'legacy' });
      }
    }

    const config = this.config;
    const kinds = this.remoteKind ? [this.remoteKind] : remoteKindsFor(config);
    let lastError: unknown;
    let httpFailure: string | undefined;
    for (const kind of kinds) {
      const transport = createRemoteTransport(config, kind, this.options.fetch);
      const client = this.newClient();
      const { mode, prior } = this.negotiation(kind);
      client.setVersionNegotiation({ mode, probe: { timeoutMs: timeout } });
      this.attemptTransport = transport;
      try {
        await client.connect(transport, { timeout, ...(prior ? { prior } : {}) });
        this.remoteKind = kind;
        return { client, transport, kind };
      } catch (error) {
        lastError = error;
        await client.close().catch(() => {});
        const status = error instanceof SdkHttpError ? error.status : undefined;
        const auth = status === 401 || status === 403;
        if (auth || this.stopped || kind === kinds[kinds.length - 1]) break;
        httpFailure = status !== undefined ? `HTTP ${status}: ${errorMessage(error)}` : errorMessage(error);
        this.logger.debug(`Streamable HTTP failed (${errorMessage(error)}); trying legacy SSE`);
      } finally {
        this.attemptTransport = undefined;
      }
    }
    // Both failed: the Streamable HTTP reason is usually the telling one (the SSE fallback's is about SSE).
    if (httpFailure !== undefined) {
      throw new ManifoldError('UPSTREAM_UNAVAILABLE', `Streamable HTTP: ${httpFailure}; legacy SSE fallback: ${errorMessage(lastError)}`, { cause: lastError });
    }
    throw lastError;
  }

  private installHandlers(client: Client): void {
    const relay = this.options.relay;
    const forward = (method: ServerRequestMethod) =>
      async (request: { params?: Record<string, unknown> }, ctx: { mcpReq: { signal: AbortSignal } }) => {
        if (!relay) throw new ManifoldError('METHOD_NOT_SUPPORTED', `${method} is not relayed in this context`);
        return relay.onServerRequest(this.name, method, request.params ?? {}, ctx.mcpReq.signal);
      };
    /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- the relay returns raw results, validated by the SDK */
    client.setRequestHandler('sampling/createMessage', forward('sampling/createMessage') as any);
    client.setRequestHandler('elicitation/create', forward('elicitation/create') as any);
    client.setRequestHandler('roots/list', forward('roots/list') as any);
    /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
    client.setNotificationHandler('notifications/tools/list_changed', () => this.onListChanged(client, 'tools'));
    client.setNotificationHandler('notifications/prompts/list_changed', () => this.onListChanged(client, 'prompts'));
    client.setNotificationHandler('notifications/resources/list_changed', () => this.onListChanged(client, 'resources'));
    client.setNotificationHandler('notifications/resources/updated', notification => {
      relay?.onResourceUpdated(this.name, notification.params.uri);
    });
    client.setNotificationHandler('notifications/message', notification => {
      relay?.onLog(this.name, notification.params);
    });
  }

  private onListChanged(client: Client, kind: ListKind): void {
    if (client !== this.client) return;
    this.logger.debug(`${kind} list changed`);
    // Servers often send several in a burst: refresh once per burst.
    this.pendingKinds.add(kind);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const kinds = [...this.pendingKinds];
      this.pendingKinds.clear();
      void this.refreshLists(kinds).catch(error => this.logger.warn(`could not refresh ${kinds.join(', ')}: ${errorMessage(error)}`));
    }, 25);
  }

  /** On a modern connection, change notifications arrive only on a listen stream: open one. */
  private async followChanges(client: Client, era: ProtocolEra): Promise<void> {
    if (era !== 'modern') return;
    const capabilities = client.getServerCapabilities() ?? {};
    const filter = {
      ...(capabilities.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(capabilities.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(capabilities.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(capabilities.resources?.subscribe && this.resourceSubscriptions.size > 0 ? { resourceSubscriptions: [...this.resourceSubscriptions] } : {})
    };
    // A changed filter replaces the stream (closing it locally does not reopen it).
    const previous = this.subscription;
    this.subscription = undefined;
    await previous?.close().catch(() => {});
    if (Object.keys(filter).length === 0) return;
    try {
      const subscription = await client.listen(filter);
      this.subscription = subscription;
      void subscription.closed.then(reason => {
        if (reason === 'remote' && client === this.client && !this.stopped) {
          this.logger.debug('listen stream ended; opening it again');
          void this.followChanges(client, era);
        }
      });
    } catch (error) {
      this.logger.warn(`could not open the subscriptions/listen stream: ${errorMessage(error)}`);
    }
  }

  /**
   * Follows (or stops following) updates of a resource for the gateway's clients: `resources/subscribe` on a
   * 2025 session, the `resourceSubscriptions` of the listen stream on 2026-07-28. Kept across reconnects.
   */
  async setResourceSubscription(uri: string, subscribed: boolean): Promise<void> {
    if (subscribed === this.resourceSubscriptions.has(uri)) return;
    if (subscribed) this.resourceSubscriptions.add(uri);
    else this.resourceSubscriptions.delete(uri);
    const client = this.client;
    if (!client?.getServerCapabilities()?.resources?.subscribe) return;
    if (client.getProtocolEra() === 'modern') return this.followChanges(client, 'modern');
    const method = subscribed ? 'resources/subscribe' : 'resources/unsubscribe';
    await client.request({ method, params: { uri } }, ResultSchema, { timeout: this.timeoutMs });
  }

  private async resubscribe(client: Client): Promise<void> {
    if (!client.getServerCapabilities()?.resources?.subscribe) return;
    for (const uri of this.resourceSubscriptions) {
      await client
        .request({ method: 'resources/subscribe', params: { uri } }, ResultSchema, { timeout: this.timeoutMs })
        .catch(error => this.logger.warn(`resources/subscribe ${uri} failed: ${errorMessage(error)}`));
    }
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
    const capabilities = client.getServerCapabilities() ?? {};
    const next: UpstreamSnapshot = { ...this.currentSnapshot, cacheHints: { ...this.currentSnapshot.cacheHints } };
    const hints = next.cacheHints ?? {};
    const changed: ListKind[] = [];
    for (const kind of kinds) {
      switch (kind) {
        case 'tools':
          next.tools = capabilities.tools ? this.withValidHeaders(client, await this.listAll<Tool>(client, 'tools/list', 'tools', hint => (hints.tools = hint))) : [];
          break;
        case 'prompts':
          next.prompts = capabilities.prompts ? await this.listAll<Prompt>(client, 'prompts/list', 'prompts', hint => (hints.prompts = hint)) : [];
          break;
        case 'resources':
          next.resources = capabilities.resources
            ? await this.listAll<Resource>(client, 'resources/list', 'resources', hint => (hints.resources = hint))
            : [];
          next.resourceTemplates = capabilities.resources
            ? await this.listAll<ResourceTemplateEntry>(client, 'resources/templates/list', 'resourceTemplates', hint => (hints.resourceTemplates = hint))
            : [];
          break;
      }
      changed.push(kind);
    }
    if (client !== this.client) return;
    this.currentSnapshot = next;
    this.emit({ type: 'lists-changed', kinds: changed });
  }

  /** Whether tool calls carry SEP-2243 `Mcp-Param-*` headers: 2026-07-28 over Streamable HTTP. */
  private mirrorsParams(client: Client): boolean {
    return client.getProtocolEra() === 'modern' && !isStdioServer(this.config);
  }

  /** SEP-2243: a client MUST leave out tools whose `x-mcp-header` declarations are invalid (they cannot be called). */
  private withValidHeaders(client: Client, tools: Tool[]): Tool[] {
    if (!this.mirrorsParams(client)) return tools;
    return tools.filter(tool => {
      const scan = scanMcpParamDeclarations(tool.inputSchema);
      if (!scan.valid) this.logger.warn(`leaving out tool "${tool.name}": invalid x-mcp-header declaration (${scan.reason})`);
      return scan.valid;
    });
  }

  /** The `Mcp-Param-*` headers of a tools/call, from the tool's listed input schema. */
  private paramHeaders(client: Client, method: string, params: Record<string, unknown>): Record<string, string> | undefined {
    if (method !== 'tools/call' || !this.mirrorsParams(client)) return undefined;
    const tool = this.currentSnapshot.tools.find(candidate => candidate.name === params.name);
    const scan = tool ? scanMcpParamDeclarations(tool.inputSchema) : undefined;
    if (!scan?.valid || scan.declarations.length === 0) return undefined;
    const headers = mcpParamHeaders(scan.declarations, params.arguments);
    return Object.keys(headers).length > 0 ? headers : undefined;
  }

  /** Walks every page of a list, keeping entries exactly as sent (no schema round trip). */
  private async listAll<T>(client: Client, method: string, key: string, onHint?: (hint: CacheHint) => void): Promise<T[]> {
    const items: T[] = [];
    const pageHints: CacheHint[] = [];
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (let page = 0; page < 1000; page++) {
      let result: Record<string, unknown>;
      try {
        result = (await client.request(
          { method, params: cursor ? { cursor } : {} },
          ResultSchema,
          { timeout: this.timeoutMs }
        ));
      } catch (error) {
        // A server that declares a capability but not every list method (common for templates).
        if (isMethodNotFound(error)) return items;
        throw error;
      }
      const list = result[key];
      if (Array.isArray(list)) items.push(...(list as T[]));
      pageHints.push(cacheHintOf(result));
      const next = result.nextCursor;
      if (typeof next !== 'string' || next === '' || seen.has(next)) break;
      seen.add(next);
      cursor = next;
    }
    const hint = combineCacheHints(pageHints);
    if (hint) onHint?.(hint);
    return items;
  }

  /** Waits (bounded) until the connection is ready; throws UPSTREAM_UNAVAILABLE when it is down. */
  async ready(timeoutMs: number, signal?: AbortSignal): Promise<Client> {
    for (;;) {
      const state = this.currentState;
      switch (state.kind) {
        case 'ready':
          if (this.client) return this.client;
          break;
        case 'failed': {
          const retry = state.retryAt ? ` (retrying in ${Math.max(0, Math.round((state.retryAt - Date.now()) / 1000))} s)` : '';
          throw new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${this.name}" is down: ${state.reason}${retry}`, {
            data: { server: this.name }
          });
        }
        case 'stopped':
          throw new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${this.name}" is not running${this.config.enabled ? '' : ' (enabled: false)'}`, {
            data: { server: this.name }
          });
        case 'starting':
          break;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.readyWaiters.delete(wake);
          reject(new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${this.name}" is still starting after ${timeoutMs} ms`, { data: { server: this.name } }));
        }, timeoutMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.readyWaiters.add(wake);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          this.readyWaiters.delete(wake);
          reject(new ManifoldError('CANCELLED', 'cancelled while waiting for the server to start'));
        }, { once: true });
      });
    }
  }

  /**
   * Sends a request and returns the raw result. `describe` names what was asked (e.g. `tool "echo"`) for
   * errors. An expired HTTP session is re-initialised and the request sent once more.
   */
  async request(
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions & { describe: string; onLog?: (params: LoggingMessageNotificationParams) => void }
  ): Promise<Record<string, unknown>> {
    const { onLog, ...requestOptions } = options;
    const timeout = options.timeout ?? this.timeoutMs;
    const client = await this.ready(timeout, options.signal);
    const headers = this.paramHeaders(client, method, params);
    const sendOptions = { ...requestOptions, timeout, ...(headers ? { headers } : {}) };
    const isolated = onLog ? await this.openIsolatedClient(client, onLog) : undefined;
    if (isolated) {
      try {
        return await isolated.request({ method, params }, ResultSchema, sendOptions);
      } catch (error) {
        throw this.translateError(error, options.describe, timeout);
      } finally {
        void isolated.close().catch(() => {});
      }
    }
    try {
      return (await client.request({ method, params }, ResultSchema, sendOptions));
    } catch (error) {
      if (isSessionExpired(error) && client === this.client) {
        this.logger.info('HTTP session expired; re-initialising');
        await this.reconnectNow();
        const fresh = await this.ready(timeout, options.signal);
        try {
          return (await fresh.request({ method, params }, ResultSchema, sendOptions));
        } catch (retryError) {
          throw this.translateError(retryError, options.describe, timeout);
        }
      }
      throw this.translateError(error, options.describe, timeout);
    }
  }

  /**
   * A client of its own for one request to a 2026-07-28 server over HTTP, adopting the cached discover result
   * (no round trip). Notifications on that request's response stream (log messages carry no request id) then
   * belong to it alone. Undefined where that cannot be done (stdio, 2025 servers): the shared session is used.
   */
  private async openIsolatedClient(shared: Client, onLog: (params: LoggingMessageNotificationParams) => void): Promise<Client | undefined> {
    if (isStdioServer(this.config) || this.remoteKind !== 'http' || shared.getProtocolEra() !== 'modern' || this.verdict?.kind !== 'modern') return undefined;
    const client = this.newClient();
    client.setNotificationHandler('notifications/message', notification => onLog(notification.params));
    client.setVersionNegotiation({ mode: 'auto' });
    try {
      const transport = withUniqueRequestIds(createRemoteTransport(this.config, 'http', this.options.fetch), () => this.nextRequestId++);
      await client.connect(transport, { prior: this.verdict });
      return client;
    } catch (error) {
      this.logger.debug(`could not open a per-request client (${errorMessage(error)}); using the shared one`);
      await client.close().catch(() => {});
      return undefined;
    }
  }

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

  /** Sets the upstream's logging level (legacy servers with the logging capability). */
  async applyLoggingLevel(level: LoggingMessageNotificationParams['level']): Promise<void> {
    this.loggingLevel = level;
    const client = this.client;
    if (!client || client.getProtocolEra() === 'modern' || !client.getServerCapabilities()?.logging) return;
    await client.setLoggingLevel(level).catch(error => this.logger.debug(`logging/setLevel failed: ${errorMessage(error)}`));
  }

  private translateError(error: unknown, describe: string, timeout: number): unknown {
    const where = `${describe} on server "${this.name}"`;
    if (error instanceof SdkError) {
      switch (error.code) {
        case SdkErrorCode.RequestTimeout:
          return new ManifoldError('UPSTREAM_TIMEOUT', `${where} did not answer within ${timeout} ms (raise servers.${this.name}.timeout if it needs longer)`, {
            cause: error,
            data: { server: this.name, timeoutMs: timeout }
          });
        case SdkErrorCode.ConnectionClosed:
        case SdkErrorCode.NotConnected:
        case SdkErrorCode.SendFailed:
          return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: the server's connection closed during the call (it is being restarted; try again)`, {
            cause: error,
            data: { server: this.name }
          });
        default:
          if (error instanceof SdkHttpError) {
            return new ManifoldError('UPSTREAM_ERROR', `${where} failed: HTTP ${error.status}: ${error.message}`, {
              cause: error,
              data: { server: this.name, status: error.status }
            });
          }
          return new ManifoldError('UPSTREAM_ERROR', `${where} failed: ${error.message}`, { cause: error, data: { server: this.name } });
      }
    }
    if (error instanceof ManifoldError && error.code === 'UPSTREAM_CLOSED') {
      return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: ${error.message}`, { cause: error, data: { server: this.name } });
    }
    // ProtocolError from the upstream (a JSON-RPC error) passes through unchanged.
    return error;
  }

  /** Round-trip time of a cheap request (ping on legacy, discover on modern). */
  async measureLatency(): Promise<number> {
    const client = await this.ready(this.timeoutMs);
    const started = performance.now();
    if (client.getProtocolEra() === 'modern') await client.discover({ timeout: this.timeoutMs });
    else await client.ping({ timeout: this.timeoutMs });
    return performance.now() - started;
  }

  /** The verdict of the last successful connect, for reuse (e.g. by doctor). */
  get discoverResult(): DiscoverResult | undefined {
    return this.verdict?.kind === 'modern' ? this.verdict.discover : undefined;
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    await this.subscription?.close().catch(() => {});
    this.subscription = undefined;
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => {});
    }
    await transport?.close().catch(() => {});
  }

  /** Closes the session and reaps the server process (group). */
  async stop(): Promise<void> {
    this.stopped = true;
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

function isMethodNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === -32601;
}

function isSessionExpired(error: unknown): boolean {
  return error instanceof SdkHttpError && error.status === 404;
}

import type { Catalog } from '../catalog/index.js';
import { type CacheOptions, maxCacheTtlMs, type ServerConfig } from '../config/index.js';
import { createNameFilter } from '../core/glob.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { raceAbort } from '../core/race-abort.js';
import type { Logger } from '../telemetry/logger.js';
import { cacheHintOf, type UpstreamEvent } from '../upstream/index.js';
import { cacheKey } from './cache-key.js';
import { CacheCounters, type CacheStats } from './cache-stats.js';
import type { CacheStore } from './cache-store.js';
import { MemoryCacheStore } from './memory-cache-store.js';

export interface ResultCacheOptions {
  options: CacheOptions;
  /** The configured servers: their `cache` settings and whether they are `perClient`. */
  servers: Readonly<Record<string, ServerConfig>>;
  /** Which server serves a tool or a URI, and a tool's annotations (with the config's corrections). */
  catalog: Pick<Catalog, 'findTool' | 'resolveResource'>;
  logger: Logger;
  /** Where entries are kept; default: in this process's memory, bounded by the options. */
  store?: CacheStore;
  /** The clock (tests move it). */
  now?: () => number;
}

/** What a cacheable request is: whose, what, and how its result is kept. */
interface Plan {
  method: 'tools/call' | 'resources/read';
  server: string;
  /** The caller's own key; `publicKey` is where a result any caller may have is kept (reads with a public hint). */
  privateKey: string;
  publicKey: string | undefined;
  uri: string | undefined;
  /** Freshness when the result carries no hint. */
  ttlMs: number;
  tags: string[];
}

/** What the callers who joined a call in flight get: its result, its error, or "ask yourselves". */
type FlightOutcome = { kind: 'result'; value: string } | { kind: 'error'; error: unknown } | { kind: 'own' };

interface Flight {
  plan: Plan;
  /** Invalidated while in flight (a restart, a list change, a resource update): its result is not kept. */
  stale: boolean;
  outcome: Promise<FlightOutcome>;
}

/**
 * The result cache (`cache:` in the config), a pipeline stage after rules and limits: results of read-only
 * tools and of `resources/read`, kept per principal (and per session for a `perClient` server), shared across
 * principals only when the server marks a read `cacheScope: "public"`. Identical calls in flight at once make
 * one upstream call. Entries go when their server restarts or its lists change, and when a resource is updated.
 */
export class ResultCache {
  readonly counters = new CacheCounters();
  private readonly options: CacheOptions;
  private readonly servers: Readonly<Record<string, ServerConfig>>;
  private readonly catalog: ResultCacheOptions['catalog'];
  private readonly logger: Logger;
  private readonly store: CacheStore;
  private readonly now: () => number;
  private readonly toolIncluded: (name: string) => boolean;
  private readonly flights = new Map<string, Flight>();
  private readonly statsTimer: NodeJS.Timeout | undefined;
  private loggedAt = 0;
  /** Servers seen ready once: a first connection has nothing cached to drop (a shared store's entries are others'). */
  private readonly connected = new Set<string>();

  constructor(options: ResultCacheOptions) {
    this.options = options.options;
    this.servers = options.servers;
    this.catalog = options.catalog;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.store =
      options.store ??
      new MemoryCacheStore({
        maxEntries: options.options.maxEntries,
        maxBytes: options.options.maxBytes,
        now: this.now
      });
    this.toolIncluded = createNameFilter(options.options.include, options.options.exclude);
    if (options.options.statsInterval > 0) {
      this.statsTimer = setInterval(() => this.logStats('periodic'), options.options.statsInterval);
      this.statsTimer.unref();
    }
  }

  /** The pipeline stage. */
  readonly middleware: Middleware =
    (next: Handler): Handler =>
    async request => {
      const plan = this.plan(request);
      if (!plan) return next(request);
      const { downstream } = request;
      // A retry that carries the client's answers (multi round trip) depends on them: never served nor kept.
      if (downstream.inputResponses !== undefined || downstream.requestState !== undefined) {
        this.counters.count(plan.server, 'bypassed');
        return next(request);
      }
      const hit = await this.lookup(plan);
      if (hit) {
        this.counters.count(plan.server, 'hits');
        return hit;
      }
      // A caller that asked for progress leads its own call (a joined call's progress goes to its leader).
      const flight = downstream.progressToken === undefined ? this.flights.get(plan.privateKey) : undefined;
      if (flight) {
        const outcome = await raceAbort(flight.outcome, downstream.signal);
        if (outcome.kind === 'result') {
          this.counters.count(plan.server, 'coalesced');
          return JSON.parse(outcome.value) as GatewayResult;
        }
        if (outcome.kind === 'error') {
          this.counters.count(plan.server, 'coalesced');
          throw outcome.error;
        }
      }
      this.counters.count(plan.server, 'misses');
      return this.lead(plan, request, next);
    };

  /** Counters and sizes, for /healthz, `manifold cache stats` and the log. */
  stats(): CacheStats {
    return this.counters.snapshot(this.store.stats(), {
      maxEntries: this.options.maxEntries,
      maxBytes: this.options.maxBytes
    });
  }

  /** Follows a server's connection: a new session after the first, or a failure, drops its entries; so does a list change. */
  follow(server: string, event: UpstreamEvent): void {
    if (event.type === 'lists-changed') {
      for (const kind of event.kinds) {
        if (kind === 'tools' || kind === 'resources') this.invalidateServer(server, kind, `its ${kind} list changed`);
      }
      return;
    }
    // Starting changes nothing; a server's first connection has nothing of its own cached yet, and a stop (the
    // gateway shutting down) leaves its entries to the other instances of a shared store (its tools leave the
    // catalog, so they are not served here).
    if (event.state.kind === 'starting' || event.state.kind === 'stopped') return;
    if (!this.connected.has(server)) {
      if (event.state.kind === 'ready') this.connected.add(server);
      return;
    }
    const why = event.state.kind === 'ready' ? 'it reconnected' : 'it failed';
    this.invalidateServer(server, 'tools', why);
    this.invalidateServer(server, 'resources', why);
  }

  /** A server said a resource changed (`notifications/resources/updated`): every caller's copy of it goes. */
  invalidateResource(uri: string): void {
    for (const flight of this.flights.values()) if (flight.plan.uri === uri) flight.stale = true;
    void this.store.invalidate(`uri:${uri}`).then(dropped => {
      if (dropped > 0) this.logger.debug(`dropped ${dropped} cached read(s) of ${uri}: the server updated it`);
    });
  }

  /** A client session ended: its entries of `perClient` servers go with it. */
  endSession(sessionId: string): void {
    void this.store.invalidate(`session:${sessionId}`);
  }

  close(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.logStats('shutdown');
    void this.store.close();
  }

  private invalidateServer(server: string, kind: 'tools' | 'resources', why: string): void {
    const method = kind === 'tools' ? 'tools/call' : 'resources/read';
    for (const flight of this.flights.values())
      if (flight.plan.server === server && flight.plan.method === method) flight.stale = true;
    void this.store.invalidate(`${kind}:${server}`).then(dropped => {
      if (dropped > 0)
        this.logger.debug(
          `dropped ${dropped} cached ${kind === 'tools' ? 'tool result' : 'read'}(s) of "${server}": ${why}`
        );
    });
  }

  /** Whether and how a request is cached; undefined for everything the cache leaves alone. */
  private plan(request: GatewayRequest): Plan | undefined {
    const { params, downstream } = request;
    let method: Plan['method'];
    let server: string;
    let target: string;
    let args: unknown;
    let uri: string | undefined;
    if (request.method === 'tools/call') {
      const name = params.name;
      if (typeof name !== 'string') return undefined;
      const tool = this.catalog.findTool(name);
      // Only an upstream's tools that change nothing: a read-only tool. idempotentHint alone speaks of writes
      // (a repeat has no further effect), and a write must still reach its server.
      if (!tool || tool.local || tool.definition.annotations?.readOnlyHint !== true || !this.toolIncluded(name))
        return undefined;
      // A call with more than a name and arguments (a task-augmented call, say) asks for something else.
      if (Object.keys(params).some(key => key !== 'name' && key !== 'arguments' && key !== '_meta')) return undefined;
      method = 'tools/call';
      server = tool.upstream;
      target = name;
      args = params.arguments;
    } else if (request.method === 'resources/read') {
      if (!this.options.resources || typeof params.uri !== 'string') return undefined;
      try {
        server = this.catalog.resolveResource(params.uri);
      } catch {
        return undefined;
      }
      method = 'resources/read';
      uri = target = params.uri;
      const { _meta: _ignored, uri: _uri, ...rest } = params;
      args = rest;
    } else {
      return undefined;
    }
    const serverConfig = this.servers[server];
    if (serverConfig?.cache === false) return undefined;
    const partition = this.partitionOf(downstream, serverConfig);
    const tags = [method === 'tools/call' ? `tools:${server}` : `resources:${server}`];
    if (uri !== undefined) tags.push(`uri:${uri}`);
    if (serverConfig?.perClient) tags.push(`session:${downstream.sessionId}`);
    return {
      method,
      server,
      privateKey: cacheKey(partition, method, target, args),
      publicKey: method === 'resources/read' ? cacheKey('public', method, target, args) : undefined,
      uri,
      ttlMs: typeof serverConfig?.cache === 'object' ? serverConfig.cache.ttl : this.options.ttl,
      tags
    };
  }

  /**
   * Whose entries a caller sees: its principal (kind and name, so a key and a token subject of one name stay
   * apart), and for a `perClient` server its session too (the server sees that client's roots).
   */
  private partitionOf(downstream: DownstreamContext, server: ServerConfig | undefined): string {
    const principal = principalOf(downstream);
    const base = `${principal.kind}:${principal.name}`;
    return server?.perClient ? `${base}\u0000session:${downstream.sessionId}` : base;
  }

  private async lookup(plan: Plan): Promise<GatewayResult | undefined> {
    const entry =
      (await this.store.get(plan.privateKey)) ?? (plan.publicKey ? await this.store.get(plan.publicKey) : undefined);
    if (!entry) return undefined;
    const result = JSON.parse(entry.value) as GatewayResult;
    // A read's freshness hint tells what is left of it, as an HTTP cache's Age would.
    if (typeof result.ttlMs === 'number') result.ttlMs = Math.max(0, entry.expiresAt - this.now());
    return result;
  }

  /** Makes the call, keeps its result if it may be kept, and gives it to the callers who joined meanwhile. */
  private async lead(plan: Plan, request: GatewayRequest, next: Handler): Promise<GatewayResult> {
    let settle!: (outcome: FlightOutcome) => void;
    const flight: Flight = { plan, stale: false, outcome: new Promise(resolve => (settle = resolve)) };
    this.flights.set(plan.privateKey, flight);
    const { downstream } = request;
    // A result that needed the client's answer (sampling, elicitation) is that moment's, not a reusable one.
    let askedClient = false;
    const requestClient = downstream.requestClient;
    const watched: GatewayRequest = requestClient
      ? {
          ...request,
          downstream: {
            ...downstream,
            requestClient: (method, params, signal) => {
              askedClient = true;
              return requestClient(method, params, signal);
            }
          }
        }
      : request;
    try {
      const result = await next(watched);
      settle(await this.settleResult(plan, flight, result, askedClient));
      return result;
    } catch (error) {
      // Cancelled by its own caller: the others ask for themselves. Any other failure is theirs too.
      settle(downstream.signal.aborted ? { kind: 'own' } : { kind: 'error', error });
      throw error;
    } finally {
      if (this.flights.get(plan.privateKey) === flight) this.flights.delete(plan.privateKey);
    }
  }

  /**
   * Keeps a result that may be kept, and says what the callers who joined get. A result is reused only when
   * it is the server's complete answer to the call (no client input, not `input_required`, not invalidated
   * while in flight); a tool error is given to those who asked at the same moment but never kept; a result its
   * server says is stale at once (`ttlMs: 0`) is neither.
   */
  private async settleResult(
    plan: Plan,
    flight: Flight,
    result: GatewayResult,
    askedClient: boolean
  ): Promise<FlightOutcome> {
    // Only a complete result (not input_required, nor anything else a later protocol adds).
    const complete = result.resultType === undefined || result.resultType === 'complete';
    if (askedClient || flight.stale || !complete) return { kind: 'own' };
    const value = JSON.stringify(result);
    if (result.isError === true) {
      this.counters.count(plan.server, 'errorsNotKept');
      return { kind: 'result', value };
    }
    const freshness = this.freshness(plan, result);
    if (freshness.ttlMs <= 0) return { kind: 'own' };
    await this.keep(plan, value, freshness);
    return { kind: 'result', value };
  }

  /**
   * How long a result stays fresh and who may have it. A read with the server's hint (SEP-2549, on every
   * 2026-07-28 result) is kept as the hint says: `ttlMs` (0: not kept), shared only when `public`. Anything
   * else (a tool's result, a read without a hint) is the caller's own, for the configured `ttl`.
   */
  private freshness(plan: Plan, result: GatewayResult): { ttlMs: number; scope: 'public' | 'private' } {
    if (plan.method === 'resources/read' && typeof result.ttlMs === 'number') {
      const hint = cacheHintOf(result);
      return { ttlMs: Math.min(hint.ttlMs, maxCacheTtlMs), scope: hint.cacheScope };
    }
    return { ttlMs: plan.ttlMs, scope: 'private' };
  }

  private async keep(
    plan: Plan,
    value: string,
    freshness: { ttlMs: number; scope: 'public' | 'private' }
  ): Promise<void> {
    if (Buffer.byteLength(value) > this.options.maxEntryBytes) {
      this.counters.count(plan.server, 'tooLarge');
      return;
    }
    const key = freshness.scope === 'public' && plan.publicKey ? plan.publicKey : plan.privateKey;
    await this.store.set(key, { value, expiresAt: this.now() + freshness.ttlMs, tags: plan.tags });
    this.counters.count(plan.server, 'stores');
  }

  private logStats(when: 'periodic' | 'shutdown'): void {
    const stats = this.stats();
    const served = stats.hits + stats.coalesced + stats.misses;
    // Periodically only when something changed; at shutdown whenever there was anything at all.
    if (when === 'periodic' ? served === this.loggedAt : served === 0) return;
    this.loggedAt = served;
    const percent = (stats.hitRate * 100).toFixed(1);
    this.logger.info(
      `cache${when === 'shutdown' ? ' at shutdown' : ''}: ${percent}% of ${served} cacheable call(s) answered without the server (${stats.hits} hit(s), ${stats.coalesced} joined, ${stats.misses} miss(es)); ${stats.entries} entr${stats.entries === 1 ? 'y' : 'ies'}, ${stats.bytes} bytes, ${stats.evictions} evicted`,
      { cache: stats }
    );
  }
}

import { ApprovalGate } from '../approval/index.js';
import { anchorPath, AuditLog, createAuditMiddleware, loadSigningKey } from '../audit/index.js';
import { markRefusals } from '../core/call-outcome.js';
import { ResultCache } from '../cache/index.js';
import { AgentRunner, agentResumer, agentTools, type ModelRunsContext, OrchestratorRunner, orchestratorResumer, toModelTool } from '../agents/index.js';
import { Catalog } from '../catalog/index.js';
import type { ManifoldConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import { manifoldVersion } from '../core/version.js';
import { openApprovalStore, openAuditStore, type OpenedRunStore, openPinStore, openRunStore, storeExists, type UpstreamCredentialStore } from '../store/index.js';
import { StateSeal } from '../core/state-seal.js';
import { ToolPins } from '../pinning/index.js';
import type { Logger } from '../telemetry/logger.js';
import { createTracing, type Tracing } from '../telemetry/tracing/index.js';
import { Limits, RedisRateStore } from '../limits/index.js';
import { RedisSharedWindows, Usage } from '../usage/index.js';
import { Fleet } from '../fleet/index.js';
import { createFleetCacheStore, followFleetEvents } from './fleet-events.js';
import { createMetricsMiddleware, createTokenCounter, GatewayMetrics, observeRunStore } from '../metrics/index.js';
import { routerResumer, RouterRunner } from '../routers/index.js';
import { AccessPolicy, createRulesMiddleware, resourceTarget } from '../rules/index.js';
import { type Principal, principalOf } from '../core/principal.js';
import { nodeFetch, UpstreamConnection, type UpstreamConnectionOptions, UpstreamOAuth } from '../upstream/index.js';
import { DurableRuns, WorkflowEngine } from '../workflows/index.js';
import { isStdioServer, type ServerConfig, usageEnabled } from '../config/index.js';
import type { UpstreamRelay } from '../upstream/index.js';
import { configuredRoots } from './configured-roots.js';
import { createDispatcher } from './dispatcher.js';
import { InflightRegistry } from './inflight.js';
import { openCredentialStore } from './open-credential-store.js';
import { runStorePath } from './store-path.js';
import { PerClientUpstreams } from './per-client-upstreams.js';
import { InputRequiredBridge } from './input-required-bridge.js';
import { targetExists } from './target-exists.js';
import { composePipeline, type GatewayRequest, type Handler, type Middleware } from '../core/pipeline.js';
import { type DownstreamSession, SessionRegistry } from './sessions.js';
import { UnavailableUpstream } from './unavailable-upstream.js';
import { endViewSessions } from './views.js';
import { createScanWithholder } from './scan-guard.js';
import { upstreamRedaction } from './upstream-redaction.js';
import type { Redactor } from '../redaction/index.js';

export interface GatewayCoreOptions {
  config: ManifoldConfig;
  /** The config file, for resolving relative paths (server cwd). */
  configPath?: string;
  logger: Logger;
  /** Pipeline stages before the dispatcher, outermost first. */
  middlewares?: Middleware[];
  /** How long a call parked for a 2026 client's input waits for its retry (tests shorten it). */
  inputRequiredTtlMs?: number;
  /** Backoff for reconnecting upstreams; default: the config's gateway.reconnect. */
  backoff?: { baseMs: number; maxMs: number };
  /** The gateway's tracing; default: from the config's `tracing:` and the `OTEL_*` variables (off unless asked). */
  tracing?: Tracing;
  /** Redacts results and arguments (config `redact:`) and audit rows; default: the default rule table (tests inject a failing one). */
  redactor?: Redactor;
}

export { runStorePath } from './store-path.js';

/**
 * The gateway's state, shared by every downstream connection: the upstream connections, the merged
 * catalog, the pipeline, and the registry of connected clients.
 */
export class GatewayCore implements AsyncDisposable {
  readonly info: { name: string; version: string };
  readonly config: ManifoldConfig;
  readonly logger: Logger;
  readonly upstreams = new Map<string, UpstreamConnection>();
  readonly catalog: Catalog;
  /** Pinned tool definitions (`security.pinning`, on by default): the catalog's gate; undefined when off. */
  readonly pins: ToolPins | undefined;
  readonly sessions: SessionRegistry;
  readonly inflight: InflightRegistry;
  /** Each client's own sessions with `perClient` servers. */
  readonly perClient: PerClientUpstreams;
  readonly pipeline: Handler;
  /** OpenTelemetry spans of downstream requests, upstream calls, workflow steps and model calls (off: `noTracing`). */
  readonly tracing: Tracing;
  /** Config `rules:`: what each principal may see and call (lists filter by it, the pipeline's first stage refuses by it). */
  readonly access: AccessPolicy;
  readonly bridge: InputRequiredBridge;
  /** `limits:`: the call limits stage, the per-server caps the dispatcher waits on, the HTTP request limit. */
  readonly limits: Limits;
  /** Token accounting and budgets (`usage:`, `budgets:`); absent unless `usage.enabled` or budgets are configured. */
  readonly usage: Usage | undefined;
  /** The audit log (`audit:`), unless disabled: one hash-chained row per request, written before it is answered. */
  readonly audit: AuditLog | undefined;
  /** `security.approval`: calls that wait for a person (docs/SECURITY.md); undefined when no call can. */
  readonly approval: ApprovalGate | undefined;
  /** The result cache (`cache:`), when configured and enabled. */
  readonly cache: ResultCache | undefined;
  /** Prometheus metrics (`metrics:`, served at `metrics.path` on the HTTP face), unless `metrics.enabled: false`. */
  readonly metrics: GatewayMetrics | undefined;
  /** Declared workflows (and run_workflow), served as catalog tools whose steps go through `pipeline`. */
  readonly workflows: WorkflowEngine;
  /** Configured agents, served as catalog tools whose tool calls go through `pipeline`. */
  readonly agents: AgentRunner;
  /** Configured orchestrators, served as catalog tools that plan and run agents as workers. */
  readonly orchestrators: OrchestratorRunner;
  /** Configured routers, served as catalog tools that send a request to the route a model (or BM25) chose. */
  readonly routers: RouterRunner;
  /** The sign-ins of remote servers with `oauth` (undefined where none has the authorization-code grant). */
  readonly credentials: UpstreamCredentialStore | undefined;
  /** This instance among several: its id, the shared Redis (`redis:`) and the event bus (docs/FLEET.md). */
  readonly fleet: Fleet;
  private closed = false;

  constructor(options: GatewayCoreOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.tracing = options.tracing ?? createTracing(options.config.tracing);
    this.fleet = new Fleet(options.config, this.logger);
    this.info = { name: options.config.gateway.name, version: manifoldVersion };
    this.sessions = new SessionRegistry(this.logger.child('sessions'));
    this.inflight = new InflightRegistry(
      this.sessions,
      this.logger.child('relay'),
      configuredRoots(options.config, options.configPath)
    );
    this.credentials = openCredentialStore(options.config, options.configPath);
    // Every connection to a server is made here: shared, a perClient template, and each client's own. A server
    // whose entry is incomplete (a variable not set) is down with that reason, and so is each client's own session.
    // One OAuth per server with `oauth:`, shared by its shared connection and each client's own (one refresh).
    const oauth = new Map<string, UpstreamOAuth>();
    const oauthOf = (name: string, server: ServerConfig): UpstreamOAuth | undefined => {
      if (isStdioServer(server) || !server.oauth) return undefined;
      let shared = oauth.get(name);
      if (!shared) {
        shared = new UpstreamOAuth({
          server: name,
          serverUrl: server.url,
          config: server.oauth,
          store: this.credentials,
          fetch: nodeFetch,
          logger: this.logger.child(`upstream:${name}`)
        });
        oauth.set(name, shared);
      }
      return shared;
    };
    const createUpstream = (name: string, server: ServerConfig, relay: UpstreamRelay, logger: Logger = this.logger) => {
      const shared = oauthOf(name, server);
      const connectionOptions: UpstreamConnectionOptions = {
        name,
        config: server,
        ...(options.configPath ? { configPath: options.configPath } : {}),
        logger,
        relay,
        defaultTimeoutMs: options.config.gateway.timeout,
        connectTimeoutMs: options.config.gateway.connectTimeout,
        maxMessageBytes: options.config.gateway.maxMessageBytes,
        waitForRestartMs: options.config.gateway.waitForRestart,
        clientInfo: { name: 'manifold', version: manifoldVersion },
        ...(this.credentials ? { credentials: this.credentials } : {}),
        ...(shared ? { oauth: shared } : {}),
        ...(this.tracing.enabled ? { tracing: this.tracing } : {}),
        backoff: options.backoff ?? {
          baseMs: options.config.gateway.reconnect.baseDelay,
          maxMs: options.config.gateway.reconnect.maxDelay
        }
      };
      const unavailable = options.config.unavailableServers?.[name];
      return unavailable
        ? new UnavailableUpstream(connectionOptions, unavailable)
        : new UpstreamConnection(connectionOptions);
    };
    // A perClient server's shared connection is its template: it lists the tools (with the config's roots).
    for (const [name, server] of Object.entries(options.config.servers)) {
      if (!server.enabled) continue;
      this.upstreams.set(name, createUpstream(name, server, this.inflight));
      const unavailable = options.config.unavailableServers?.[name];
      if (unavailable) this.logger.warn(`${unavailable}; serving without it`);
    }
    this.perClient = new PerClientUpstreams({
      inflight: this.inflight,
      logger: this.logger.child('per-client'),
      max: options.config.gateway.perClientMax,
      idleMs: options.config.gateway.perClientIdle,
      // Its log lines name the client: `client:<session id>:upstream:<server>`.
      create: (name, relay, sessionId) =>
        createUpstream(
          name,
          options.config.servers[name] as ServerConfig,
          relay,
          this.logger.child(`client:${sessionId}`)
        )
    });
    const withhold = createScanWithholder(options.config, this.upstreams, this.logger.child('scanner'));
    const pinsOf = options.config.security;
    this.pins = pinsOf.pinning
      ? new ToolPins({ openStore: () => openPinStore(runStorePath(options.config, options.configPath)), servers: options.config.servers, logger: this.logger, audit: () => this.audit })
      : undefined;
    this.catalog = new Catalog([...this.upstreams.values()], this.logger, { withhold, gate: this.pins });
    this.pins?.follow(this.catalog, this.upstreams, pinsOf.pinRefresh);
    // After every other listener of this change (views drop their cached entries in theirs, and a view is made
    // after this line): what a session can see of a list is computed from the changed catalog, not a stale view.
    this.catalog.onChange(change => queueMicrotask(() => this.sessions.listChanged(change.kinds)));
    const seal = new StateSeal();
    this.bridge = new InputRequiredBridge({
      seal,
      logger: this.logger.child('input-required'),
      ttlMs: options.inputRequiredTtlMs ?? options.config.gateway.inputRequiredTtl
    });
    this.access = new AccessPolicy(options.config.rules, this.logger.child('rules'));
    if (this.access.active) this.logger.info(`access: ${this.access.describe()}`);
    const redis = this.fleet.redis;
    this.limits = new Limits({ config: options.config.limits, catalog: this.catalog, ...(redis ? { store: new RedisRateStore(redis) } : {}) });
    this.cache = this.createCache(options.config);
    this.usage = usageEnabled(options.config)
      ? new Usage({
          options: options.config.usage,
          budgets: options.config.budgets,
          catalog: this.catalog,
          // The run store (a UsageStore too), opened on the first count.
          store: () => this.workflows.store as OpenedRunStore | undefined,
          isWorkflow: name => Object.hasOwn(options.config.workflows, name),
          logger: this.logger.child('usage'),
          shared: redis ? new RedisSharedWindows(redis) : undefined
        })
      : undefined;
    const config = options.config;
    this.metrics = config.metrics.enabled
      ? new GatewayMetrics({
          upstreams: this.upstreams,
          cache: this.cache,
          runNames: [
            ...Object.keys(config.workflows),
            ...Object.keys(config.agents),
            ...Object.keys(config.orchestrators),
            ...Object.keys(config.routers),
            '(ad hoc)'
          ]
        })
      : undefined;
    const metrics = this.metrics;
    if (metrics && this.usage) this.usage.accounting.listeners.add(createTokenCounter(metrics, this.catalog));
    this.audit = this.createAudit(options.config, options.configPath, options.redactor);
    const redaction = upstreamRedaction(options.config, request => this.auditTarget(request).server, options.redactor);
    const approval = new ApprovalGate({
      options: options.config.security.approval,
      servers: options.config.servers,
      catalog: this.catalog,
      seal,
      store: () => openApprovalStore(runStorePath(options.config, options.configPath)),
      ...(this.audit ? { record: (row: Parameters<AuditLog['append']>[0]) => void this.audit?.append(row).catch(() => {}) } : {}),
      logger: this.logger.child('approval')
    });
    this.approval = approval.policy.active ? approval : undefined;
    // Outermost first: metrics (they count and time every call, denied and limited ones too; the time includes the
    // audit row) → audit (every request gets its row before its answer leaves) → rules (a denied call is refused
    // before anything else sees it) → the given stages → limits → usage (token budgets refuse; answers, cached ones
    // too, are counted) → approval (security.approval: a call that needs a person's yes) → cache (a refused call never
    // reads it) → redaction (`redact:`: inside the cache, so that what is kept, counted, audited and answered is
    // redacted; arguments leave redacted) → bridge → dispatcher. The bridge sits next to the
    // dispatcher: it parks calls whose (2025-era) upstream pushes requests to a 2026 client.
    this.pipeline = composePipeline(
      [
        ...(metrics ? [createMetricsMiddleware(metrics, { catalog: this.catalog })] : []),
        ...(this.audit ? [createAuditMiddleware(this.audit, request => this.auditTarget(request))] : []),
        ...(this.access.active ? [markRefusals(createRulesMiddleware(this.access, this.catalog), request => targetExists(this.catalog, request))] : []),
        ...(options.middlewares ?? []),
        ...(this.limits.middleware ? [this.limits.middleware] : []),
        ...(this.usage ? [this.usage.middleware] : []),
        ...(this.approval ? [this.approval.middleware] : []),
        ...(this.cache ? [this.cache.middleware] : []),
        ...(redaction ? [redaction] : []),
        this.bridge.middleware
      ],
      createDispatcher(
        this.catalog,
        this.upstreams,
        this.inflight,
        this.perClient,
        this.limits.upstreams,
        metrics ? (server, method, seconds, outcome) => metrics.observeUpstream(server, method, seconds, outcome) : undefined,
        this.tracing
      )
    );
    this.workflows = new WorkflowEngine({
      workflows: options.config.workflows,
      adHoc: options.config.gateway.adHocWorkflows,
      runTools: options.config.gateway.runTools,
      catalog: this.catalog,
      upstreams: this.upstreams,
      pipeline: this.pipeline,
      logger: this.logger,
      tracing: this.tracing,
      // Model steps: the agents' runner (built below) gives the backends; an agent is offered only its servers' tools.
      models: {
        models: options.config.models,
        agents: options.config.agents,
        servers: Object.keys(options.config.servers),
        backend: name => this.agents.backend(name),
        tools: (agent, principal) => agentTools(agent, this.catalog, principal ? this.access.toolFilter(principal) : undefined).map(toModelTool)
      },
      access: this.access,
      openStore: () => {
        const store = openRunStore(runStorePath(options.config, options.configPath));
        try {
          store.prune(options.config.store.keepRuns);
        } catch (error) {
          // A database that is down now may be up for the next run: the store stays open, the prune waits.
          this.logger.warn(`old runs were not pruned: ${errorMessage(error)}`);
        }
        // Each run and step that ends is counted as the store records it.
        return metrics ? observeRunStore(store, metrics) : store;
      },
      // Runs a killed gateway left running are marked interrupted at start, if there is a store to look in.
      storeExists: () => {
        return storeExists(runStorePath(options.config, options.configPath));
      }
    });
    this.workflows.start();
    this.agents = new AgentRunner({
      models: options.config.models,
      agents: options.config.agents,
      catalog: this.catalog,
      pipeline: this.pipeline,
      access: this.access,
      logger: this.logger,
      tracing: this.tracing,
      // Each direct agent call is a run in the run store, journaled per model turn and tool call (resumable).
      runs: this.modelRuns()
    });
    this.agents.start();
    this.workflows.runs.resumers.set('agent', agentResumer(this.agents));
    this.orchestrators = new OrchestratorRunner({
      orchestrators: options.config.orchestrators,
      agents: options.config.agents,
      agentRunner: this.agents,
      catalog: this.catalog,
      pipeline: this.pipeline,
      access: this.access,
      logger: this.logger,
      runs: this.modelRuns()
    });
    this.orchestrators.start();
    this.workflows.runs.resumers.set('orchestrator', orchestratorResumer(this.orchestrators));
    this.routers = new RouterRunner({
      routers: options.config.routers,
      servers: options.config.servers,
      catalog: this.catalog,
      pipeline: this.pipeline,
      access: this.access,
      backend: model => this.agents.backend(model),
      hasModel: model => this.agents.hasModel(model),
      logger: this.logger,
      runs: this.modelRuns()
    });
    this.routers.start();
    this.workflows.runs.resumers.set('router', routerResumer(this.routers));
    // Other instances' list changes and resource updates reach this one's clients (a no-op without `redis:`).
    const { upstreams, catalog, sessions, inflight, cache } = this;
    followFleetEvents({ bus: this.fleet.bus, upstreams, catalog, sessions, inflight, cache, logger: this.logger.child('events') });
    this.sessions.hooks = {
      onLogLevel: level => {
        for (const upstream of this.upstreams.values()) void upstream.applyLoggingLevel(level);
      },
      onSubscription: (uri, subscribed) => this.forwardSubscription(uri, subscribed),
      onSessionEnd: id => {
        this.perClient.endSession(id);
        this.cache?.endSession(id);
        endViewSessions(this, id);
      },
      // A session hears of a resource's update only if its rules let it read the resource.
      ...(this.access.active
        ? {
            mayRead: (session: DownstreamSession, uri: string) =>
              this.access.allows(principalOf(session), resourceTarget(uri, this.resourceOwner(uri))),
            seesServer: (session: DownstreamSession, server: string) => this.seesAnythingOf(principalOf(session), server)
          }
        : {})
    };
  }

  /**
   * Connects to every upstream in parallel and resolves when each has connected or failed (a failed one
   * keeps retrying in the background). Throws NAME_CLASH if unprefixed names collide.
   */
  async start(): Promise<void> {
    await Promise.all([this.fleet.start(), ...[...this.upstreams.values()].map(upstream => upstream.start())]);
    // Tool and prompt names that collide (prefix: false) stop the start; a resource URI that two servers list
    // does not (the first serves it, as when it appears later): two instances of one server list the same URIs.
    const clashes = this.catalog.nameClashes.filter(clash => !clash.startsWith('resource '));
    if (clashes.length > 0) {
      await this.close();
      throw new ManifoldError('NAME_CLASH', `names clash between servers:\n${clashes.join('\n')}`);
    }
  }

  /**
   * The gateway's instructions: its own text, then each upstream's under its name. For a principal under config
   * `rules:`, only the servers it can see something of (a tool, prompt, resource or template): the others' names
   * and instructions are not its business.
   */
  instructions(principal?: Principal): string {
    const parts: string[] = [];
    const seen = principal && this.access.active ? this.serversSeenBy(principal) : undefined;
    const shown = [...this.upstreams.values()].filter(upstream => !seen || seen.has(upstream.name));
    parts.push(
      this.config.gateway.instructions ??
        `Manifold gateway: tools, prompts and resources of ${shown.length} MCP server(s). Tool and prompt names are "<server>__<name>".`
    );
    for (const upstream of shown) {
      const text = upstream.instructions?.trim();
      const description = upstream.config.description?.trim();
      if (!text && !description) continue;
      parts.push(`## ${upstream.name}\n${[description, text].filter(Boolean).join('\n\n')}`);
    }
    return parts.join('\n\n');
  }

  /** Whether a principal can see any tool, prompt, resource or template of a server (config `rules:`). */
  private seesAnythingOf(principal: Principal, server: string): boolean {
    return this.serversSeenBy(principal).has(server);
  }

  /** The servers a principal can see something of, in one pass over the catalog (its decisions are memoised). */
  private serversSeenBy(principal: Principal): Set<string> {
    const { catalog, access } = this;
    const seen = new Set<string>();
    for (const tool of catalog.tools) if (!seen.has(tool.upstream) && access.seesTool(principal, tool)) seen.add(tool.upstream);
    for (const prompt of catalog.prompts) if (!seen.has(prompt.upstream) && access.seesPrompt(principal, prompt)) seen.add(prompt.upstream);
    for (const resource of catalog.resources) if (!seen.has(resource.upstream) && access.seesResource(principal, resource)) seen.add(resource.upstream);
    for (const template of catalog.resourceTemplates) if (!seen.has(template.upstream) && access.seesTemplate(principal, template)) seen.add(template.upstream);
    return seen;
  }

  /**
   * A client's roots changed: its own sessions with `perClient` servers are told (they ask it again). Shared
   * servers are not: the roots they see come from the config.
   */
  clientRootsChanged(sessionId: string): void {
    this.perClient.notifySession(sessionId, 'notifications/roots/list_changed');
  }

  /** The result cache, following every server's restarts, list changes and resource updates. */
  private createCache(config: ManifoldConfig): ResultCache | undefined {
    if (!config.cache?.enabled) {
      const tuned = Object.entries(config.servers).filter(([, server]) => typeof server.cache === 'object');
      for (const [name] of tuned) this.logger.warn(`servers.${name}.cache has no effect: the result cache is ${config.cache ? 'off (cache.enabled: false)' : 'off (no cache: block; docs/CONFIG.md "Cache read results")'}`);
      return undefined;
    }
    const options = config.cache;
    const store = createFleetCacheStore(this.fleet, options);
    const cache = new ResultCache({ options, servers: config.servers, catalog: this.catalog, logger: this.logger.child('cache'), ...(store ? { store } : {}) });
    this.logger.info(
      `result cache on: read-only tools${options.resources ? ' and resource reads' : ''}, per principal, fresh for ${options.ttl / 1000} s without a server's hint; at most ${options.maxEntries} entries, ${Math.round(options.maxBytes / 1024)} KiB`
    );
    for (const upstream of this.upstreams.values()) upstream.onEvent(event => cache.follow(upstream.name, event));
    this.inflight.resourceUpdateListeners.add((_upstream, uri) => cache.invalidateResource(uri));
    return cache;
  }

  /** The audit log of config `audit:` (its signing key is read now: a bad one stops the start), or undefined when disabled. */
  private createAudit(config: ManifoldConfig, configPath: string | undefined, redactor: Redactor | undefined): AuditLog | undefined {
    const options = config.audit;
    if (!options.enabled) return undefined;
    const signer = options.signingKey !== undefined ? loadSigningKey(options.signingKey, configPath) : undefined;
    return new AuditLog({
      open: () => openAuditStore(runStorePath(config, configPath), { durability: options.durability }),
      signer,
      checkpointEvery: options.checkpointEvery,
      keepDays: options.keepDays,
      arguments: options.arguments,
      onFailure: options.onFailure,
      tokens: usageEnabled(config),
      anchor: anchorPath(options.anchor, runStorePath(config, configPath), configPath),
      ...(redactor ? { redactor } : {}),
      logger: this.logger.child('audit')
    });
  }

  /** Who serves an audited request's target: the tool's or prompt's server and name there, a resource's server. */
  private auditTarget(request: GatewayRequest): { upstream: string | null; server: string | null } {
    const { params } = request;
    if (request.method === 'tools/call' && typeof params.name === 'string') {
      const tool = this.catalog.findTool(params.name) ?? this.catalog.findHeld(params.name)?.tool;
      return tool ? { upstream: tool.originalName, server: tool.upstream } : { upstream: null, server: null };
    }
    if (request.method === 'prompts/get' && typeof params.name === 'string') {
      const prompt = this.catalog.getPrompt(params.name);
      return { upstream: prompt.originalName, server: prompt.upstream };
    }
    const uri = typeof params.uri === 'string' ? params.uri : (params.ref as { uri?: unknown } | undefined)?.uri;
    if (typeof uri === 'string') return { upstream: null, server: this.resourceOwner(uri) || null };
    return { upstream: null, server: null };
  }

  /** Where direct agent, orchestrator and router calls are recorded as runs: the workflows' run store. */
  private modelRuns(): ModelRunsContext {
    return {
      store: () => this.workflows.store,
      owner: DurableRuns.owner,
      findTool: name => this.catalog.findTool(name)?.definition,
      continueLinked: (link, downstream) => this.workflows.runs.continueLinked(link, downstream)
    };
  }

  /** The server that serves a URI, or `""` when none does (yet): the rules decide on the URI alone then. */
  resourceOwner(uri: string): string {
    try {
      return this.catalog.resolveResource(uri);
    } catch {
      return '';
    }
  }

  private async forwardSubscription(uri: string, subscribed: boolean): Promise<void> {
    let owner: string;
    try {
      owner = this.catalog.resolveResource(uri);
    } catch {
      return;
    }
    await this.upstreams
      .get(owner)
      ?.setResourceSubscription(uri, subscribed)
      .catch(error =>
        this.logger.warn(
          `${subscribed ? 'subscribing to' : 'unsubscribing from'} ${uri} on "${owner}" failed: ${(error as Error).message}`
        )
      );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bridge.close();
    this.approval?.close();
    this.cache?.close();
    this.usage?.close();
    await Promise.all([...[...this.upstreams.values()].map(upstream => upstream.stop()), this.perClient.close()]);
    this.workflows.close();
    this.agents.close();
    this.orchestrators.close();
    this.routers.close();
    this.credentials?.close();
    this.pins?.close();
    this.audit?.close();
    this.metrics?.close();
    await this.fleet.close();
    // Last: the spans of everything above are sent before the process may exit.
    await this.tracing.shutdown().catch(error => this.logger.warn(`tracing: could not send the last spans: ${String(error)}`));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

import * as z from 'zod/v4';

import { annotationHintsSchema } from './annotation-hints-schema.js';
import { cacheOptionsSchema, serverCacheSchema } from './cache-schema.js';
import { metricsOptionsSchema } from './metrics-schema.js';
import { authSchema, checkAuthReferences } from './auth-schema.js';
import { consoleOptionsSchema } from './console-schema.js';
import { agentsSchema, checkAgentReferences, modelsSchema } from './agent-schema.js';
import { checkOrchestratorReferences, orchestratorsSchema } from './orchestrator-schema.js';
import { checkRouterReferences, routersSchema } from './router-schema.js';
import { durationSchema } from './duration.js';
import { fleetOptionsSchema, redisOptionsSchema } from './fleet-schema.js';
import { postgresUrlSchema, storeShorthand } from './store-schema.js';
import { discoveryOptionsSchema } from './discovery-schema.js';
import { httpUrlSchema } from './http-url.js';
import { budgetsSchema, checkBudgetReferences, usageOptionsSchema } from './budgets-schema.js';
import { auditOptionsSchema } from './audit-schema.js';
import { checkLimitsReferences, limitsSchema } from './limits-schema.js';
import { checkRuleReferences, rulesSchema } from './rules-schema.js';
import { securityScanSchema, serverTrustSchema } from './security-scan-schema.js';
import { pinningServerFields, securityPinningKeys } from './security-pinning-schema.js';
import { tracingOptionsSchema } from './tracing-schema.js';
import { approvalOptionsSchema } from './security-approval-schema.js';
import { redactSchema, securityRedactFields } from './security-redact-schema.js';
import { upstreamOAuthSchema } from './oauth-schema.js';
import { viewsSchema } from './view-schema.js';
import { workflowsSchema } from './workflow-schema.js';

export { durationSchema } from './duration.js';

/**
 * Upstream names become the prefix of public names (`<server>__<tool>`), so they may not contain `__`
 * nor start or end with `_`: the first `__` in a public name then always ends the server name.
 */
export const serverNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*(?<!_)$/;

const globList = z.array(z.string().min(1)).optional();

/**
 * Corrections of a server's tool annotations (issue 9: real servers often leave them out or get them wrong):
 * tool globs on the server's own names → the hints to set. Applied in the catalog, so lists, views, search
 * and workflows all see them (docs/CONFIG.md).
 */
export const toolAnnotationsSchema = z.record(z.string().min(1), annotationHintsSchema('a tool'));

const commonServerFields = {
  /** Off switch without deleting the entry. */
  enabled: z.boolean().default(true),
  /** Per-request timeout toward this upstream. */
  timeout: durationSchema.optional(),
  /** Bound on this server's handshake (start, era probe, initialize); `gateway.connectTimeout` when absent. */
  connectTimeout: durationSchema.optional(),
  /** How long a call waits for this server while it starts or restarts; `gateway.waitForRestart` when absent. */
  waitForRestart: durationSchema.optional(),
  /** Tool globs (on the upstream's own names) to keep; all when absent. */
  include: globList,
  /** Tool globs (on the upstream's own names) to drop. */
  exclude: globList,
  /** Prefix public tool and prompt names with `<server>__` (default). `false` keeps upstream names. */
  prefix: z.boolean().default(true),
  /** Which protocol era to speak: probe (`auto`, default), or pin `legacy` (2025-11-25 and before) or `modern`. */
  protocol: z.enum(['auto', 'legacy', 'modern']).default('auto'),
  /** What this server is for, in a sentence: shown to clients and used by search. */
  description: z.string().optional(),
  /** Words for every tool of this server: matched by view `tags` filters and by search. */
  tags: z.array(z.string().min(1)).default([]),
  /** Words for some tools (keys are globs on the server's own tool names): view `tags` and search. */
  toolTags: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Corrected annotations for some tools (keys are globs on the server's own tool names). */
  annotations: toolAnnotationsSchema.default({}),
  /** This server's part in the result cache (top-level `cache:`): `false` keeps its results out, `{ ttl }` sets their freshness. */
  cache: serverCacheSchema.optional(),
  /** `trusted`: its destructive tools need no approval by default (security.approval), and its scanner findings are one severity lower (docs/SECURITY.md). Absent: untrusted. */
  trust: serverTrustSchema,
  ...pinningServerFields,
  /** Redaction of this server's results and arguments (`results`, `arguments`, `block`, `off`); `security.redact` when absent. */
  redact: redactSchema.optional()
};

/** A root entry: a path (no URI scheme; a Windows drive letter is a path) or a local `file://` URI. */
function isPathOrFileUri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value) || /^[a-z]:[\\/]/i.test(value)) return true;
  try {
    return new URL(value).protocol === 'file:' && ['', 'localhost'].includes(new URL(value).host);
  } catch {
    return false;
  }
}

/** Per-client state (docs/CONFIG.md "Share a server, or give each client its own"). */
const clientStateServerFields = {
  /**
   * The roots this server sees when it is shared: paths (relative to the config file's folder) or file:// URIs.
   * Default none: roots/list is answered with an empty list. A shared server never sees a client's roots.
   */
  roots: z.array(z.string().min(1).refine(isPathOrFileUri, 'expected a path or a local file:// URI')).default([]),
  /** One upstream session per client session, so the client's roots, sampling and elicitation reach its own. */
  perClient: z.boolean().default(false)
};

export const stdioServerSchema = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1, 'expected the command that starts the server'),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...commonServerFields,
  ...clientStateServerFields
});

export const remoteServerSchema = z.strictObject({
  /** `http` (Streamable HTTP), `sse` (legacy HTTP+SSE); absent: try Streamable HTTP, then fall back to SSE. */
  type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
  url: httpUrlSchema('expected an http(s) URL'),
  headers: z.record(z.string(), z.string()).default({}),
  /** OAuth 2.1 toward this server (client credentials, or authorization code via `manifold login`). */
  oauth: upstreamOAuthSchema.optional(),
  ...commonServerFields,
  ...clientStateServerFields
}).superRefine((server, context) => {
  if (server.oauth && Object.keys(server.headers).some(name => name.toLowerCase() === 'authorization')) {
    context.addIssue({
      code: 'custom',
      path: ['headers'],
      message: 'an Authorization header and oauth both set the token: keep one (oauth obtains and refreshes it)'
    });
  }
});

export const serverSchema = z.union([stdioServerSchema, remoteServerSchema]);

export const httpOptionsSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3333),
  /** Extra Host header values to accept besides localhost (DNS-rebinding protection). */
  allowedHosts: z.array(z.string()).default([]),
  /** Extra Origin values to accept besides localhost. */
  allowedOrigins: z.array(z.string()).default([])
});

export const gatewayOptionsSchema = z.strictObject({
  /** The name the gateway gives itself to clients. */
  name: z.string().default('manifold'),
  /** Text put first in the merged instructions. */
  instructions: z.string().optional(),
  /** Default per-request timeout toward upstreams. */
  timeout: durationSchema.default(60_000),
  /**
   * Bound on an upstream's handshake (process start, era probe, initialize), at start and on every reconnect;
   * a server still starting within it is never killed. Per server: `servers.<name>.connectTimeout`.
   */
  connectTimeout: durationSchema.default(30_000),
  /**
   * How long a call that arrives while its server is starting or restarting after a crash waits for it (within
   * the call's own timeout) before failing; `0` fails such calls at once. Per server: `servers.<name>.waitForRestart`.
   */
  waitForRestart: durationSchema.default(30_000),
  /** Backoff between attempts to reconnect a failed server: the first delay, doubled each time up to the cap (±20% jitter). */
  reconnect: z
    .strictObject({ baseDelay: durationSchema.default(1000), maxDelay: durationSchema.default(60_000) })
    .prefault({}),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** `text` (default) or `json`: one JSON object per line, with the trace and span ids of a traced request (docs/OBSERVABILITY.md "Logs"). */
  logFormat: z.enum(['text', 'json']).default('text'),
  /**
   * How long a call waits for a 2026-07-28 client to come back with the input a 2025-era server asked for
   * (sampling, elicitation, roots) before it is cancelled.
   */
  inputRequiredTtl: durationSchema.default(600_000),
  /**
   * The largest JSON-RPC message (in bytes) accepted from a client, on every face: an HTTP POST body, a stdio
   * line. A larger one is answered with a JSON-RPC error and the gateway goes on serving.
   */
  maxMessageBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
  http: httpOptionsSchema.prefault({}),
  /** Serve the `run_workflow` tool, which runs a workflow definition given as its argument. */
  adHocWorkflows: z.boolean().default(false),
  /**
   * Serve the run tools (runs_start, runs_status, runs_cancel, runs_resume): workflow runs started in the
   * background and polled, and resumed after the gateway was killed. Off by default: four more tools in every
   * client's list (`manifold runs resume` works either way).
   */
  runTools: z.boolean().default(false),
  /**
   * `serve` resumes, once its servers are up, the runs it found left `running` by a gateway that is gone (those
   * with a call in flight that is not idempotent stay interrupted). Off by default: a run goes on only when asked.
   */
  resumeInterrupted: z.boolean().default(false),
  /** Most client sessions a `perClient` server serves at once (each one its own upstream session). */
  perClientMax: z.number().int().min(1).default(32),
  /** A `perClient` server's session for a client is closed after this long without a call. */
  perClientIdle: durationSchema.default(600_000)
});

export const storeOptionsSchema = z.strictObject({
  /** The embedded SQLite file (workflow runs); relative to the config file; `:memory:` keeps nothing. */
  path: z.string().min(1).default('.manifold/manifold.db'),
  /** PostgreSQL instead of the file (fleet mode, docs/FLEET.md "Store"); `MANIFOLD_STORE` overrides it. */
  url: postgresUrlSchema.optional(),
  /** How many of the most recent workflow runs to keep; older ones are deleted when the store opens. */
  keepRuns: z.number().int().min(1).default(10_000)
});

/** `store: postgres://…` and `store: ./file.db` are shorthands of `store: { url }` and `store: { path }`. */
const storeSchema = z.preprocess(storeShorthand, storeOptionsSchema.prefault({}));

export const configSchema = z
  .strictObject({
    /** `$schema` and comments are allowed and ignored. */
    $schema: z.string().optional(),
    servers: z
      .record(z.string(), serverSchema)
      .default({})
      .superRefine((servers, context) => {
        for (const name of Object.keys(servers)) {
          if (!serverNamePattern.test(name)) {
            context.addIssue({
              code: 'custom',
              path: [name],
              message: `server name "${name}" must use letters, digits, "-" and single "_" (not "__", not at either end), so that "<server>__<tool>" names stay unambiguous`
            });
          }
        }
      }),
    gateway: gatewayOptionsSchema.prefault({}),
    /** Named slices of the catalog, each served at /mcp/<name> (docs/DISCOVERY.md); `default` shapes /mcp. */
    views: viewsSchema,
    /** Search options shared by every view: an optional embeddings endpoint fused with BM25 (docs/DISCOVERY.md). */
    discovery: discoveryOptionsSchema.prefault({}),
    /** Declared composite tools (docs/WORKFLOWS.md); more come from the folders in `workflowDirs`. */
    workflows: workflowsSchema,
    /**
     * Folders (relative to the config file) whose `*.yaml|*.yml|*.json` files are workflows, one per file.
     * Only these are read: a `workflows/` folder that holds something else (GitHub Actions) is left alone.
     */
    workflowDirs: z.array(z.string().min(1)).default([]),
    /** Where runs, the audit log, keys and usage live: options, or a bare `postgres://…` URL or SQLite path. */
    store: storeSchema,
    /** The result cache of read-only tools and resource reads (docs/CONFIG.md); off when absent. */
    cache: cacheOptionsSchema.optional(),
    /** Model endpoints agents use (docs/AGENTS.md). */
    models: modelsSchema,
    /** Agents: catalog tools that run a model in a tool loop over some servers' tools (docs/AGENTS.md). */
    agents: agentsSchema,
    /** Orchestrators: catalog tools that plan a task, delegate it to agents and synthesize (docs/AGENTS.md). */
    orchestrators: orchestratorsSchema,
    /** Routers: catalog tools that ask a model which route (server, agent, workflow) fits a request (docs/AGENTS.md). */
    routers: routersSchema,
    /** Rate limits and concurrency caps: per principal, tool and server, per HTTP request, per upstream (docs/CONFIG.md "Limit calls"). */
    limits: limitsSchema.prefault({}),
    /** Runtime token accounting of answers and model usage (docs/OBSERVABILITY.md "Token usage and budgets"). */
    usage: usageOptionsSchema.prefault({}),
    /** Token budgets per principal or view per hour/day, and per workflow run (docs/CONFIG.md "Budgets"). */
    budgets: budgetsSchema,
    /** Prometheus metrics at `/metrics` on the HTTP port (docs/OBSERVABILITY.md "Metrics"); on by default. */
    metrics: metricsOptionsSchema.prefault({}),
    /** Who may reach the HTTP face: API keys and/or bearer tokens, or `none` (docs/SECURITY.md). Absent: loopback only. */
    auth: authSchema.optional(),
    /** Who may see and call what: ordered allow/deny CEL conditions over the caller and the target (docs/SECURITY.md). */
    rules: rulesSchema,
    /** The hash-chained audit log of every request, in the store (docs/OBSERVABILITY.md "Audit log"); on by default. */
    audit: auditOptionsSchema.prefault({}),
    /** OpenTelemetry tracing (docs/OBSERVABILITY.md "Traces"); off unless an exporter is set here or by OTEL_* variables. */
    tracing: tracingOptionsSchema.prefault({}),
    /** Shared state of several instances: Redis for limits, cache, budgets and events (docs/FLEET.md); MANIFOLD_REDIS. */
    redis: redisOptionsSchema.optional(),
    /** This instance among several (docs/FLEET.md). */
    fleet: fleetOptionsSchema.prefault({}),
    /** The web console at /console on the HTTP port (docs/CONSOLE.md); on by default, behind its own admin credential. */
    console: consoleOptionsSchema.prefault({}),
    /** Defences against the servers themselves (docs/SECURITY.md): pinned tool definitions, `scan` of tool definitions, `approval` of destructive calls, redaction of results and arguments. */
    security: z.strictObject({ ...securityPinningKeys, ...securityRedactFields, approval: approvalOptionsSchema.prefault({}), scan: securityScanSchema.prefault({}) }).prefault({})
  })
  .superRefine((config, context) => {
    for (const issue of checkAuthReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkAgentReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkOrchestratorReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkRouterReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkLimitsReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkRuleReferences(config)) context.addIssue({ code: 'custom', ...issue });
    for (const issue of checkBudgetReferences(config)) context.addIssue({ code: 'custom', ...issue });
  });

export type ManifoldConfig = z.infer<typeof configSchema> & {
  /**
   * Enabled servers that cannot start as configured, by name, with the reason (a variable that is not
   * set). Set by parseConfig, not by the file: the gateway reports them down and serves the others.
   */
  unavailableServers?: Record<string, string>;
};
export type ServerConfig = z.infer<typeof serverSchema>;
export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type RemoteServerConfig = z.infer<typeof remoteServerSchema>;
export type GatewayOptions = z.infer<typeof gatewayOptionsSchema>;
export type StoreOptions = z.infer<typeof storeOptionsSchema>;

export function isStdioServer(server: ServerConfig): server is StdioServerConfig {
  return 'command' in server;
}

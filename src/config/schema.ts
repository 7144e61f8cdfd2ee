import * as z from 'zod/v4';

import { durationSchema } from './duration.js';
import { discoveryOptionsSchema } from './discovery-schema.js';
import { viewsSchema } from './view-schema.js';
import { workflowsSchema } from './workflow-schema.js';

export { durationSchema } from './duration.js';

/**
 * Upstream names become the prefix of public names (`<server>__<tool>`), so they may not contain `__`
 * nor start or end with `_`: the first `__` in a public name then always ends the server name.
 */
export const serverNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*(?<!_)$/;

const globList = z.array(z.string().min(1)).optional();

const commonServerFields = {
  /** Off switch without deleting the entry. */
  enabled: z.boolean().default(true),
  /** Per-request timeout toward this upstream. */
  timeout: durationSchema.optional(),
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
  toolTags: z.record(z.string(), z.array(z.string().min(1))).default({})
};

export const stdioServerSchema = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1, 'expected the command that starts the server'),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...commonServerFields
});

const httpUrl = z
  .string()
  .refine(value => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http(s) URL');

export const remoteServerSchema = z.strictObject({
  /** `http` (Streamable HTTP), `sse` (legacy HTTP+SSE); absent: try Streamable HTTP, then fall back to SSE. */
  type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
  url: httpUrl,
  headers: z.record(z.string(), z.string()).default({}),
  ...commonServerFields
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
  /** How long to wait for an upstream to connect at start before serving without it. */
  connectTimeout: durationSchema.default(30_000),
  /** Backoff between attempts to reconnect a failed server: the first delay, doubled each time up to the cap (±20% jitter). */
  reconnect: z.strictObject({ baseDelay: durationSchema.default(1000), maxDelay: durationSchema.default(60_000) }).prefault({}),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
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
  adHocWorkflows: z.boolean().default(false)
});

export const storeOptionsSchema = z.strictObject({
  /** The embedded SQLite file (workflow runs); relative to the config file; `:memory:` keeps nothing. */
  path: z.string().min(1).default('.manifold/manifold.db'),
  /** How many of the most recent workflow runs to keep; older ones are deleted when the store opens. */
  keepRuns: z.number().int().min(1).default(10_000)
});

export const configSchema = z.strictObject({
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
  /** Declared composite tools (docs/WORKFLOWS.md); more come from workflows/*.yaml beside the config. */
  workflows: workflowsSchema,
  store: storeOptionsSchema.prefault({})
});

export type ManifoldConfig = z.infer<typeof configSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type RemoteServerConfig = z.infer<typeof remoteServerSchema>;
export type GatewayOptions = z.infer<typeof gatewayOptionsSchema>;
export type StoreOptions = z.infer<typeof storeOptionsSchema>;

export function isStdioServer(server: ServerConfig): server is StdioServerConfig {
  return 'command' in server;
}

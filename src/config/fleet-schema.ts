import * as z from 'zod/v4';

import { durationSchema } from './duration.js';

/**
 * What an instance id may be: it leads session ids and is matched by a proxy's `map`, so plain: a DNS label (a
 * Kubernetes pod name fits, which is what examples/fleet/k8s gives each replica).
 */
export const instanceIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const redisUrlSchema = z
  .string()
  .refine(value => /^rediss?:\/\//.test(value), 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0');

/**
 * `redis:` (docs/FLEET.md "Redis: limits, cache, budgets, events"): the Redis that several gateway instances share
 * for rate limits, the result cache, budget counters and the event bus. A URL, or the URL with options.
 * The environment variable MANIFOLD_REDIS gives the URL when the config has no `redis:`.
 */
export const redisOptionsSchema = z
  .union([
    redisUrlSchema,
    z.strictObject({
      url: redisUrlSchema,
      /** Prefix of every key and channel, so two fleets (or a test) can share one Redis. */
      keyPrefix: z.string().min(1).default('manifold:'),
      /** How long a command may take before it counts as failed (the instance then falls back to local state). */
      commandTimeout: durationSchema.default(500),
      /** How long the start waits for the first connection before serving with local state. */
      connectTimeout: durationSchema.default(3000)
    })
  ])
  .transform(value =>
    typeof value === 'string' ? { url: value, keyPrefix: 'manifold:', commandTimeout: 500, connectTimeout: 3000 } : value
  );

/** `fleet:`: this instance among several (docs/FLEET.md). */
export const fleetOptionsSchema = z.strictObject({
  /**
   * This process's id among the instances; default: derived from the host name, the process id and its start
   * time. The environment variable MANIFOLD_INSTANCE_ID gives it when not set here. When set (here or by the
   * variable), every 2025 Streamable HTTP and legacy SSE session id starts with `<id>.`, so a load balancer routes
   * a session to the instance holding it by that prefix alone (examples/fleet/nginx.conf, docs/FLEET.md).
   */
  instanceId: z
    .string()
    .regex(instanceIdPattern, 'expected 1 to 63 lowercase letters, digits and "-" (not at either end), e.g. "gw-1"')
    .optional(),
  /**
   * On SIGTERM, answer /readyz 503 for this long before closing (a load balancer or Kubernetes stops sending new
   * work first; requests and sessions go on meanwhile). 0 (the default) closes at once.
   */
  drain: durationSchema.default(0),
  /**
   * Runs across instances (docs/FLEET.md "Runs across instances"): in fleet mode (an instance id is set, or the
   * store is PostgreSQL) each run is leased to the instance running it for this long, renewed every third of it;
   * when an instance dies its leases expire and another instance resumes its runs from their journal.
   */
  runLease: durationSchema.refine(value => value >= 300, 'expected at least 300ms, e.g. 6s').default(6000),
  /** Whether this instance leases its runs and adopts the runs of dead instances (fleet mode only); false: neither. */
  adoptRuns: z.boolean().default(true)
});

export type RedisOptions = z.infer<typeof redisOptionsSchema>;
export type FleetOptions = z.infer<typeof fleetOptionsSchema>;

/**
 * The fleet settings the environment gives when the config does not: MANIFOLD_REDIS (`redis:`) and
 * MANIFOLD_INSTANCE_ID (`fleet.instanceId`). Applied to the raw config before it is checked.
 */
export function applyFleetEnv(raw: Record<string, unknown>, env: Record<string, string | undefined>): void {
  if (raw.redis === undefined && env.MANIFOLD_REDIS) raw.redis = env.MANIFOLD_REDIS;
  const instanceId = env.MANIFOLD_INSTANCE_ID;
  if (instanceId) {
    const fleet = (raw.fleet ?? {}) as Record<string, unknown>;
    if (typeof fleet === 'object' && fleet.instanceId === undefined) raw.fleet = { ...fleet, instanceId };
  }
}

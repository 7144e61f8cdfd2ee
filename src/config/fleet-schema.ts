import { z } from 'zod';

import { durationSchema } from './duration.js';

/** An instance id: a short DNS-label-like name, so it can lead a session id and a load balancer can read it. */
export const instanceIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `fleet:`: what one instance of several behind a load balancer needs to know (docs/FLEET.md). */
export const fleetOptionsSchema = z.strictObject({
  /**
   * This instance's id (env `MANIFOLD_INSTANCE_ID` when absent). When set, every 2025 Streamable HTTP session id
   * and legacy SSE session id starts with `<id>.`, so a load balancer routes a session to the instance that
   * holds it by that prefix alone (examples/fleet/nginx.conf).
   */
  instanceId: z
    .string()
    .regex(instanceIdPattern, 'expected 1 to 63 lowercase letters, digits and "-" (not at either end), e.g. "gw-1"')
    .optional(),
  /**
   * On SIGTERM, answer /readyz 503 for this long before closing (a load balancer or Kubernetes stops sending new
   * work first; requests and sessions go on meanwhile). 0 (the default) closes at once.
   */
  drain: durationSchema.default(0)
});

export type FleetOptions = z.infer<typeof fleetOptionsSchema>;

/**
 * This instance's id: `fleet.instanceId`, else the environment's `MANIFOLD_INSTANCE_ID`, else none (one
 * instance: session ids carry no prefix). An environment value that is not a valid id is an error naming it.
 */
export function resolveInstanceId(fleet: FleetOptions | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (fleet?.instanceId) return fleet.instanceId;
  const fromEnv = env['MANIFOLD_INSTANCE_ID'];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  if (!instanceIdPattern.test(fromEnv)) {
    throw new Error(`MANIFOLD_INSTANCE_ID=${JSON.stringify(fromEnv)} is not an instance id: use 1 to 63 lowercase letters, digits and "-" (not at either end), e.g. "gw-1"`);
  }
  return fromEnv;
}

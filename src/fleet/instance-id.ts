import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's id among the gateway instances: the configured one (`fleet.instanceId`, or MANIFOLD_INSTANCE_ID
 * through the config), else 8 base-36 characters derived from the host name, the process id and the start time,
 * so a restarted process (even with the same pid) is a new instance. Session ids carry it (a proxy routes by it).
 */
export function resolveInstanceId(configured: string | undefined, now: number = Date.now()): string {
  if (configured !== undefined) return configured;
  const digest = createHash('sha256').update(`${hostname()}\u0000${process.pid}\u0000${now}`).digest();
  return BigInt(`0x${digest.subarray(0, 8).toString('hex')}`).toString(36).padStart(8, '0').slice(-8);
}

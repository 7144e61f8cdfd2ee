import { randomUUID } from 'node:crypto';

/**
 * A new session id: a random UUID, led by `<instanceId>.` when the gateway is one instance of a fleet, so a
 * load balancer routes the session's later requests to the instance that holds it by the prefix alone
 * (examples/fleet/nginx.conf). Visible ASCII only, as the Streamable HTTP transport requires.
 */
export function newSessionId(instanceId: string | undefined): string {
  return instanceId ? `${instanceId}.${randomUUID()}` : randomUUID();
}

/** The instance a session id names (its prefix), or undefined for an id without one. */
export function instanceOfSessionId(sessionId: string): string | undefined {
  const dot = sessionId.indexOf('.');
  return dot > 0 ? sessionId.slice(0, dot) : undefined;
}

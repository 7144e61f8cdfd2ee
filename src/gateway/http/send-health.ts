import type { ServerResponse } from 'node:http';

import type { GatewayCore } from '../gateway-core.js';
import { sendJson } from './http-responses.js';

/**
 * GET /healthz: `ok` when every server is ready, else `degraded`; with `detailed`, each server's state, the
 * number of tools and the result cache's counters when it is on (`cache`: per server, never per principal). A
 * gateway with `auth:` gives the details to authenticated callers only.
 */
export function sendHealth(core: GatewayCore, res: ServerResponse, detailed = true): void {
  const upstreams = [...core.upstreams.values()].map(upstream => ({ name: upstream.name, state: upstream.state.kind }));
  const ok = upstreams.every(upstream => upstream.state === 'ready');
  const status = ok ? 'ok' : 'degraded';
  sendJson(
    res,
    200,
    detailed ? { status, tools: core.catalog.tools.length, upstreams, ...(core.cache ? { cache: core.cache.stats() } : {}) } : { status }
  );
}

/**
 * GET /readyz: whether this instance takes new work, for a load balancer or a Kubernetes readiness probe. 200
 * `{"status":"ready"}` once it listens (its servers have had their first connect attempt: `serve` listens after
 * that); 503 `{"status":"draining"}` once it is shutting down or was told to drain (SIGTERM with `fleet.drain`),
 * while it still answers the requests and sessions it has. Open without a credential, like /healthz, and it says
 * nothing about the servers (that is /healthz, which stays 200 while the process lives: a liveness probe).
 */
export function sendReady(res: ServerResponse, state: { instanceId: string | undefined; draining: boolean }): void {
  const body = { status: state.draining ? 'draining' : 'ready', ...(state.instanceId ? { instance: state.instanceId } : {}) };
  sendJson(res, state.draining ? 503 : 200, body);
}

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

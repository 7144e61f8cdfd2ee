import type { ServerResponse } from 'node:http';

import type { GatewayCore } from '../gateway-core.js';
import { sendJson } from './http-responses.js';

/**
 * GET /healthz: `ok` when every server is ready, else `degraded`, with each server's state, and the result
 * cache's counters when it is on (`cache`: per server, never per principal).
 */
export function sendHealth(core: GatewayCore, res: ServerResponse): void {
  const upstreams = [...core.upstreams.values()].map(upstream => ({ name: upstream.name, state: upstream.state.kind }));
  const ok = upstreams.every(upstream => upstream.state === 'ready');
  sendJson(res, 200, { status: ok ? 'ok' : 'degraded', tools: core.catalog.tools.length, upstreams, ...(core.cache ? { cache: core.cache.stats() } : {}) });
}

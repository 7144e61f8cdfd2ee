import type { GatewayCore } from '../gateway-core.js';
import { hasView } from '../views.js';

/** Where a request goes, from its method and path. */
export type Route =
  | { kind: 'health' }
  /** /mcp or /mcp/<view> ('' for /mcp). */
  | { kind: 'mcp'; viewName: string }
  /** GET /sse or /sse/<view>: a legacy HTTP+SSE stream. */
  | { kind: 'sse'; viewName: string }
  /** POST /messages?sessionId=: a message of a legacy HTTP+SSE session. */
  | { kind: 'messages' }
  | { kind: 'not-found'; message: string };

/** The route of a request: the endpoint, and the view it names if that view exists. */
export function routeRequest(core: GatewayCore, method: string | undefined, pathname: string): Route {
  if (pathname === '/healthz' && method === 'GET') return { kind: 'health' };
  if (pathname === '/messages') return { kind: 'messages' };
  const sse = /^\/sse(?:\/([^/]+))?\/?$/.exec(pathname);
  const endpoint = sse ?? /^\/mcp(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!endpoint) {
    return { kind: 'not-found', message: `not found: ${pathname} (the MCP endpoint is /mcp or /mcp/<view>; legacy SSE clients use /sse or /sse/<view>)` };
  }
  const viewName = endpoint[1] === undefined ? '' : decodeURIComponent(endpoint[1]);
  if (viewName !== '' && !hasView(core, viewName)) return { kind: 'not-found', message: `no view "${viewName}" (declare it under views: in the config)` };
  return { kind: sse ? 'sse' : 'mcp', viewName };
}

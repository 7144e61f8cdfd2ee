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
  | { kind: 'messages'; url: URL }
  /** 400: a request target that is not a path (malformed percent-encoding). */
  | { kind: 'bad-request'; message: string }
  | { kind: 'not-found'; message: string };

/**
 * The route of a request (once past the request guard): the endpoint, and the view it names if that view
 * exists.
 */
export function routeRequest(core: GatewayCore, method: string | undefined, target: string | undefined): Route {
  let url: URL;
  try {
    url = new URL(target ?? '/', 'http://localhost');
  } catch {
    return { kind: 'bad-request', message: `the request target ${JSON.stringify(target)} is not a path` };
  }
  const pathname = url.pathname;
  if (pathname === '/healthz' && method === 'GET') return { kind: 'health' };
  if (pathname === '/messages') return { kind: 'messages', url };
  const sse = /^\/sse(?:\/([^/]+))?\/?$/.exec(pathname);
  const endpoint = sse ?? /^\/mcp(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!endpoint) {
    return { kind: 'not-found', message: `not found: ${pathname} (the MCP endpoint is /mcp or /mcp/<view>; legacy SSE clients use /sse or /sse/<view>)` };
  }
  let viewName = '';
  if (endpoint[1] !== undefined) {
    try {
      viewName = decodeURIComponent(endpoint[1]);
    } catch {
      return { kind: 'bad-request', message: `malformed path ${pathname}: "${endpoint[1]}" is not valid percent-encoding (a view name is UTF-8, each byte %XX)` };
    }
  }
  if (viewName !== '' && !hasView(core, viewName)) return { kind: 'not-found', message: `no view "${viewName}" (declare it under views: in the config)` };
  return { kind: sse ? 'sse' : 'mcp', viewName };
}

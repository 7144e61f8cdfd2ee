import type { GatewayCore } from '../gateway-core.js';
import { hasView } from '../views.js';
import { type Endpoint, metadataEndpointOf } from './protected-resource.js';

/** Where a request goes, from its method and path. */
export type Route =
  | { kind: 'health' }
  /** GET /readyz: whether this instance takes new work (a load balancer's readiness probe). */
  | { kind: 'ready' }
  /** GET `metrics.path` (/metrics): the Prometheus text format. */
  | { kind: 'metrics' }
  /** /mcp or /mcp/<view> ('' for /mcp). */
  | { kind: 'mcp'; viewName: string }
  /** GET /sse or /sse/<view>: a legacy HTTP+SSE stream. */
  | { kind: 'sse'; viewName: string }
  /** POST /messages?sessionId=: a message of a legacy HTTP+SSE session. */
  | { kind: 'messages'; url: URL }
  /** 400: a request target that is not a path (malformed percent-encoding). */
  | { kind: 'bad-request'; message: string }
  /** GET /.well-known/oauth-protected-resource[/mcp[/<view>]] (RFC 9728), served without a credential. */
  | { kind: 'resource-metadata'; endpoint: Endpoint }
  /** /mcp/<view> or /sse/<view> of a view the config does not declare (answered 404 once the caller is authenticated). */
  | { kind: 'unknown-view'; endpoint: Endpoint; message: string }
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
  if (pathname === '/readyz' && method === 'GET') return { kind: 'ready' };
  if (core.metrics && pathname === core.config.metrics.path && method === 'GET') return { kind: 'metrics' };
  if (pathname === '/messages') return { kind: 'messages', url };
  if (pathname.startsWith('/.well-known/oauth-protected-resource') && method === 'GET') {
    const endpoint = metadataEndpointOf(pathname);
    if (endpoint) return { kind: 'resource-metadata', endpoint };
  }
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
  const face = sse ? 'sse' : 'mcp';
  if (viewName !== '' && !hasView(core, viewName)) return { kind: 'unknown-view', endpoint: { face, viewName }, message: unknownViewMessage(viewName) };
  return { kind: face, viewName };
}

/** The 404 of a view that does not exist, and of one the caller's credential does not reach (the same words). */
export function unknownViewMessage(viewName: string): string {
  return `no view "${viewName}" (declare it under views: in the config)`;
}

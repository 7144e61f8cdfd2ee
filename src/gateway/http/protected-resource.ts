import type { IncomingMessage, ServerResponse } from 'node:http';

import type { JwtAuthConfig } from '../../config/index.js';
import { header } from './read-json-body.js';

/** An endpoint a credential is checked for: `/mcp[/<view>]` or `/sse[/<view>]`; `viewName` '' for the bare one. */
export interface Endpoint {
  face: 'mcp' | 'sse';
  viewName: string;
}

const wellKnown = '/.well-known/oauth-protected-resource';

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/**
 * The public URL of /mcp as configured (`auth.jwt.resource`, else the first `audience` that is an http(s)
 * URL), or undefined when only the request can tell (its Host).
 */
function configuredBase(jwt: JwtAuthConfig): URL | undefined {
  const value = jwt.resource ?? jwt.audience.find(isHttpUrl);
  return value === undefined ? undefined : new URL(value);
}

/** The URL of an endpoint (RFC 8707 resource identifier): the configured /mcp URL's origin and prefix, else the request's Host. */
export function resourceOf(jwt: JwtAuthConfig, req: IncomingMessage | undefined, endpoint: Endpoint): string | undefined {
  const base = configuredBase(jwt);
  let origin: string;
  let prefix = '';
  if (base) {
    origin = base.origin;
    prefix = base.pathname.replace(/\/+$/, '').replace(/\/mcp$/, '');
  } else {
    const host = req ? header(req, 'host') : undefined;
    if (host === undefined) return undefined;
    origin = `http://${host}`;
  }
  return `${origin}${prefix}/${endpoint.face}${endpoint.viewName === '' ? '' : `/${encodeURIComponent(endpoint.viewName)}`}`;
}

/** Where an endpoint's RFC 9728 metadata is: the well-known path inserted before the resource's path. */
export function metadataUrlOf(jwt: JwtAuthConfig, req: IncomingMessage, endpoint: Endpoint | undefined): string | undefined {
  const resource = resourceOf(jwt, req, endpoint ?? { face: 'mcp', viewName: '' });
  if (resource === undefined) return undefined;
  const url = new URL(resource);
  return `${url.origin}${wellKnown}${endpoint ? url.pathname : ''}`;
}

/**
 * The audiences a token may carry at an endpoint: the configured ones (the gateway as one resource server), and
 * the endpoint's own URL when the configuration gives it (RFC 8707: a token asked for `/mcp/<view>`). Never
 * derived from the request's Host, which the caller chooses.
 */
export function audiencesOf(jwt: JwtAuthConfig, endpoint: Endpoint | undefined): string[] {
  const own = endpoint && configuredBase(jwt) ? resourceOf(jwt, undefined, endpoint) : undefined;
  return own === undefined || jwt.audience.includes(own) ? jwt.audience : [...jwt.audience, own];
}

/**
 * The endpoint a well-known path describes: `/.well-known/oauth-protected-resource` (the whole catalog, /mcp),
 * or with `/mcp[/<view>]` or `/sse[/<view>]` after it. Undefined: not such a path.
 */
export function metadataEndpointOf(pathname: string): Endpoint | undefined {
  if (pathname === wellKnown || pathname === `${wellKnown}/`) return { face: 'mcp', viewName: '' };
  if (!pathname.startsWith(`${wellKnown}/`)) return undefined;
  const match = /^\/(mcp|sse)(?:\/([^/]+))?\/?$/.exec(pathname.slice(wellKnown.length));
  if (!match) return undefined;
  let viewName = '';
  try {
    viewName = match[2] === undefined ? '' : decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
  return { face: match[1] as 'mcp' | 'sse', viewName };
}

/**
 * GET of an RFC 9728 protected-resource metadata document. It is answered for any view name, declared or not,
 * so that it does not tell an unauthenticated caller which views exist.
 */
export function sendResourceMetadata(jwt: JwtAuthConfig, req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
  const document = {
    resource: resourceOf(jwt, req, endpoint),
    authorization_servers: [jwt.issuer],
    ...(jwt.scopes.length > 0 ? { scopes_supported: jwt.scopes } : {}),
    bearer_methods_supported: ['header'],
    resource_name: endpoint.viewName === '' ? 'Manifold MCP gateway' : `Manifold MCP gateway, view ${endpoint.viewName}`
  };
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
  res.end(JSON.stringify(document));
}

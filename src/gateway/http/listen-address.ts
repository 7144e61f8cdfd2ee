import { type AddressInfo, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Where the HTTP face listens, as a person starting it needs to read it. */
export interface ListenAddress {
  /** The address bound, as given to listen() and reported by the socket (e.g. `0.0.0.0`, `127.0.0.1`, `::`). */
  address: string;
  port: number;
  /** Bound to every interface (`0.0.0.0` or `::`). */
  allInterfaces: boolean;
  /** Reachable only from this machine (a loopback address). */
  loopbackOnly: boolean;
  /** The /mcp URL for a client on this machine (loopback when bound to every interface). */
  url: string;
  /** Every /mcp URL it answers at: for all interfaces, loopback and each interface's address. */
  urls: string[];
}

function urlFor(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost';
}

/** Whether a host to bind is a loopback address or `localhost` (the only binds allowed without `auth:`). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  return (isIP(bare) === 4 && bare.startsWith('127.')) || (isIP(bare) === 6 && /^::ffff:127\./.test(bare));
}

/** The listen address of a bound server socket, with the URLs clients can use. */
export function toListenAddress(info: AddressInfo): ListenAddress {
  const allInterfaces = info.address === '0.0.0.0' || info.address === '::';
  const loopbackOnly = isLoopback(info.address);
  const url = urlFor(allInterfaces ? '127.0.0.1' : info.address, info.port);
  if (!allInterfaces) return { address: info.address, port: info.port, allInterfaces, loopbackOnly, url, urls: [url] };
  const urls = [url];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const candidate of addresses ?? []) {
      // `::` also accepts IPv4; `0.0.0.0` only IPv4. Link-local IPv6 needs a zone id no URL carries well: left out.
      if (candidate.internal || candidate.address.startsWith('fe80:')) continue;
      if (info.address === '0.0.0.0' && candidate.family !== 'IPv4') continue;
      urls.push(urlFor(candidate.address, info.port));
    }
  }
  return { address: info.address, port: info.port, allInterfaces, loopbackOnly, url, urls };
}

/**
 * What `manifold serve --http` prints about where it listens: the first line names the URL (scripts wait for
 * "serving MCP at <url>"); beyond loopback, the other addresses it answers at, that nothing authenticates the
 * callers, and which Host names are accepted (the key to add more).
 */
export function describeListenAddress(
  listen: ListenAddress,
  allowedHosts: readonly string[],
  access: 'loopback-only' | 'open' | 'authenticated' = 'open'
): { info: string[]; warnings: string[] } {
  const others = listen.urls.filter(url => url !== listen.url);
  const where = listen.allInterfaces
    ? ` (bound to ${listen.address}: all interfaces${others.length > 0 ? `; also ${others.join(', ')}` : ''})`
    : '';
  const info = [`serving MCP at ${listen.url}${where}`];
  if (access === 'loopback-only') info.push('no "auth:" in the config: bound to loopback only, so only this machine can connect (add "auth:" to serve beyond it, docs/SECURITY.md)');
  if (access === 'authenticated') info.push('callers authenticate (auth: in the config); /healthz and /.well-known/oauth-protected-resource answer without a credential');
  if (listen.loopbackOnly) return { info, warnings: [] };
  const accepted = allowedHosts.includes('*') ? 'any Host (allowedHosts: "*")' : `Host localhost, 127.0.0.1, [::1]${allowedHosts.length > 0 ? `, ${allowedHosts.join(', ')}` : ''}`;
  const warnings = [
    ...(access === 'authenticated' ? [] : [`this endpoint is reachable beyond this machine (${listen.address}:${listen.port}) and has no authentication ("auth: none"): anyone who can reach it can call every tool of every server`]),
    `requests are accepted only with ${accepted}; a client reaching it by another name or address gets 403 until that name is added to gateway.http.allowedHosts in the config`
  ];
  return { info, warnings };
}

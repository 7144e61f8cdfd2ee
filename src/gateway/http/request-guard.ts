import type { IncomingMessage, ServerResponse } from 'node:http';

import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';

import { sendJsonRpcError } from './http-responses.js';

const localhostNames = ['localhost', '127.0.0.1', '[::1]', '::1'];

export interface RequestGuardOptions {
  /** Host header values accepted besides localhost. `*` accepts any (only behind a trusted proxy). */
  allowedHosts?: string[];
  /** Origin hostnames accepted besides localhost. */
  allowedOrigins?: string[];
}

/**
 * The HTTP face's security checks, in one place that every request passes before anything else (routing,
 * /healthz, view names): the Host header and the Origin header against localhost and what the config allows
 * (DNS-rebinding protection). Returns whether the request may go on; when it may not, it has been answered
 * 403 with the config key that would admit it.
 */
export function createRequestGuard(options: RequestGuardOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const anyHost = options.allowedHosts?.includes('*') ?? false;
  const hosts = [...localhostNames, ...(options.allowedHosts ?? [])];
  const origins = [...localhostNames, ...(options.allowedOrigins ?? [])];
  return (req, res) => {
    if (!anyHost) {
      const host = validateHostHeader(req.headers.host, hosts);
      if (!host.ok) {
        const name = host.hostname ?? host.hostHeader;
        const admit = name ? `add "${name}" to gateway.http.allowedHosts in the config` : 'send a Host header';
        sendJsonRpcError(res, 403, -32000, `${host.message}: this gateway answers requests addressed to localhost or to a name in gateway.http.allowedHosts (DNS-rebinding protection); to reach it by this name, ${admit}`);
        return false;
      }
    }
    const origin = validateOriginHeader(req.headers.origin, origins);
    if (!origin.ok) {
      const name = origin.hostname ?? origin.originHeader;
      sendJsonRpcError(res, 403, -32000, `${origin.message}: browser pages may call this gateway only from localhost or an origin in gateway.http.allowedOrigins (DNS-rebinding protection); to allow this page, add "${name ?? ''}" to gateway.http.allowedOrigins in the config`);
      return false;
    }
    return true;
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';

import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/node';

const localhostNames = ['localhost', '127.0.0.1', '[::1]', '::1'];

export interface RequestGuardOptions {
  /** Host header values accepted besides localhost. `*` accepts any (only behind a trusted proxy). */
  allowedHosts?: string[];
  /** Origin hostnames accepted besides localhost. */
  allowedOrigins?: string[];
}

/**
 * The HTTP face's security checks, in one place: the Host header and the Origin header (DNS-rebinding
 * protection) against localhost and what the config allows. Returns whether the request may go on; when it
 * may not, it has been answered (403).
 */
export function createRequestGuard(options: RequestGuardOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const anyHost = options.allowedHosts?.includes('*') ?? false;
  const checkHost = hostHeaderValidation([...localhostNames, ...(options.allowedHosts ?? [])]);
  const checkOrigin = originValidation([...localhostNames, ...(options.allowedOrigins ?? [])]);
  return (req, res) => (anyHost || checkHost(req, res)) && checkOrigin(req, res);
}

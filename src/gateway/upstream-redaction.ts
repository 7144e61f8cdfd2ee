import type { ManifoldConfig } from '../config/index.js';
import type { GatewayRequest, Middleware } from '../core/pipeline.js';
import { createRedactionMiddleware, defaultRedactor, type Redactor, type RedactModes } from '../redaction/index.js';

/**
 * The redaction stage of config `redact:` (docs/SECURITY.md "Redaction"): each server's `servers.<name>.redact`, else
 * `security.redact`. Undefined when no server has a mode on (the stage is left out of the pipeline).
 */
export function upstreamRedaction(
  config: ManifoldConfig,
  serverOf: (request: GatewayRequest) => string | null,
  redactor: Redactor = defaultRedactor
): Middleware | undefined {
  const fallback: RedactModes = config.security.redact;
  const on = (modes: RedactModes) => modes.results || modes.arguments || modes.block;
  const servers = Object.entries(config.servers).filter(([, server]) => server.enabled);
  if (!on(fallback) && !servers.some(([, server]) => server.redact && on(server.redact))) return undefined;
  const own = (request: GatewayRequest): string | undefined => {
    let server: string | null;
    try {
      server = serverOf(request);
    } catch {
      server = null;
    }
    return server !== null && config.servers[server]?.redact ? server : undefined;
  };
  return createRedactionMiddleware({
    redactor,
    modesOf: request => {
      const server = own(request);
      return server ? (config.servers[server]?.redact ?? fallback) : fallback;
    },
    configKeyOf: request => {
      const server = own(request);
      return server ? `servers.${server}.redact` : 'security.redact';
    }
  });
}

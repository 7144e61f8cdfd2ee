import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';

import { errorMessage } from '../../core/errors.js';
import type { CatalogView } from '../../discovery/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { createDownstreamServer } from '../create-downstream-server.js';
import type { GatewayCore } from '../gateway-core.js';
import { resolveServedView } from '../views.js';
import { principalOfAuthInfo } from './serve-modern-request.js';
import { visibleNotifier } from '../visible-lists.js';
import { type Principal, principalOf } from '../../core/principal.js';

/** The stateless 2026-07-28 handler of one endpoint, with the view it serves (undefined: the whole catalog). */
export interface ModernEndpoint {
  handler: McpHttpHandler;
  view: CatalogView | undefined;
}

/**
 * One stateless SDK handler per endpoint: /mcp, and /mcp/<view> for each view asked for (config `views:`),
 * made on first use and kept, each told of list changes through the session registry's notifiers.
 */
export class ModernEndpoints {
  private readonly endpoints = new Map<string, ModernEndpoint & { removeNotifier: () => void }>();

  constructor(
    private readonly core: GatewayCore,
    private readonly logger: Logger
  ) {}

  /**
   * The endpoint of a view ('' for /mcp), for a principal: without one, the local user's (one handler per view).
   * With one, a handler of its own per view and principal (by kind and name: a bearer token's every renewal is
   * the same principal, so the handlers stay as many as the callers), whose listen streams hear only of changes
   * to what it may see (config `rules:`); each request runs as the principal its own credential established.
   */
  for(viewName: string, principal?: Principal): ModernEndpoint {
    const key = principal ? `${viewName}\0${principal.kind}:${principal.name}` : viewName;
    let entry = this.endpoints.get(key);
    if (!entry) {
      const view = resolveServedView(this.core, viewName === '' ? undefined : viewName);
      // Each request runs as the principal on its AuthInfo (the SDK's per-request input: a token's claims as they are
      // now), one server per request; the handler's own principal decides what its listen streams hear of.
      const handler = createMcpHandler(
        context => {
          const caller = principalOfAuthInfo(context.authInfo) ?? principal;
          return createDownstreamServer(this.core, { session: false, view, ...(caller ? { principal: caller } : {}) }).server;
        },
        {
          legacy: 'reject',
          onerror: error => this.logger.debug(`modern handler: ${errorMessage(error)}`)
        }
      );
      const notifier = visibleNotifier(this.core, view, principalOf({ principal }), handler.notify);
      entry = { handler, view, removeNotifier: this.core.sessions.addNotifier(notifier) };
      this.endpoints.set(key, entry);
    }
    return entry;
  }

  /** Stops notifying the handlers (first, at shutdown) ... */
  stopNotifying(): void {
    for (const entry of this.endpoints.values()) entry.removeNotifier();
  }

  /** ... and closes them once requests in flight are done. */
  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map(entry => entry.handler.close().catch(() => {})));
  }
}

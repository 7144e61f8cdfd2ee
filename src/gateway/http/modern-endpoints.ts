import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';

import { errorMessage } from '../../core/errors.js';
import type { CatalogView } from '../../discovery/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { createDownstreamServer } from '../create-downstream-server.js';
import type { GatewayCore } from '../gateway-core.js';
import { resolveServedView } from '../views.js';
import { principalOfAuthInfo } from './serve-modern-request.js';

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

  /** The endpoint of a view ('' for /mcp). */
  for(viewName: string): ModernEndpoint {
    let entry = this.endpoints.get(viewName);
    if (!entry) {
      const view = resolveServedView(this.core, viewName === '' ? undefined : viewName);
      // The principal rides on the request's AuthInfo (the SDK's per-request input), one server per request.
      const handler = createMcpHandler(context => createDownstreamServer(this.core, { session: false, view, principal: principalOfAuthInfo(context.authInfo) }).server, {
        legacy: 'reject',
        onerror: error => this.logger.debug(`modern handler: ${errorMessage(error)}`)
      });
      entry = { handler, view, removeNotifier: this.core.sessions.addNotifier(handler.notify) };
      this.endpoints.set(viewName, entry);
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

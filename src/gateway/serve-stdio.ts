import { serveStdio as sdkServeStdio } from '@modelcontextprotocol/server/stdio';

import { errorMessage } from '../core/errors.js';
import { createDownstreamServer } from './create-downstream-server.js';
import type { GatewayCore } from './gateway-core.js';
import { resolveServedView } from './views.js';

export interface StdioGateway {
  /** Resolves when the client closed the connection (stdin ended). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the gateway to one client over this process's stdin/stdout (both protocol eras), as the named
 * view (config `views:`) or, without one, as `views.default` or the whole catalog.
 */
export function serveStdio(core: GatewayCore, options: { view?: string } = {}): StdioGateway {
  const logger = core.logger.child('stdio');
  const view = resolveServedView(core, options.view);
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>(resolve => (resolveClosed = resolve));
  let sessionId: string | undefined;
  const handle = sdkServeStdio(
    () => {
      const { server, session } = createDownstreamServer(core, { session: true, view });
      if (session) {
        sessionId = session.id;
        core.sessions.add(session);
      }
      server.onclose = () => {
        if (sessionId) core.sessions.remove(sessionId);
        resolveClosed();
      };
      return server;
    },
    { onerror: error => logger.debug(errorMessage(error)) }
  );
  const stdin = process.stdin;
  stdin.once('end', () => resolveClosed());
  stdin.once('close', () => resolveClosed());
  return {
    closed,
    close: async () => {
      await handle.close().catch(() => {});
      resolveClosed();
    }
  };
}

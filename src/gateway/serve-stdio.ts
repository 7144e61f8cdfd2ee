import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import { serveStdio as sdkServeStdio } from '@modelcontextprotocol/server/stdio';

import { errorMessage } from '../core/errors.js';
import { createDownstreamServer } from './create-downstream-server.js';
import { followListenedResources, type Following } from './follow-listened-resources.js';
import type { GatewayCore } from './gateway-core.js';
import { StdioLineTransport } from './stdio-line-transport.js';
import { resolveServedView } from './views.js';

export interface StdioGateway {
  /** Resolves when the client closed the connection (stdin ended). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export interface ServeStdioOptions {
  /** The view to serve (config `views:`); default `views.default` or the whole catalog. */
  view?: string;
  /** The longest line accepted; default: the config's gateway.maxMessageBytes. */
  maxMessageBytes?: number;
}

/**
 * Serves the gateway to one client over this process's stdin/stdout (both protocol eras), as the named
 * view (config `views:`) or, without one, as `views.default` or the whole catalog. The SDK's serveStdio pins
 * the era; the wire under it is the gateway's own StdioLineTransport (the one reader of stdin).
 */
export function serveStdio(core: GatewayCore, options: ServeStdioOptions = {}): StdioGateway {
  const logger = core.logger.child('stdio');
  const view = resolveServedView(core, options.view);
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>(resolve => (resolveClosed = resolve));
  const listens = new ListenFollowing(core);
  const transport = new StdioLineTransport({
    maxMessageBytes: options.maxMessageBytes ?? core.config.gateway.maxMessageBytes,
    logger,
    oninbound: message => listens.see(message),
    onend: () => resolveClosed()
  });
  void closed.then(() => listens.stopAll());
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
    { transport, onerror: error => logger.debug(errorMessage(error)) }
  );
  return {
    closed,
    close: async () => {
      await handle.close().catch(() => {});
      resolveClosed();
    }
  };
}

/**
 * The 2026-07-28 listens of the stdio connection that ask for resource updates (the SDK's entry serves them):
 * each is followed upstream from its request until it is cancelled or the connection ends.
 */
class ListenFollowing {
  private readonly listens = new Map<RequestId, Following>();

  constructor(private readonly core: GatewayCore) {}

  see(message: JSONRPCMessage): void {
    const inbound = message as { method?: string; id?: RequestId; params?: { requestId?: unknown } };
    if (inbound.method === 'notifications/cancelled') {
      const id = inbound.params?.requestId;
      if (typeof id !== 'string' && typeof id !== 'number') return;
      this.listens.get(id)?.();
      this.listens.delete(id);
      return;
    }
    if (inbound.id === undefined) return;
    const following = followListenedResources(this.core, message);
    if (following) this.listens.set(inbound.id, following);
  }

  stopAll(): void {
    for (const stop of this.listens.values()) stop();
    this.listens.clear();
  }
}

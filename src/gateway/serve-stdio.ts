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
  const stopFollowing = followListenedResources(core, stdin);
  void closed.then(stopFollowing);
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

/**
 * A 2026-07-28 `subscriptions/listen` that asks for resource updates is served by the SDK; the gateway reads
 * the same stdin to follow those resources upstream while the listen is open (as serve-http does per stream).
 * Returns the function that stops following all of them.
 */
function followListenedResources(core: GatewayCore, stdin: NodeJS.ReadableStream): () => void {
  const listens = new Map<string | number, () => void>();
  let buffered = '';
  const onLine = (line: string) => {
    if (!line.includes('subscriptions/listen') && !line.includes('notifications/cancelled')) return;
    let message: { method?: unknown; id?: unknown; params?: { requestId?: unknown; notifications?: { resourceSubscriptions?: unknown } } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.method === 'subscriptions/listen' && (typeof message.id === 'string' || typeof message.id === 'number')) {
      const uris = message.params?.notifications?.resourceSubscriptions;
      if (Array.isArray(uris)) listens.set(message.id, core.sessions.followResources(uris.filter((uri): uri is string => typeof uri === 'string')));
    } else if (message.method === 'notifications/cancelled') {
      const id = message.params?.requestId;
      if (typeof id !== 'string' && typeof id !== 'number') return;
      listens.get(id)?.();
      listens.delete(id);
    }
  };
  const onData = (chunk: Buffer | string) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    for (const stop of listens.values()) stop();
    listens.clear();
  };
}

import type { Client, LoggingMessageNotificationParams, RequestOptions, Tool } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import type { Logger } from '../telemetry/logger.js';
import { paramHeadersFor } from './mirror-param-headers.js';
import { connectionLossOf, mayResend } from './resend-policy.js';
import { isSessionExpired, translateUpstreamError } from './translate-error.js';

/** What forwarding needs from the connection. */
export interface ForwardingHost {
  server(): string;
  defaultTimeoutMs(): number;
  logger(): Logger;
  /** Waits until ready (see UpstreamConnection.ready); `lost`: a session a request was just lost with. */
  ready(timeoutMs: number, signal: AbortSignal | undefined, lost?: Client): Promise<Client>;
  /** Whether this client is still the live session. */
  isCurrent(client: Client): boolean;
  /** The tools as the server last listed them. */
  tools(): readonly Tool[];
  /** Whether tools/call on this client carries SEP-2243 `Mcp-Param-*` headers. */
  mirrorsParams(client: Client): boolean;
  /** A client of its own for one request, where the server's protocol allows it (see isolated-client.ts). */
  openIsolatedClient(shared: Client, onLog: (params: LoggingMessageNotificationParams) => void): Promise<Client | undefined>;
  reconnectNow(): Promise<void>;
}

export type ForwardOptions = RequestOptions & {
  /** What was asked, for errors (e.g. `tool "echo"`). */
  describe: string;
  onLog?: (params: LoggingMessageNotificationParams) => void;
  /**
   * For a tools/call: whether the tool is harmless to run twice, as the caller knows its annotations (the
   * gateway's catalog, with the config's corrections). Absent: the annotations the server lists.
   */
  resendable?: boolean;
};

/**
 * Sends one request upstream and returns the raw result, within the call's timeout (which covers any wait
 * for a restart too). A call that arrives while the server restarts waits for it; an expired HTTP session
 * is re-initialised and the request sent once more; a request lost with its connection is sent once more
 * after the restart only where that is harmless (see resend-policy.ts), else it fails saying it may have run.
 */
export async function forwardRequest(host: ForwardingHost, method: string, params: Record<string, unknown>, options: ForwardOptions): Promise<Record<string, unknown>> {
  const { onLog, resendable, ...requestOptions } = options;
  const server = host.server();
  const timeout = options.timeout ?? host.defaultTimeoutMs();
  const started = Date.now();
  const remaining = () => Math.max(1, timeout - (Date.now() - started));
  const client = await host.ready(timeout, options.signal);
  const headers = method === 'tools/call' && host.mirrorsParams(client) ? paramHeadersFor(host.tools(), params) : undefined;
  const sendOptions = () => ({ ...requestOptions, timeout: remaining(), ...(headers ? { headers } : {}) });
  const isolated = onLog ? await host.openIsolatedClient(client, onLog) : undefined;
  if (isolated) {
    try {
      return await isolated.request({ method, params }, ResultSchema, sendOptions());
    } catch (error) {
      throw translateUpstreamError(error, server, options.describe, timeout);
    } finally {
      void isolated.close().catch(() => {});
    }
  }
  try {
    return await client.request({ method, params }, ResultSchema, sendOptions());
  } catch (error) {
    if (isSessionExpired(error) && host.isCurrent(client)) {
      host.logger().info('HTTP session expired; re-initialising');
      await host.reconnectNow();
      const fresh = await host.ready(remaining(), options.signal);
      try {
        return await fresh.request({ method, params }, ResultSchema, sendOptions());
      } catch (retryError) {
        throw translateUpstreamError(retryError, server, options.describe, timeout);
      }
    }
    const loss = connectionLossOf(error);
    if (loss === undefined || options.signal?.aborted) throw translateUpstreamError(error, server, options.describe, timeout);
    if (!mayResend(method, params, host.tools(), loss, resendable)) throw translateUpstreamError(error, server, options.describe, timeout, 'not-allowed');
    // Lost with the connection, and harmless to send twice: once more, when the server is back.
    host.logger().info(`${options.describe}: lost with the connection; sending it again once the server is back`);
    const fresh = await host.ready(remaining(), options.signal, client);
    try {
      return await fresh.request({ method, params }, ResultSchema, sendOptions());
    } catch (retryError) {
      throw translateUpstreamError(retryError, server, options.describe, timeout, connectionLossOf(retryError) ? 'failed-again' : undefined);
    }
  }
}

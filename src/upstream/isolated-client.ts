import type { Client, LoggingMessageNotificationParams, PriorDiscovery } from '@modelcontextprotocol/client';

import { isStdioServer, type ServerConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { createRemoteTransport, type RemoteKind } from './create-transport.js';
import { withUniqueRequestIds } from './unique-request-ids.js';

export interface IsolatedClientOptions {
  config: ServerConfig;
  remoteKind: RemoteKind | undefined;
  verdict: PriorDiscovery | undefined;
  logger: Logger;
  fetch?: typeof fetch | undefined;
  newClient(): Client;
  /** Request ids unique across the per-request clients of one connection. */
  nextRequestId(): number;
}

/**
 * A client of its own for one request to a 2026-07-28 server over HTTP, adopting the cached discover result
 * (no round trip). Notifications on that request's response stream (log messages carry no request id) then
 * belong to it alone. Undefined where that cannot be done (stdio, 2025 servers): the shared session is used.
 */
export async function openIsolatedClient(
  shared: Client,
  onLog: (params: LoggingMessageNotificationParams) => void,
  options: IsolatedClientOptions
): Promise<Client | undefined> {
  const { config, verdict } = options;
  if (isStdioServer(config) || options.remoteKind !== 'http' || shared.getProtocolEra() !== 'modern' || verdict?.kind !== 'modern') return undefined;
  const client = options.newClient();
  client.setNotificationHandler('notifications/message', notification => onLog(notification.params));
  client.setVersionNegotiation({ mode: 'auto' });
  try {
    const transport = withUniqueRequestIds(createRemoteTransport(config, 'http', options.fetch), () => options.nextRequestId());
    await client.connect(transport, { prior: verdict });
    return client;
  } catch (error) {
    options.logger.debug(`could not open a per-request client (${errorMessage(error)}); using the shared one`);
    await client.close().catch(() => {});
    return undefined;
  }
}

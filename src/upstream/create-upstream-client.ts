import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';

import { ManifoldError } from '../core/errors.js';
import type { ListKind, ServerRequestMethod, UpstreamRelay } from './upstream-types.js';

/** What the gateway's upstream client declares: it relays these to the downstream client. */
const relayedCapabilities: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true }
};

export interface UpstreamClientOptions {
  /** The server's name, as the relay knows it. */
  server: string;
  clientInfo?: { name: string; version: string };
  relay?: UpstreamRelay;
  /** A list_changed notification arrived on this client. */
  onListChanged(client: Client, kind: ListKind): void;
}

/**
 * An SDK client for one upstream session: raw results (no caching, no paging of its own), and everything the
 * server sends on its own (sampling, elicitation, roots requests; logs, resource updates) handed to the relay.
 */
export function createUpstreamClient(options: UpstreamClientOptions): Client {
  const client = new Client(options.clientInfo ?? { name: 'manifold', version: '0.1.0' }, {
    capabilities: relayedCapabilities,
    inputRequired: { autoFulfill: false },
    defaultCacheTtlMs: 0,
    listMaxPages: 0
  });
  const { relay, server } = options;
  const forward = (method: ServerRequestMethod) =>
    async (request: { params?: Record<string, unknown> }, ctx: { mcpReq: { signal: AbortSignal } }) => {
      if (!relay) throw new ManifoldError('METHOD_NOT_SUPPORTED', `${method} is not relayed in this context`);
      return relay.onServerRequest(server, method, request.params ?? {}, ctx.mcpReq.signal);
    };
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- the relay returns raw results, validated by the SDK */
  client.setRequestHandler('sampling/createMessage', forward('sampling/createMessage') as any);
  client.setRequestHandler('elicitation/create', forward('elicitation/create') as any);
  client.setRequestHandler('roots/list', forward('roots/list') as any);
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
  client.setNotificationHandler('notifications/tools/list_changed', () => options.onListChanged(client, 'tools'));
  client.setNotificationHandler('notifications/prompts/list_changed', () => options.onListChanged(client, 'prompts'));
  client.setNotificationHandler('notifications/resources/list_changed', () => options.onListChanged(client, 'resources'));
  client.setNotificationHandler('notifications/resources/updated', notification => {
    relay?.onResourceUpdated(server, notification.params.uri);
  });
  client.setNotificationHandler('notifications/message', notification => {
    relay?.onLog(server, notification.params);
  });
  return client;
}

import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { ListKind, ProtocolEra } from './upstream-types.js';

/** What the follower needs from its connection. */
export interface ChangeFollowerHost {
  logger: Logger;
  timeoutMs(): number;
  /** Whether this client is still the connection's live session. */
  isCurrent(client: Client): boolean;
  /** Re-lists the given kinds. */
  refresh(kinds: ListKind[]): Promise<void>;
}

/**
 * Follows what changes on an upstream: list_changed notifications (one refresh per burst), the 2026-07-28
 * listen stream they arrive on, and the resources some client of the gateway subscribed to (kept across
 * reconnects: `resources/subscribe` on a 2025 session, the listen stream's `resourceSubscriptions` on 2026-07-28).
 */
export class ChangeFollower {
  private readonly host: ChangeFollowerHost;
  private readonly resourceSubscriptions = new Set<string>();
  private listenStream: { close(): Promise<void> } | undefined;
  private readonly pendingKinds = new Set<ListKind>();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(host: ChangeFollowerHost) {
    this.host = host;
  }

  onListChanged(client: Client, kind: ListKind): void {
    if (!this.host.isCurrent(client)) return;
    this.host.logger.debug(`${kind} list changed`);
    // Servers often send several in a burst: refresh once per burst.
    this.pendingKinds.add(kind);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const kinds = [...this.pendingKinds];
      this.pendingKinds.clear();
      void this.host.refresh(kinds).catch(error => {
        // A session that closed meanwhile (a restart, or the gateway shutting down) is re-listed when it is back.
        const message = `could not refresh ${kinds.join(', ')}: ${errorMessage(error)}`;
        if (this.host.isCurrent(client)) this.host.logger.warn(message);
        else this.host.logger.debug(message);
      });
    }, 25);
  }

  /** Follows a freshly connected session: the listen stream (2026-07-28) or the resource subscriptions again (2025). */
  async follow(client: Client, era: ProtocolEra): Promise<void> {
    await this.followListen(client, era);
    if (era === 'legacy') await this.resubscribe(client);
  }

  /** On a modern connection, change notifications arrive only on a listen stream: open one. */
  private async followListen(client: Client, era: ProtocolEra): Promise<void> {
    if (era !== 'modern') return;
    const capabilities = client.getServerCapabilities() ?? {};
    const filter = {
      ...(capabilities.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(capabilities.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(capabilities.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(capabilities.resources?.subscribe && this.resourceSubscriptions.size > 0 ? { resourceSubscriptions: [...this.resourceSubscriptions] } : {})
    };
    // A changed filter replaces the stream (closing it locally does not reopen it).
    const previous = this.listenStream;
    this.listenStream = undefined;
    await previous?.close().catch(() => {});
    if (Object.keys(filter).length === 0) return;
    try {
      const subscription = await client.listen(filter);
      this.listenStream = subscription;
      void subscription.closed.then(reason => {
        if (reason === 'remote' && this.host.isCurrent(client)) {
          this.host.logger.debug('listen stream ended; opening it again');
          void this.followListen(client, era);
        }
      });
    } catch (error) {
      this.host.logger.warn(`could not open the subscriptions/listen stream: ${errorMessage(error)}`);
    }
  }

  /** Follows (or stops following) updates of a resource; `client` is the live session, if any. */
  async setResourceSubscription(client: Client | undefined, uri: string, subscribed: boolean): Promise<void> {
    if (subscribed === this.resourceSubscriptions.has(uri)) return;
    if (subscribed) this.resourceSubscriptions.add(uri);
    else this.resourceSubscriptions.delete(uri);
    if (!client?.getServerCapabilities()?.resources?.subscribe) return;
    if (client.getProtocolEra() === 'modern') return this.followListen(client, 'modern');
    const method = subscribed ? 'resources/subscribe' : 'resources/unsubscribe';
    await client.request({ method, params: { uri } }, ResultSchema, { timeout: this.host.timeoutMs() });
  }

  private async resubscribe(client: Client): Promise<void> {
    if (!client.getServerCapabilities()?.resources?.subscribe) return;
    for (const uri of this.resourceSubscriptions) {
      await client
        .request({ method: 'resources/subscribe', params: { uri } }, ResultSchema, { timeout: this.host.timeoutMs() })
        .catch(error => this.host.logger.warn(`resources/subscribe ${uri} failed: ${errorMessage(error)}`));
    }
  }

  /** The session ended under us: its listen stream went with it. */
  forgetSession(): void {
    this.listenStream = undefined;
  }

  /** Closes the listen stream of a session being disposed. */
  async closeSession(): Promise<void> {
    await this.listenStream?.close().catch(() => {});
    this.listenStream = undefined;
  }
}

import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { EventBus, FleetEvent, FleetMessage } from './event-bus.js';
import type { RedisLink } from './redis-link.js';

/** How many recent event ids are remembered to drop a repeat. */
const rememberedIds = 1024;

/**
 * The event bus over Redis pub/sub: one channel (`<keyPrefix>events`), JSON messages stamped with the sender's
 * instance id. An instance ignores its own messages and any id it has seen. Delivery is at most once: a message
 * published while Redis is down, or while a receiver is disconnected, is lost (docs/FLEET.md says what that means).
 */
export class RedisEventBus implements EventBus {
  readonly channel: string;
  private readonly subscriber: Redis;
  private readonly listeners = new Set<(event: FleetEvent, message: FleetMessage) => void>();
  private readonly seen = new Set<string>();
  private listening = false;

  constructor(
    readonly instanceId: string,
    private readonly link: RedisLink,
    private readonly logger: Logger
  ) {
    this.channel = `${link.keyPrefix}events`;
    this.subscriber = link.subscriber();
    // Subscribed again on every (re)connection: a new connection has no subscriptions.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => (this.listening = true),
        (error: unknown) => this.logger.warn(`cannot subscribe to ${this.channel} on redis: ${errorMessage(error)}; events from other instances are missed until it reconnects`)
      );
    });
    this.subscriber.on('close', () => (this.listening = false));
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
  }

  get shared(): boolean {
    return this.link.up && this.listening;
  }

  /** Resolves once the subscription is in place (or after `timeoutMs`): a fresh instance hears what follows. */
  async ready(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.listening && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10));
    return this.listening;
  }

  publish(event: FleetEvent): void {
    if (!this.link.up) return;
    const message: FleetMessage = { v: 1, id: randomUUID(), from: this.instanceId, at: Date.now(), event };
    this.link.client.publish(this.channel, JSON.stringify(message)).catch((error: unknown) => {
      this.logger.debug(`event ${event.kind} not published: ${errorMessage(error)}`);
    });
  }

  subscribe(listener: (event: FleetEvent, message: FleetMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private receive(text: string): void {
    let message: FleetMessage;
    try {
      message = JSON.parse(text) as FleetMessage;
    } catch {
      this.logger.warn(`ignored a message on ${this.channel} that is not JSON: ${text.slice(0, 120)}`);
      return;
    }
    if (message.v !== 1 || typeof message.id !== 'string' || !message.event) return;
    if (message.from === this.instanceId || this.seen.has(message.id)) return;
    this.seen.add(message.id);
    if (this.seen.size > rememberedIds) this.seen.delete(this.seen.values().next().value as string);
    for (const listener of this.listeners) {
      try {
        listener(message.event, message);
      } catch (error) {
        this.logger.error(`event listener failed on ${message.event.kind} from ${message.from}: ${errorMessage(error)}`);
      }
    }
  }
}

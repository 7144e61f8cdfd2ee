import { createRequire } from 'node:module';

import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';

import type { RedisOptions } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';

const require = createRequire(import.meta.url);

/** Whether the shared Redis answers: `up` (shared state), `down` (each instance falls back to its own). */
export type RedisLinkState = 'connecting' | 'up' | 'down';

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis (unparsable URL)';
  }
}

/**
 * The gateway's connection to the shared Redis (ioredis), and the one place that knows whether it is up. Commands
 * never wait for a connection (no offline queue) and time out after `commandTimeout`, so a Redis that is down or
 * hung costs a call at most that, and the stores fall back at once. Going down is logged once, at warn, with what
 * it means; coming back once, at info. Reconnects every 50 ms to 1 s while down.
 */
export class RedisLink {
  /** For commands (limits, cache, budgets, publishing events). */
  readonly client: Redis;
  readonly keyPrefix: string;
  readonly where: string;
  private current: RedisLinkState = 'connecting';
  private readonly listeners = new Set<(state: RedisLinkState) => void>();
  private readonly subscribers: Redis[] = [];
  private closed = false;
  private fallbacks = 0;
  private fallbackWarnedAt = 0;

  constructor(
    private readonly options: RedisOptions,
    private readonly logger: Logger
  ) {
    this.keyPrefix = options.keyPrefix;
    this.where = redactRedisUrl(options.url);
    this.client = this.connect('commands');
    this.client.on('ready', () => this.set('up'));
    this.client.on('error', error => this.set('down', errorMessage(error)));
    this.client.on('close', () => this.set('down', 'the connection closed'));
  }

  get state(): RedisLinkState {
    return this.current;
  }

  /** Whether commands can be sent now. */
  get up(): boolean {
    return this.current === 'up' && this.client.status === 'ready';
  }

  /** Calls `listener` on every change of state; returns the unsubscribe. */
  onState(listener: (state: RedisLinkState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for the first connection, at most `connectTimeout`; resolves either way (the gateway serves regardless). */
  async waitUntilUp(): Promise<boolean> {
    if (this.up) return true;
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        stop();
        if (!this.up) this.set('down', `no connection within ${this.options.connectTimeout} ms`);
        resolve(this.up);
      }, this.options.connectTimeout);
      const stop = this.onState(state => {
        if (state !== 'up') return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
    });
  }

  /** A second connection for SUBSCRIBE (a subscribed connection takes no other command); closed with the link. */
  subscriber(): Redis {
    const connection = this.connect('events');
    // Its errors are the same outage the command connection reports.
    connection.on('error', () => {});
    this.subscribers.push(connection);
    return connection;
  }

  /**
   * A call used local state although the link is up (a command failed or took over `commandTimeout`): counted,
   * and said at most once a minute, so a slow Redis is visible without a line per call.
   */
  noteFallback(what: string): void {
    if (this.current !== 'up') return;
    this.fallbacks++;
    const now = Date.now();
    if (now - this.fallbackWarnedAt < 60_000) return;
    this.fallbackWarnedAt = now;
    this.logger.warn(
      `redis at ${this.where} failed or did not answer within redis.commandTimeout (${this.options.commandTimeout} ms): ${what} used this instance's local state (${this.fallbacks} time(s) so far); raise redis.commandTimeout if Redis is slow`
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await Promise.all([this.client, ...this.subscribers].map(connection => connection.quit().catch(() => connection.disconnect())));
  }

  private connect(purpose: string): Redis {
    // ioredis is loaded with the first connection: a gateway without `redis:` never loads it.
    const { Redis: RedisClient } = require('ioredis') as typeof IoRedis;
    return new RedisClient(this.options.url, {
      connectionName: `manifold-${purpose}`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.options.commandTimeout,
      connectTimeout: this.options.connectTimeout,
      autoResubscribe: false,
      retryStrategy: times => Math.min(50 * times, 1000)
    });
  }

  private set(state: RedisLinkState, why?: string): void {
    if (this.closed || state === this.current) return;
    const was = this.current;
    this.current = state;
    if (state === 'down')
      this.logger.warn(
        `redis at ${this.where} is unreachable (${why ?? 'unknown'}): rate limits and budgets count in this instance's memory, the result cache is bypassed (calls go to the servers), and events reach only this instance's clients until it returns; reconnecting`
      );
    else if (was === 'down') this.logger.info(`redis at ${this.where} is back: limits, budgets, the cache and events are shared again`);
    for (const listener of this.listeners) listener(state);
  }
}

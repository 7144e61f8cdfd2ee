import type { ManifoldConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { type EventBus, localEventBus } from './event-bus.js';
import { resolveInstanceId } from './instance-id.js';
import { RedisEventBus } from './redis-event-bus.js';
import { RedisLink } from './redis-link.js';

/**
 * This instance among several (docs/FLEET.md): its id, and with `redis:` (or MANIFOLD_REDIS) the connection to
 * the shared Redis and the event bus over it. Without `redis:` the id is still there and the bus is local.
 */
export class Fleet implements AsyncDisposable {
  readonly instanceId: string;
  /** The shared Redis; absent without `redis:`. */
  readonly redis: RedisLink | undefined;
  readonly bus: EventBus;

  constructor(
    config: Pick<ManifoldConfig, 'redis' | 'fleet'>,
    private readonly logger: Logger
  ) {
    this.instanceId = resolveInstanceId(config.fleet.instanceId);
    if (config.redis) {
      this.redis = new RedisLink(config.redis, logger.child('redis'));
      this.bus = new RedisEventBus(this.instanceId, this.redis, logger.child('events'));
    } else {
      this.bus = localEventBus(this.instanceId);
    }
  }

  /** Waits (bounded by `redis.connectTimeout`) for Redis and the event subscription; the gateway serves either way. */
  async start(): Promise<void> {
    if (!this.redis) return;
    if (!(await this.redis.waitUntilUp())) return;
    await (this.bus as RedisEventBus).ready(1000);
    this.logger.info(`fleet: instance ${this.instanceId}; rate limits, the result cache, budget windows and events shared through redis at ${this.redis.where}`);
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

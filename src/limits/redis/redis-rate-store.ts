import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { RedisLink } from '../../fleet/index.js';
import type { RateCounter, RateDecision, RateStore } from '../rate-store.js';

/** The memory limiter that stands in for Redis; each use while the link is up is a failed command, noted. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    private readonly link: RedisLink,
    private readonly id: string,
    options: ConstructorParameters<typeof RateLimiterMemory>[0]
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    this.link.noteFallback(`rate limit ${this.id}`);
    return super.consume(key, points, options);
  }
}

/**
 * Counts in the shared Redis (`rate-limiter-flexible`'s RateLimiterRedis: one atomic Lua increment per request),
 * so a limit holds across every gateway instance, exactly within one fixed window. Windows are whole seconds
 * there (a `per` with a fraction of a second is rounded up). While Redis is down (not connected, a command
 * failed or timed out) each counter falls back to its insurance: the same limit in this process's memory
 * (RateLimiterMemory), so calls go on, limited per instance; the link logs the outage once.
 */
export class RedisRateStore implements RateStore {
  constructor(private readonly link: RedisLink) {}

  counter(options: { id: string; requests: number; windowMs: number }): RateCounter {
    const insurance = new InsuranceLimiter(this.link, options.id, {
      keyPrefix: options.id,
      points: options.requests,
      duration: options.windowMs / 1000
    });
    const limiter = new RateLimiterRedis({
      storeClient: this.link.client,
      keyPrefix: `${this.link.keyPrefix}rate:${options.id}`,
      points: options.requests,
      duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance
    });
    return {
      take: async (key: string): Promise<RateDecision> => {
        try {
          const result = await limiter.consume(key);
          return { allowed: true, remaining: result.remainingPoints, msBeforeNext: result.msBeforeNext };
        } catch (refusal) {
          if (!(refusal instanceof RateLimiterRes)) throw refusal;
          return { allowed: false, remaining: 0, msBeforeNext: refusal.msBeforeNext };
        }
      },
      giveBack: async (key: string) => {
        await limiter.reward(key, 1);
      }
    };
  }
}

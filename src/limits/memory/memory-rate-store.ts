import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

import type { RateCounter, RateDecision, RateStore } from '../rate-store.js';

/** Counts in this process's memory (`rate-limiter-flexible`'s RateLimiterMemory): exact for one gateway. */
export class MemoryRateStore implements RateStore {
  counter(options: { id: string; requests: number; windowMs: number }): RateCounter {
    const limiter = new RateLimiterMemory({
      keyPrefix: options.id,
      points: options.requests,
      duration: options.windowMs / 1000
    });
    return {
      take: async (key: string): Promise<RateDecision> => {
        try {
          const result = await limiter.consume(key);
          return { allowed: true, remaining: result.remainingPoints, msBeforeNext: result.msBeforeNext };
        } catch (refusal) {
          // A refusal is a RateLimiterRes; anything else is a real failure.
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

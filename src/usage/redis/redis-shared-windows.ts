import type { RedisLink } from '../../fleet/index.js';
import type { SharedWindows, WindowIncrement, WindowRef } from '../shared-windows.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/**
 * Budget windows in the shared Redis: a hash per window (`<prefix>budget:<per>:<start>:<p|v>:<name>`, fields
 * `r` result tokens and `m` model tokens), added to with HINCRBY and expiring an hour after the window ends.
 * Reads and writes of one instance go over one connection, so a check reads that instance's own additions.
 */
export class RedisSharedWindows implements SharedWindows {
  private readonly prefix: string;

  constructor(private readonly link: RedisLink) {
    this.prefix = `${link.keyPrefix}budget:`;
  }

  add(increments: readonly WindowIncrement[]): void {
    if (increments.length === 0 || !this.link.up) return;
    const pipeline = this.link.client.pipeline();
    for (const increment of increments) {
      const key = this.key(increment);
      if (increment.resultTokens !== 0) pipeline.hincrby(key, 'r', increment.resultTokens);
      if (increment.modelTokens !== 0) pipeline.hincrby(key, 'm', increment.modelTokens);
      pipeline.pexpireat(key, increment.start + (increment.per === 'hour' ? hourMs : dayMs) + hourMs);
    }
    // A failure here (Redis went down) is the link's to report; these tokens are counted locally only.
    pipeline.exec().catch(() => {});
  }

  async read(windows: readonly WindowRef[]): Promise<Array<{ resultTokens: number; modelTokens: number }> | undefined> {
    if (windows.length === 0) return [];
    if (!this.link.up) return undefined;
    const pipeline = this.link.client.pipeline();
    for (const window of windows) pipeline.hmget(this.key(window), 'r', 'm');
    try {
      const results = await pipeline.exec();
      if (!results) return undefined;
      return results.map(([error, value]) => {
        if (error) throw error;
        const [result, model] = value as [string | null, string | null];
        return { resultTokens: Number(result ?? 0), modelTokens: Number(model ?? 0) };
      });
    } catch {
      this.link.noteFallback('a budget check');
      return undefined;
    }
  }

  private key(window: WindowRef): string {
    return `${this.prefix}${window.per}:${window.start}:${window.dimension}:${window.name}`;
  }
}

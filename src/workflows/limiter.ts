interface Waiter {
  grant: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * A counting semaphore: at most `limit` holders at once, waiters served in order. One per nesting level
 * (a map's items, a parallel's branches, a run's tool calls), so a holder never waits on its own level.
 *
 * Waiters share one abort listener per signal: a map of 10,000 items waits on one signal, and a listener
 * each would be 10,000 listeners (and Node's MaxListenersExceededWarning in the gateway's log).
 */
export class Limiter {
  private active = 0;
  /** Waiters in order from `head`; a served or stopped waiter leaves a hole (no shift or splice: O(1) each). */
  private waiting: Array<Waiter | undefined> = [];
  private head = 0;
  /** The abort listener of each signal some waiter waits with, and how many waiters use it. */
  private readonly listeners = new Map<AbortSignal, { onAbort: () => void; waiters: number }>();
  readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Runs `task` when a slot is free; a waiter whose signal aborts stops waiting. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Abort listeners now (for tests). */
  get abortListeners(): number {
    return this.listeners.size;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          this.forget(waiter.signal);
          this.active++;
          resolve();
        },
        reject,
        signal
      };
      if (signal) this.listen(signal);
      this.waiting.push(waiter);
    });
  }

  private listen(signal: AbortSignal): void {
    const entry = this.listeners.get(signal);
    if (entry) {
      entry.waiters++;
      return;
    }
    const onAbort = () => {
      this.listeners.delete(signal);
      const stopped: Waiter[] = [];
      for (let index = this.head; index < this.waiting.length; index++) {
        const waiter = this.waiting[index];
        if (waiter?.signal !== signal) continue;
        stopped.push(waiter);
        this.waiting[index] = undefined;
      }
      for (const waiter of stopped) waiter.reject(signal.reason);
    };
    this.listeners.set(signal, { onAbort, waiters: 1 });
    signal.addEventListener('abort', onAbort, { once: true });
  }

  private forget(signal: AbortSignal | undefined): void {
    if (!signal) return;
    const entry = this.listeners.get(signal);
    if (!entry) return;
    if (--entry.waiters > 0) return;
    this.listeners.delete(signal);
    signal.removeEventListener('abort', entry.onAbort);
  }

  private release(): void {
    this.active--;
    while (this.head < this.waiting.length) {
      const waiter = this.waiting[this.head];
      this.waiting[this.head++] = undefined;
      if (waiter) {
        waiter.grant();
        break;
      }
    }
    // Drop the served part now and then, so the array does not grow for ever.
    if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }
}

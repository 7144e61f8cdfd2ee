import { ManifoldError } from '../core/errors.js';

interface Waiter {
  grant: () => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * A server's concurrency cap (`limits.upstreams.<server>`): at most `maxInFlight` calls run at once; more wait
 * in order, at most `maxQueue` of them, and one more is refused (UPSTREAM_BUSY, naming the key to raise). A
 * waiting call whose signal aborts leaves the queue at once.
 */
export class UpstreamGate {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  /** Most calls seen running at once (for `manifold` status and tests). */
  peak = 0;

  constructor(
    readonly server: string,
    readonly maxInFlight: number,
    readonly maxQueue: number
  ) {}

  /** Calls running now. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a turn now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a turn (or throws UPSTREAM_BUSY, or the signal's reason); call the returned function once when done. */
  async enter(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw this.cancelled(signal);
    if (this.active < this.maxInFlight) {
      this.take();
      return this.leaver();
    }
    if (this.waiting.length >= this.maxQueue) {
      const key = `limits.upstreams.${this.server}`;
      throw new ManifoldError(
        'UPSTREAM_BUSY',
        `server "${this.server}" is busy: ${this.active} calls in progress (${key}.maxInFlight: ${this.maxInFlight}) and ${this.waiting.length} waiting (${key}.maxQueue: ${this.maxQueue}); retry in a moment, or raise ${key}.maxQueue in the config`,
        {
          data: {
            server: this.server,
            limit: { kind: 'upstream', server: this.server, maxInFlight: this.maxInFlight, maxQueue: this.maxQueue }
          }
        }
      );
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        grant: () => {
          signal.removeEventListener('abort', waiter.onAbort);
          resolve();
        },
        onAbort: () => {
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(this.cancelled(signal));
        }
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
    return this.leaver();
  }

  private cancelled(signal: AbortSignal): ManifoldError {
    return new ManifoldError('CANCELLED', `call cancelled while waiting for a turn on server "${this.server}"`, {
      cause: signal.reason
    });
  }

  private take(): void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
  }

  private leaver(): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      // The turn passes to the first waiter: the count stays, the next call runs.
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.active--;
    };
  }
}

/** The caps of `limits.upstreams`, by server name. */
export class UpstreamGates {
  private readonly gates = new Map<string, UpstreamGate>();

  constructor(upstreams: Readonly<Record<string, { maxInFlight: number; maxQueue: number }>>) {
    for (const [server, limit] of Object.entries(upstreams))
      this.gates.set(server, new UpstreamGate(server, limit.maxInFlight, limit.maxQueue));
  }

  /** The cap of a server, if it has one. */
  get(server: string): UpstreamGate | undefined {
    return this.gates.get(server);
  }

  get size(): number {
    return this.gates.size;
  }
}

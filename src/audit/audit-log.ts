import type { AuditCheckpoint, AuditRecord, AuditRow, AuditStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { rowHash, signCheckpoint } from './chain.js';
import type { AuditSigner } from './signing-key.js';

export interface AuditLogOptions {
  /** Opens the store on the first row (a gateway that answers nothing makes no file). */
  open: () => AuditStore;
  signer: AuditSigner | undefined;
  /** A checkpoint after this many rows (and at shutdown, and at a retention cut). */
  checkpointEvery: number;
  /** Rows older than this many days are pruned at the first row and then daily; absent: kept. */
  keepDays: number | undefined;
  /** Keep the arguments themselves (redacted) in each row. */
  arguments: boolean;
  logger: Logger;
  now?: () => number;
}

const dayMs = 24 * 60 * 60_000;

/** The audit log of one gateway: appends hash-chained rows, checkpoints the head, prunes past `keepDays`. */
export class AuditLog {
  readonly options: AuditLogOptions;
  private store: AuditStore | undefined;
  private sinceCheckpoint = 0;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: AuditLogOptions) {
    this.options = options;
  }

  private opened(): AuditStore {
    if (!this.store) {
      this.store = this.options.open();
      if (this.options.keepDays !== undefined) {
        this.prune();
        this.pruneTimer = setInterval(() => this.prune(), dayMs).unref();
      }
    }
    return this.store;
  }

  /** Appends a row (synchronously: it is on disk, in the WAL, when this returns). */
  append(record: Omit<AuditRecord, 'seq'>): AuditRow {
    if (this.closed) throw new Error('the audit log is closed');
    const row = this.opened().append(head => {
      const full: AuditRecord = { seq: head.seq + 1, ...record };
      return { ...full, prev: head.hash, hash: rowHash(head.hash, full) };
    });
    if (++this.sinceCheckpoint >= this.options.checkpointEvery) this.checkpoint('periodic');
    return row;
  }

  /** Writes (signs) the current head as a checkpoint; nothing when no row was written since the last one. */
  checkpoint(kind: 'periodic' | 'shutdown'): AuditCheckpoint | undefined {
    if (!this.store || this.sinceCheckpoint === 0) return undefined;
    const head = this.store.head();
    const checkpoint = signCheckpoint({ seq: head.seq, count: head.seq, hash: head.hash, time: this.now(), kind }, this.options.signer);
    this.store.addCheckpoint(checkpoint);
    this.sinceCheckpoint = 0;
    return checkpoint;
  }

  /**
   * Deletes rows older than `keepDays`, leaving a (signed) `cut` checkpoint at the last deleted row: verification
   * starts from it. Returns how many rows went.
   */
  prune(now = this.now()): number {
    if (this.options.keepDays === undefined) return 0;
    const store = this.opened();
    const last = store.lastBefore(now - this.options.keepDays * dayMs);
    if (!last) return 0;
    const cut = signCheckpoint({ seq: last.seq, count: last.seq, hash: last.hash, time: now, kind: 'cut' }, this.options.signer);
    const deleted = store.prune(cut);
    if (deleted > 0) this.options.logger.info(`audit: pruned ${deleted} row(s) older than ${this.options.keepDays} day(s), up to row ${last.seq}`);
    return deleted;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The shutdown checkpoint, then the store is closed. */
  close(): void {
    if (this.closed) return;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    try {
      this.checkpoint('shutdown');
    } catch (error) {
      this.options.logger.warn(`audit: the shutdown checkpoint was not written: ${(error as Error).message}`);
    }
    this.closed = true;
    this.store?.close();
    this.store = undefined;
  }
}

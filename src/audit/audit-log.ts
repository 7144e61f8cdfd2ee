import type { CountedTokens } from '../core/pipeline.js';
import { type AuditCheckpoint, type AuditRecord, type AuditRow, type AuditStore, tokensMethod } from '../store/index.js';
import type { Redactor } from '../redaction/index.js';
import type { Logger } from '../telemetry/logger.js';
import { writeAnchor } from './anchor.js';
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
  /** The file the chain head is anchored in at each checkpoint (`audit.anchor`); absent: none. */
  anchor?: string | undefined;
  /** Token accounting is on: each call's tokens, once counted, are chained in a `tokens` row naming the call's row. */
  tokens?: boolean;
  /** A row that cannot be written: answer anyway and log (`serve`, the default), or fail the request (`withhold`). */
  onFailure?: 'serve' | 'withhold';
  logger: Logger;
  /** Redacts arguments, targets and error texts (default: the default rule table); tests inject a failing one. */
  redactor?: Redactor;
  now?: () => number;
}

const dayMs = 24 * 60 * 60_000;

/** The audit log of one gateway: appends hash-chained rows, checkpoints the head, prunes past `keepDays`. */
export class AuditLog {
  readonly options: AuditLogOptions;
  private store: AuditStore | undefined;
  private sinceCheckpoint = 0;
  private pending: { record: Omit<AuditRecord, 'seq'>; resolve: (row: AuditRow) => void; reject: (error: unknown) => void }[] = [];
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

  /**
   * Appends a row; resolves once it is committed (in the WAL: a kill -9 after this loses nothing). Rows of calls
   * that finish in the same turn of the event loop are committed together, in one transaction (group commit).
   */
  append(record: Omit<AuditRecord, 'seq'>): Promise<AuditRow> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Chains a call's token counts after it: a row of method `tokens` with the call's principal, session, view,
   * target, server, run and step, `ref` = the call's seq, and the counts. Written with the next batch, off the call's
   * path (the answer has gone back already); a failure is logged.
   */
  appendTokens(call: AuditRow, tokens: CountedTokens): void {
    if (this.closed) return;
    this.append({
      time: this.now(),
      principal: call.principal,
      session: call.session,
      view: call.view,
      method: tokensMethod,
      target: call.target,
      upstream: call.upstream,
      server: call.server,
      argsDigest: call.argsDigest,
      argsSize: call.argsSize,
      arguments: null,
      outcome: call.outcome,
      error: null,
      durationMs: 0,
      resultSize: call.resultSize,
      runId: call.runId,
      stepId: call.stepId,
      ref: call.seq,
      inputTokens: tokens.input,
      resultTokens: tokens.result,
      modelTokens: tokens.model
    }).catch(error => this.options.logger.warn(`audit: the tokens of row ${call.seq} were not written: ${(error as Error).message}`));
  }

  /** Commits the pending rows now (also what close() does first). */
  flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let rows: AuditRow[];
    try {
      rows = this.opened().append(head => {
        let { seq, hash } = head;
        return batch.map(({ record }) => {
          const full: AuditRecord = { seq: ++seq, ...record };
          const row = { ...full, prev: hash, hash: rowHash(hash, full) };
          hash = row.hash;
          return row;
        });
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => entry.resolve(rows[index] as AuditRow));
    this.sinceCheckpoint += rows.length;
    if (this.sinceCheckpoint >= this.options.checkpointEvery) {
      try {
        this.checkpoint('periodic');
      } catch (error) {
        this.options.logger.warn(`audit: a checkpoint was not written: ${(error as Error).message}`);
      }
    }
  }

  /** Writes (signs) the current head as a checkpoint; nothing when no row was written since the last one. */
  checkpoint(kind: 'periodic' | 'shutdown'): AuditCheckpoint | undefined {
    if (!this.store || this.sinceCheckpoint === 0) return undefined;
    const head = this.store.head();
    const checkpoint = signCheckpoint({ seq: head.seq, count: head.seq, hash: head.hash, time: this.now(), kind }, this.options.signer);
    this.store.addCheckpoint(checkpoint);
    this.sinceCheckpoint = 0;
    if (this.options.anchor !== undefined) {
      try {
        writeAnchor(this.options.anchor, checkpoint);
      } catch (error) {
        this.options.logger.warn(`audit: the chain head was not anchored in ${this.options.anchor} (audit.anchor): ${(error as Error).message}`);
      }
    }
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
    this.flush();
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

import { errorMessage } from '../core/errors.js';
import type { CountedTokens } from '../core/pipeline.js';
import { countTextTokens } from '../discovery/index.js';
import { answerText, canonicalJson } from './answer-text.js';
import type { UsageRow, UsageStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { SharedWindows, WindowIncrement, WindowRef } from './shared-windows.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** How long a count read from the shared windows stands in for the local one (a check reads just before). */
const sharedFreshMs = 1000;
/** The most workflow runs whose step tokens are kept (for budgets per run). */
const maxRuns = 10_000;

/** One answer a client received (or a model usage a result reported), waiting to be counted. */
export interface UsageEntry {
  principal: string;
  /** The view's name; `''` for none. */
  view: string;
  /** The serving server; `''` for the gateway's own tools and lists. */
  server: string;
  /** The public tool name, `prompt:<name>`, `resource:<uri>`, `list:<kind>`. */
  tool: string;
  /** The workflow the call belongs to (a step's, or a workflow tool itself); `''` for none. */
  workflow: string;
  /** The workflow run a step's call belongs to (for budgets per run). */
  runId?: string | undefined;
  /** What the client sent (a call's arguments), tokenized as canonical JSON; absent: nothing. */
  input?: unknown;
  /** What the client received, tokenized as {@link answerText}; absent: nothing (a failed call). */
  answer?: unknown;
  /** Model tokens the answer reported (`_meta["manifold/usage"].totalTokens`), already counted by the model. */
  modelTokens?: number;
  /** When it was answered (ms). */
  at: number;
  /** Told the counts once they are counted (the audit log's `tokens` row); not for an answer dropped uncounted. */
  onTokens?: ((tokens: CountedTokens) => void) | undefined;
  /** Queued past `usage.maxPending`: counted as a call without tokens. */
  dropped?: boolean;
}

/** Told each entry's counts as a batch counts them (the tokens metric). */
export type CountedListener = (entry: UsageEntry, tokens: CountedTokens) => void;

/** Tokens counted in one window for one principal or view. */
export interface WindowUse {
  resultTokens: number;
  modelTokens: number;
}

export interface TokenAccountingOptions {
  /** Where hourly aggregates go, opened on first use; undefined: counted in memory only. */
  store: () => UsageStore | undefined;
  /** Most answers waiting; past it an answer counts as a call without tokens. */
  maxPending: number;
  logger: Logger;
  /** Windows shared with the other instances (fleet mode, `redis:`); undefined: this process's own. */
  shared?: SharedWindows | undefined;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Counts the tokens of answers clients receive, off the hot path: `record` only queues the answer (an array
 * push); a batch scheduled with `setImmediate` serialises and tokenizes the queued answers (o200k_base, as tool
 * lists are counted), adds them to the windows budgets read and writes hourly aggregates to the store in one
 * transaction. `settle` counts what is still queued at once: the budget stage calls it before deciding, so a
 * budget takes effect exactly from the call after the one that crossed it.
 */
export class TokenAccounting {
  private pending: UsageEntry[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Result and model tokens per window key (`hour|<start>|p|<name>`, `day|<start>|v|<name>`). */
  private readonly windows = new Map<string, WindowUse>();
  /** Tokens of each live workflow run's step calls (their results, and model tokens they reported). */
  private readonly runs = new Map<string, WindowUse>();
  private readonly now: () => number;
  /** Answers counted without tokens because the queue was full. */
  dropped = 0;
  /** Answers counted (tokenized) since start. */
  counted = 0;
  private closed = false;
  private loaded = false;
  /** Told every entry's counts, batch by batch (the gateway's tokens metric). */
  readonly listeners = new Set<CountedListener>();
  /** The shared windows' counts as last read (with when), used over the local ones while fresh. */
  private readonly sharedUse = new Map<string, WindowUse & { at: number }>();
  /** Tokens of this batch for the shared windows, summed per window. */
  private increments = new Map<string, WindowIncrement>();

  constructor(private readonly options: TokenAccountingOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Queues an answer to be counted (cheap: the answer is serialised and tokenized later, in a batch). */
  record(entry: UsageEntry): void {
    if (this.closed) return;
    if (this.pending.length >= this.options.maxPending) {
      if (this.dropped++ % 1000 === 0)
        this.options.logger.warn(`token accounting is behind (${this.options.maxPending} answers waiting, usage.maxPending): counting an answer of ${entry.tool} as a call without tokens`);
      this.pending.push({ ...entry, input: undefined, answer: undefined, dropped: true });
      return;
    }
    this.pending.push(entry);
    this.scheduled ??= setImmediate(() => this.settle());
  }

  /** Counts every queued answer now. */
  settle(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    this.loadWindows();
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const rows = new Map<string, UsageRow>();
    for (const entry of batch) {
      const inputTokens = entry.input === undefined ? 0 : countTextTokens(canonicalJson(entry.input));
      const resultTokens = entry.answer === undefined ? 0 : countTextTokens(answerText(entry.answer));
      const modelTokens = entry.modelTokens ?? 0;
      this.counted++;
      const hour = Math.floor(entry.at / hourMs) * hourMs;
      const key = [hour, entry.principal, entry.view, entry.server, entry.tool, entry.workflow].join('\u0000');
      const row = rows.get(key) ?? { hour, principal: entry.principal, view: entry.view, server: entry.server, tool: entry.tool, workflow: entry.workflow, calls: 0, inputTokens: 0, resultTokens: 0, modelTokens: 0 };
      row.calls++;
      row.inputTokens += inputTokens;
      row.resultTokens += resultTokens;
      row.modelTokens += modelTokens;
      rows.set(key, row);
      this.addToWindows(entry.at, entry.principal, entry.view, resultTokens, modelTokens);
      if (this.options.shared) this.addToShared(entry.at, entry.principal, entry.view, resultTokens, modelTokens);
      if (entry.runId !== undefined) this.addToRun(entry.runId, resultTokens, modelTokens);
      if (entry.dropped) continue;
      const tokens = { input: inputTokens, result: resultTokens, model: modelTokens };
      for (const listener of this.listeners) this.tell(() => listener(entry, tokens));
      if (entry.onTokens) this.tell(() => entry.onTokens?.(tokens));
    }
    if (this.options.shared && this.increments.size > 0) {
      this.options.shared.add([...this.increments.values()]);
      this.increments = new Map();
    }
    try {
      this.options.store()?.addUsage([...rows.values()]);
    } catch (error) {
      this.options.logger.warn(`cannot store token usage (${rows.size} rows): ${errorMessage(error)}`);
    }
  }

  private tell(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.options.logger.warn(`token accounting: a listener of the counts failed: ${errorMessage(error)}`);
    }
  }

  /**
   * Tokens counted in the current hour or day (UTC) for a principal (`p`) or view (`v`): the fleet's count when
   * {@link readShared} just read it, else this process's own.
   */
  used(per: 'hour' | 'day', dimension: 'p' | 'v', name: string): WindowUse {
    this.loadWindows();
    const key = windowKey(per, windowStart(per, this.now()), dimension, name);
    const shared = this.sharedUse.get(key);
    if (shared && this.now() - shared.at < sharedFreshMs) return shared;
    return this.windows.get(key) ?? { resultTokens: 0, modelTokens: 0 };
  }

  /** Whether budgets read windows shared with other instances (then {@link readShared} comes before a check). */
  get shares(): boolean {
    return this.options.shared !== undefined;
  }

  /**
   * Reads the current windows of a caller from the shared store (after sending what is queued), so the next
   * `used` answers with the fleet's count. Without an answer (Redis down) `used` counts locally.
   */
  async readShared(names: ReadonlyArray<{ per: 'hour' | 'day'; dimension: 'p' | 'v'; name: string }>): Promise<void> {
    const shared = this.options.shared;
    if (!shared || names.length === 0) return;
    this.settle();
    const now = this.now();
    const refs: WindowRef[] = names.map(entry => ({ ...entry, start: windowStart(entry.per, now) }));
    const counts = await shared.read(refs);
    if (!counts) return;
    const at = this.now();
    if (this.sharedUse.size > 10_000) this.sharedUse.clear();
    refs.forEach((ref, index) => {
      const use = counts[index];
      if (use) this.sharedUse.set(windowKey(ref.per, ref.start, ref.dimension, ref.name), { ...use, at });
    });
  }

  /** Tokens of a workflow run's step calls so far. */
  runUse(runId: string): WindowUse {
    return this.runs.get(runId) ?? { resultTokens: 0, modelTokens: 0 };
  }

  /** Forgets a finished run's count. */
  endRun(runId: string): void {
    this.runs.delete(runId);
  }

  /** Now, by the accounting's clock. */
  clock(): number {
    return this.now();
  }

  private addToRun(runId: string, resultTokens: number, modelTokens: number): void {
    const use = this.runs.get(runId);
    if (use) {
      use.resultTokens += resultTokens;
      use.modelTokens += modelTokens;
      return;
    }
    this.runs.set(runId, { resultTokens, modelTokens });
    // Runs whose end was not seen (background runs) are forgotten oldest first.
    if (this.runs.size > maxRuns) this.runs.delete(this.runs.keys().next().value as string);
  }

  /** When the current window ends (ms). */
  resetsAt(per: 'hour' | 'day'): number {
    return windowStart(per, this.now()) + (per === 'hour' ? hourMs : dayMs);
  }

  /** Counts what is queued and stops. */
  close(): void {
    this.settle();
    this.closed = true;
  }

  private addToWindows(at: number, principal: string, view: string, resultTokens: number, modelTokens: number): void {
    if (resultTokens === 0 && modelTokens === 0) return;
    for (const per of ['hour', 'day'] as const) {
      const start = windowStart(per, at);
      for (const [dimension, name] of [['p', principal], ['v', view]] as const) {
        const key = windowKey(per, start, dimension, name);
        const use = this.windows.get(key);
        if (use) {
          use.resultTokens += resultTokens;
          use.modelTokens += modelTokens;
        } else this.windows.set(key, { resultTokens, modelTokens });
      }
    }
    // Windows of earlier hours and days are of no use to a budget: dropped when a new day's first entry comes.
    if (this.windows.size > 10_000) this.pruneWindows();
  }

  private addToShared(at: number, principal: string, view: string, resultTokens: number, modelTokens: number): void {
    if (resultTokens === 0 && modelTokens === 0) return;
    for (const per of ['hour', 'day'] as const) {
      const start = windowStart(per, at);
      for (const [dimension, name] of [['p', principal], ['v', view]] as const) {
        const key = windowKey(per, start, dimension, name);
        const increment = this.increments.get(key);
        if (increment) {
          increment.resultTokens += resultTokens;
          increment.modelTokens += modelTokens;
        } else this.increments.set(key, { per, start, dimension, name, resultTokens, modelTokens });
      }
    }
  }

  private pruneWindows(): void {
    const hour = windowStart('hour', this.now());
    const day = windowStart('day', this.now());
    for (const key of this.windows.keys()) {
      const [per, start] = key.split('|');
      if (Number(start) < (per === 'hour' ? hour : day)) this.windows.delete(key);
    }
  }

  /** The counts of today (and so this hour) from the store: budgets hold across restarts. */
  private loadWindows(): void {
    if (this.loaded) return;
    this.loaded = true;
    try {
      for (const row of this.options.store()?.usageSince(windowStart('day', this.now())) ?? [])
        this.addToWindows(row.hour, row.principal, row.view, row.resultTokens, row.modelTokens);
    } catch (error) {
      this.options.logger.warn(`cannot read today's token usage from the store (budgets start from zero): ${errorMessage(error)}`);
    }
  }
}

function windowStart(per: 'hour' | 'day', at: number): number {
  const size = per === 'hour' ? hourMs : dayMs;
  return Math.floor(at / size) * size;
}

function windowKey(per: 'hour' | 'day', start: number, dimension: 'p' | 'v', name: string): string {
  return `${per}|${start}|${dimension}|${name}`;
}

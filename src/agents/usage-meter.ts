import { ManifoldError } from '../core/errors.js';
import type { ModelBackend, ModelRequest, ModelTurn } from './model-backend.js';

/** What a model call was for, in an orchestrator run. */
export type CallPhase = 'plan' | 'worker' | 'synthesis';

/** One model call of a run, with what it was for. */
export interface MeteredCall {
  phase: CallPhase;
  /** The plan step (1-based) the call belongs to; absent for synthesis. */
  step?: number;
  worker?: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  attempts: number;
}

/**
 * Counts the tokens of every model call of one run (through `wrap`), and aborts the run when a token budget is
 * passed: the call that passes it is counted, later calls throw CANCELLED without being sent.
 */
export class UsageMeter {
  readonly calls: MeteredCall[] = [];
  private total = 0;

  constructor(
    private readonly tokenBudget: number | undefined,
    /** Called once, when the budget is passed. */
    private readonly onExhausted: () => void
  ) {}

  get totalTokens(): number {
    return this.total;
  }

  get exhausted(): boolean {
    return this.tokenBudget !== undefined && this.total > this.tokenBudget;
  }

  /** A backend whose calls are counted under `label` (and added to `sink` too, when given). */
  wrap(backend: ModelBackend, label: CallLabel, sink?: MeteredCall[]): ModelBackend {
    return {
      name: backend.name,
      description: backend.description,
      generate: async (request: ModelRequest): Promise<ModelTurn> => {
        if (this.exhausted)
          throw new ManifoldError(
            'CANCELLED',
            `the token budget (${this.tokenBudget}) is spent; ${backend.description} was not called`
          );
        const started = performance.now();
        const turn = await backend.generate(request);
        this.count(label, backend.name, turn, Math.round(performance.now() - started), sink);
        return turn;
      }
    };
  }

  /** Counts a call made outside `wrap` (an answer replayed from a resumed run's journal: it counts as it did then). */
  count(label: CallLabel, model: string, turn: ModelTurn, durationMs: number, sink?: MeteredCall[]): void {
    this.replay([{ ...label, model, inputTokens: turn.usage.inputTokens, outputTokens: turn.usage.outputTokens, durationMs, attempts: turn.attempts }]);
    sink?.push(this.calls[this.calls.length - 1]!);
  }

  /** Counts calls recorded before (a worker task replayed whole from a resumed run's journal). */
  replay(calls: readonly MeteredCall[]): void {
    for (const call of calls) {
      this.calls.push(call);
      const wasExhausted = this.exhausted;
      this.total += call.inputTokens + call.outputTokens;
      if (!wasExhausted && this.exhausted) this.onExhausted();
    }
  }

  /** Totals: per call, per worker (and the planner and synthesis), per model, and of the run. */
  summary(): {
    calls: MeteredCall[];
    byWorker: Record<string, Totals>;
    byModel: Record<string, Totals>;
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
  } {
    const byWorker: Record<string, Totals> = {};
    const byModel: Record<string, Totals> = {};
    const add = (table: Record<string, Totals>, key: string, call: MeteredCall) => {
      const entry = (table[key] ??= { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 });
      entry.calls++;
      entry.inputTokens += call.inputTokens;
      entry.outputTokens += call.outputTokens;
      entry.totalTokens += call.inputTokens + call.outputTokens;
    };
    let inputTokens = 0;
    let outputTokens = 0;
    for (const call of this.calls) {
      add(byWorker, call.worker ?? `(${call.phase})`, call);
      add(byModel, call.model, call);
      inputTokens += call.inputTokens;
      outputTokens += call.outputTokens;
    }
    return { calls: this.calls, byWorker, byModel, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  }
}

/** What a call is counted under. */
export type CallLabel = Omit<MeteredCall, 'model' | 'inputTokens' | 'outputTokens' | 'durationMs' | 'attempts'>;

export interface Totals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

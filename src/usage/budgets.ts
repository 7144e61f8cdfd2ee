import type { BudgetConfig } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';
import { globToRegExp } from '../core/glob.js';
import type { GatewayResult } from '../core/pipeline.js';
import type { TokenAccounting } from './token-accounting.js';

/** Where a refused tool call's result says which budget refused it (beside the limits' `manifold/limit`). */
export const budgetMetaKey = 'manifold/budget';

/** Which budget refused a call, as `error.data.budget` and a refused tool result's `_meta["manifold/budget"]`. */
export interface BudgetInfo {
  name: string;
  per: 'hour' | 'day' | 'run';
  /** What was counted against it: `tokens` (results + model), `resultTokens` or `modelTokens`. */
  counts: 'tokens' | 'resultTokens' | 'modelTokens';
  limit: number;
  used: number;
  principal?: string;
  view?: string;
  workflow?: string;
  runId?: string;
  /** When the window starts again (ISO 8601, UTC); absent for a run's budget (a new run starts from zero). */
  resetsAt?: string;
  retryAfterMs?: number;
}

/** Who is calling, as budgets see it. */
export interface BudgetSubject {
  principal: string;
  /** The view's name; `''` for none. */
  view: string;
  workflow?: { name: string; runId: string; modelTokens: () => number } | undefined;
}

interface CompiledBudget {
  config: BudgetConfig;
  name: string;
  principal: RegExp;
  view: RegExp | undefined;
  workflow: RegExp;
}

/** The budgets of `budgets:`, checked against the counts of a TokenAccounting. */
export class Budgets {
  private readonly budgets: CompiledBudget[];

  constructor(
    configs: readonly BudgetConfig[],
    private readonly accounting: TokenAccounting
  ) {
    this.budgets = configs.map((config, index) => ({
      config,
      name: config.name ?? `budgets[${index}]`,
      principal: globToRegExp(config.principal),
      view: config.view === undefined ? undefined : globToRegExp(config.view),
      workflow: globToRegExp(config.workflow ?? '*')
    }));
  }

  get size(): number {
    return this.budgets.length;
  }

  /**
   * With windows shared across instances (fleet mode), reads this caller's hour and day windows from them, so
   * {@link check} decides on the fleet's count. Nothing to do otherwise.
   */
  async readShared(subject: BudgetSubject): Promise<void> {
    if (!this.accounting.shares || this.budgets.length === 0) return;
    const wanted = new Map<string, { per: 'hour' | 'day'; dimension: 'p' | 'v'; name: string }>();
    for (const budget of this.budgets) {
      const { config } = budget;
      if (config.per === 'run' || !budget.principal.test(subject.principal)) continue;
      if (budget.view && !budget.view.test(subject.view || 'default')) continue;
      const byView = config.by === 'view';
      const window = { per: config.per, dimension: byView ? ('v' as const) : ('p' as const), name: byView ? subject.view : subject.principal };
      wanted.set(`${window.per}|${window.dimension}|${window.name}`, window);
    }
    await this.accounting.readShared([...wanted.values()]);
  }

  /**
   * The first spent budget that covers this caller, or undefined. Counts still queued are counted first, so a
   * budget refuses from the call after the one whose answer reached it.
   */
  check(subject: BudgetSubject): BudgetInfo | undefined {
    if (this.budgets.length === 0) return undefined;
    this.accounting.settle();
    for (const budget of this.budgets) {
      const { config } = budget;
      if (!budget.principal.test(subject.principal)) continue;
      if (budget.view && !budget.view.test(subject.view || 'default')) continue;
      let result: number;
      let model: number;
      const where: Partial<BudgetInfo> = {};
      if (config.per === 'run') {
        const workflow = subject.workflow;
        if (!workflow || !budget.workflow.test(workflow.name)) continue;
        const steps = this.accounting.runUse(workflow.runId);
        result = steps.resultTokens;
        model = steps.modelTokens + workflow.modelTokens();
        Object.assign(where, { workflow: workflow.name, runId: workflow.runId });
      } else {
        const byView = config.by === 'view';
        const use = this.accounting.used(config.per, byView ? 'v' : 'p', byView ? subject.view : subject.principal);
        result = use.resultTokens;
        model = use.modelTokens;
        const resetsAt = this.accounting.resetsAt(config.per);
        Object.assign(where, byView ? { view: subject.view || 'default' } : { principal: subject.principal }, {
          resetsAt: new Date(resetsAt).toISOString(),
          retryAfterMs: Math.max(0, resetsAt - this.accounting.clock())
        });
      }
      const spent: Array<[BudgetInfo['counts'], number | undefined, number]> = [
        ['tokens', config.tokens, result + model],
        ['resultTokens', config.resultTokens, result],
        ['modelTokens', config.modelTokens, model]
      ];
      for (const [counts, limit, used] of spent)
        if (limit !== undefined && used >= limit) return { name: budget.name, per: config.per, counts, limit, used, ...where };
    }
    return undefined;
  }
}

const countsInWords = { tokens: 'tokens (results and model)', resultTokens: 'result tokens', modelTokens: 'model tokens' } as const;

/** The BUDGET_EXCEEDED error of a spent budget: which budget, for whom, how much, and when it resets. */
export function budgetExceeded(budget: BudgetInfo): ManifoldError {
  const spent = `${budget.used} of ${budget.limit} ${countsInWords[budget.counts]}`;
  const message =
    budget.per === 'run'
      ? `token budget "${budget.name}" spent by run ${budget.runId} of workflow "${budget.workflow}": ${spent} for one run; the run's further calls are refused (a new run starts from zero)`
      : `token budget "${budget.name}" spent for ${budget.principal !== undefined ? budget.principal : `view "${budget.view}"`}: ${spent} this ${budget.per} (UTC); resets at ${budget.resetsAt} (in ${inWords(budget.retryAfterMs ?? 0)})`;
  return new ManifoldError('BUDGET_EXCEEDED', message, { data: { budget } });
}

/** A spent budget's refusal of a tool call, as a tool error: the message, and the budget under `_meta["manifold/budget"]`. */
export function toBudgetToolResult(error: ManifoldError): GatewayResult {
  return {
    content: [{ type: 'text', text: error.message }],
    isError: true,
    _meta: { [budgetMetaKey]: { code: error.code, ...(error.data?.budget as BudgetInfo) } }
  };
}

function inWords(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 60) return `${minutes} m`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} m`;
}

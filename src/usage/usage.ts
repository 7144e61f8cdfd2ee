import type { Catalog } from '../catalog/index.js';
import { countTextTokens } from '../discovery/index.js';
import type { BudgetConfig, UsageOptions } from '../config/index.js';
import type { Middleware } from '../core/pipeline.js';
import type { UsageStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { Budgets } from './budgets.js';
import type { SharedWindows } from './shared-windows.js';
import { TokenAccounting } from './token-accounting.js';
import { createUsageStage } from './usage-stage.js';

export interface UsageSetup {
  options: UsageOptions;
  budgets: readonly BudgetConfig[];
  catalog: Catalog;
  /** The store aggregates go to, opened on first use. */
  store: () => UsageStore | undefined;
  isWorkflow: (name: string) => boolean;
  logger: Logger;
  /** Budget windows shared with the other instances (fleet mode); default: this process's own. */
  shared?: SharedWindows | undefined;
  now?: () => number;
}

/** Who received an answer that did not travel the pipeline (a list, a view's own tool). */
export interface AnswerSubject {
  principal: string;
  view: string;
}

/**
 * `usage:` and `budgets:`, built once per gateway: the accounting, the budgets it feeds, and the pipeline stage.
 * Lists and a view's own tools (retrieve_tools) are answered outside the pipeline: the downstream server records
 * them with `recordAnswer`.
 */
export class Usage {
  readonly accounting: TokenAccounting;
  readonly budgets: Budgets;
  readonly middleware: Middleware;

  constructor(setup: UsageSetup) {
    this.accounting = new TokenAccounting({
      store: setup.store,
      maxPending: setup.options.maxPending,
      logger: setup.logger,
      shared: setup.shared,
      ...(setup.now ? { now: setup.now } : {})
    });
    this.budgets = new Budgets(setup.budgets, this.accounting);
    // The tokenizer's tables (about 175 ms to load) are loaded now, at start, not in the first batch of answers.
    countTextTokens('');
    this.middleware = createUsageStage({ accounting: this.accounting, budgets: this.budgets, catalog: setup.catalog, isWorkflow: setup.isWorkflow });
  }

  /** Queues an answer served outside the pipeline (`list:tools`, a view's `retrieve_tools`) to be counted. */
  recordAnswer(subject: AnswerSubject, tool: string, answer: unknown, input?: unknown): void {
    this.accounting.record({ principal: subject.principal, view: subject.view, server: '', tool, workflow: '', input, answer, at: this.accounting.clock() });
  }

  close(): void {
    this.accounting.close();
  }
}

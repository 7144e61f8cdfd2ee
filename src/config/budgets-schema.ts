import * as z from 'zod/v4';

import type { ReferenceIssue } from './references.js';

/** The windows a budget counts over: an hour or a day (UTC, aligned), or one workflow run. */
export const budgetWindows = ['hour', 'day', 'run'] as const;
export type BudgetWindow = (typeof budgetWindows)[number];

/**
 * One token budget (`budgets[i]`, docs/CONFIG.md "Budgets"): per principal or view per hour or day, or per
 * workflow run. Tokens are counted as docs/OBSERVABILITY.md "Token usage and budgets" says: result tokens are
 * what clients received (results and lists), model tokens what agents and workflow model steps used.
 */
export const budgetSchema = z
  .strictObject({
    /** Named in the refusal; default `budgets[<index>]`. */
    name: z.string().min(1).optional(),
    /** The window: `hour` or `day` (UTC), or `run` (one workflow run). */
    per: z.enum(budgetWindows),
    /** Hour and day budgets: each principal (default) or each view gets its own count. */
    by: z.enum(['principal', 'view']).default('principal'),
    /** Glob on the principal's name; default every principal. */
    principal: z.string().min(1).default('*'),
    /** Glob on the view's name (`default` is /mcp without views); absent: calls of any view and of none. */
    view: z.string().min(1).optional(),
    /** `per: run`: glob on the workflow's name; default every workflow. */
    workflow: z.string().min(1).optional(),
    /** Most result tokens plus model tokens in the window. */
    tokens: z.number().int().min(1).optional(),
    /** Most result tokens (results and lists clients received) in the window. */
    resultTokens: z.number().int().min(1).optional(),
    /** Most model tokens (agents, orchestrators, routers, workflow model steps) in the window. */
    modelTokens: z.number().int().min(1).optional()
  })
  .superRefine((budget, context) => {
    if (budget.tokens === undefined && budget.resultTokens === undefined && budget.modelTokens === undefined)
      context.addIssue({ code: 'custom', message: 'a budget needs "tokens", "resultTokens" or "modelTokens"' });
    if (budget.per !== 'run' && budget.workflow !== undefined)
      context.addIssue({ code: 'custom', path: ['workflow'], message: '"workflow" is for per: run budgets; an hour or day budget counts every call of its principal or view' });
  });

export const budgetsSchema = z.array(budgetSchema).default([]);

/** `usage:`: runtime token accounting (docs/OBSERVABILITY.md "Token usage and budgets"). */
export const usageOptionsSchema = z.strictObject({
  /**
   * Count tokens of answers and store hourly aggregates. Default: on when `budgets` are configured, else off
   * (counting loads the tokenizer, about 65 MiB, and costs CPU per answer: docs/PERFORMANCE.md).
   */
  enabled: z.boolean().optional(),
  /** Most answers waiting to be counted; past it an answer is counted as a call without tokens (and logged). */
  maxPending: z.number().int().min(1).default(10_000)
});

export type BudgetConfig = z.output<typeof budgetSchema>;
export type UsageOptions = z.output<typeof usageOptionsSchema>;

/** Whether token accounting runs: `usage.enabled`, or by default whenever there are budgets. */
export function usageEnabled(config: { budgets: readonly BudgetConfig[]; usage: UsageOptions }): boolean {
  return config.usage.enabled ?? config.budgets.length > 0;
}

/** Budget names unique; budgets need accounting on; a budget's literal view name must be declared. */
export function checkBudgetReferences(config: {
  budgets: readonly BudgetConfig[];
  usage: UsageOptions;
  views: Record<string, unknown>;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const seen = new Map<string, number>();
  config.budgets.forEach((budget, index) => {
    const name = budget.name ?? `budgets[${index}]`;
    const earlier = seen.get(name);
    if (earlier !== undefined) issues.push({ path: ['budgets', index, 'name'], message: `the name "${name}" is already used by budgets.${earlier}; each budget needs its own name` });
    else seen.set(name, index);
    if (budget.view !== undefined && !/[*?]/.test(budget.view) && budget.view !== 'default' && !(budget.view in config.views))
      issues.push({ path: ['budgets', index, 'view'], message: `no view "${budget.view}" is declared under views:` });
  });
  if (config.budgets.length > 0 && config.usage.enabled === false)
    issues.push({ path: ['usage', 'enabled'], message: 'budgets need token accounting: remove usage.enabled: false, or the budgets' });
  return issues;
}

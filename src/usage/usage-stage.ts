import type { Catalog } from '../catalog/index.js';
import type { DispatchMethod, GatewayRequest, GatewayResult, Handler, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { createServerOf } from '../limits/index.js';
import { budgetExceeded, type Budgets, toBudgetToolResult } from './budgets.js';
import type { TokenAccounting } from './token-accounting.js';

/** The methods whose answers are counted (subscriptions answer nothing worth counting). */
const countedMethods: ReadonlySet<DispatchMethod> = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

export interface UsageStageOptions {
  accounting: TokenAccounting;
  budgets: Budgets;
  catalog: Catalog;
  /** Whether a public tool name is a declared workflow (its calls count under that workflow). */
  isWorkflow: (name: string) => boolean;
}

/** What a request is for, as a usage row names it. */
function toolOf(request: GatewayRequest): string {
  const params = request.params;
  switch (request.method) {
    case 'tools/call':
      return String(params.name);
    case 'prompts/get':
      return `prompt:${String(params.name)}`;
    case 'completion/complete':
      return 'completion';
    default:
      return `resource:${String(params.uri)}`;
  }
}

/**
 * Model tokens an answer reports: a workflow's `_meta["manifold/usage"].totalTokens`, or (the gateway's own
 * agents, orchestrators and routers) `structuredContent.usage.totalTokens`. An upstream's answer reports none.
 */
export function modelTokensOf(result: GatewayResult, local: boolean): number {
  const meta = (result._meta as Record<string, unknown> | undefined)?.['manifold/usage'] as { totalTokens?: unknown } | undefined;
  if (typeof meta?.totalTokens === 'number') return meta.totalTokens;
  if (!local) return 0;
  const usage = (result.structuredContent as { usage?: { totalTokens?: unknown } } | undefined)?.usage;
  return typeof usage?.totalTokens === 'number' ? usage.totalTokens : 0;
}

/**
 * The pipeline stage of token accounting and `budgets:` (docs/OBSERVABILITY.md "Token usage and budgets"),
 * next to limits: a call whose caller (principal, view, workflow run) has spent a budget is refused — a tool
 * call with a tool error, other methods with a BUDGET_EXCEEDED JSON-RPC error — before it does any work; every
 * other call's answer is queued to be counted when it comes back (the counting itself runs later, in a batch).
 */
export function createUsageStage(options: UsageStageOptions): Middleware {
  const { accounting, budgets } = options;
  const serverOf = createServerOf(options.catalog);
  return (next: Handler): Handler =>
    async (request: GatewayRequest): Promise<GatewayResult> => {
      if (!countedMethods.has(request.method)) return next(request);
      const downstream = request.downstream;
      const principal = principalOf(downstream).name;
      const view = downstream.view ?? '';
      const workflowStep = downstream.workflow;
      if (budgets.size > 0) {
        if (accounting.shares) await budgets.readShared({ principal, view });
        const spent = budgets.check({ principal, view, workflow: workflowStep });
        if (spent) {
          const error = budgetExceeded(spent);
          if (request.method === 'tools/call') return toBudgetToolResult(error);
          throw error;
        }
      }
      const tool = toolOf(request);
      const server = serverOf(request) ?? '';
      const workflow = workflowStep?.name ?? (request.method === 'tools/call' && options.isWorkflow(tool) ? tool : '');
      const input = request.method === 'tools/call' || request.method === 'prompts/get' ? request.params.arguments : undefined;
      const entry = { principal, view, server, tool, workflow, runId: workflowStep?.runId, input, onTokens: request.onTokens };
      let result: GatewayResult;
      try {
        result = await next(request);
      } catch (error) {
        accounting.record({ ...entry, at: accounting.clock() });
        throw error;
      }
      accounting.record({ ...entry, answer: result, modelTokens: modelTokensOf(result, server === ''), at: accounting.clock() });
      // A workflow's own call has ended: its run's step count is of no further use.
      if (!workflowStep && workflow !== '') {
        const runId = (result._meta as Record<string, unknown> | undefined)?.['manifold/run-id'];
        if (typeof runId === 'string') accounting.endRun(runId);
      }
      return result;
    };
}

import type { Principal } from '../core/principal.js';
import type { ModelBackend, ModelRequest, ModelToolDefinition, ModelTurn } from '../agents/index.js';
import type { AgentConfig, ModelConfig } from '../config/index.js';
import { errorMessage, isManifoldError } from '../core/errors.js';
import { clip } from './json-text.js';
import { StepFailed } from './step-failure.js';

/**
 * What model steps (`agent`, `aggregate` on parallel, `evaluate`) need of the gateway: the configured models
 * and agents, a model's backend, and the tools an agent is offered (only its servers'). The gateway builds it
 * from its AgentRunner; without it a workflow with a model step does not load.
 */
export interface WorkflowModels {
  readonly models: Readonly<Record<string, ModelConfig>>;
  readonly agents: Readonly<Record<string, AgentConfig>>;
  /** The configured servers' names (an inline agent's `servers` are checked against them). */
  readonly servers: readonly string[];
  backend(name: string): ModelBackend;
  /**
   * The tools offered to an agent: its servers' tools, narrowed by its `tools` globs and, with a principal, by
   * what that principal's rules let it see (the run's caller).
   */
  tools(agent: AgentConfig, principal?: Principal): ModelToolDefinition[];
}

/** The `_meta` key of a workflow result that carries the run's model usage (and the run record's result). */
export const usageMetaKey = 'manifold/usage';

/** What a model call was for, in a workflow run. */
export type ModelCallPhase = 'agent' | 'aggregate' | 'generate' | 'evaluate';

/** One model call of a workflow run: where, which model (and agent), and its tokens. */
export interface ModelCallRecord {
  step: string;
  phase: ModelCallPhase;
  model: string;
  agent?: string | undefined;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** The model usage of one workflow run: every call, and totals per step, model and agent. */
export class RunUsage {
  readonly calls: ModelCallRecord[] = [];

  /** A backend whose calls are counted under `step` (and `agent`). */
  wrap(backend: ModelBackend, step: string, phase: ModelCallPhase, agent?: string): ModelBackend {
    return {
      name: backend.name,
      description: backend.description,
      generate: async (request: ModelRequest): Promise<ModelTurn> => {
        const started = performance.now();
        const turn = await backend.generate(request);
        this.calls.push({
          step,
          phase,
          model: backend.name,
          ...(agent !== undefined ? { agent } : {}),
          inputTokens: turn.usage.inputTokens,
          outputTokens: turn.usage.outputTokens,
          durationMs: Math.round(performance.now() - started)
        });
        return turn;
      }
    };
  }

  /** Totals of the calls of one step (a step path and the paths under it), for its record. */
  totalsOf(step: string): UsageTotals {
    return totals(this.calls.filter(call => call.step === step || call.step.startsWith(`${step}.`) || call.step.startsWith(`${step}[`)));
  }

  summary(): RunUsageSummary {
    const group = (key: (call: ModelCallRecord) => string | undefined) => {
      const groups: Record<string, ModelCallRecord[]> = {};
      for (const call of this.calls) {
        const name = key(call);
        if (name !== undefined) (groups[name] ??= []).push(call);
      }
      return Object.fromEntries(Object.entries(groups).map(([name, calls]) => [name, totals(calls)]));
    };
    const all = totals(this.calls);
    return {
      inputTokens: all.inputTokens,
      outputTokens: all.outputTokens,
      totalTokens: all.totalTokens,
      calls: this.calls,
      byStep: group(call => call.step),
      byModel: group(call => call.model),
      byAgent: group(call => call.agent)
    };
  }
}

/** A run's model usage, as returned in results (`usage`) and recorded with the run. */
export interface RunUsageSummary {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  calls: ModelCallRecord[];
  byStep: Record<string, UsageTotals>;
  byModel: Record<string, UsageTotals>;
  byAgent: Record<string, UsageTotals>;
}

function totals(calls: readonly ModelCallRecord[]): UsageTotals {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const call of calls) {
    inputTokens += call.inputTokens;
    outputTokens += call.outputTokens;
  }
  return { calls: calls.length, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/** A step's usage in the words of its record's detail (the timeline of `manifold runs <id>`). */
export function describeUsage(usage: UsageTotals): string | undefined {
  if (usage.calls === 0) return undefined;
  return `tokens ${usage.inputTokens} in + ${usage.outputTokens} out, ${usage.calls} model call(s)`;
}

/** The models, or a step failure saying the gateway has none (a workflow run outside a gateway). */
export function requireModels(models: WorkflowModels | undefined, label: string): WorkflowModels {
  if (models) return models;
  throw new StepFailed({
    step: label,
    reason: 'error',
    message: 'this run has no models to call: model steps run only in a gateway with "models" configured',
    hint: 'run the workflow through the gateway (manifold serve / manifold call)',
    retryable: false
  });
}

/**
 * A model call's error as a step failure: an answer that was not the JSON asked for (reason `model-output`,
 * the raw text kept), or the endpoint failing (reason `model-error`, naming the model and URL).
 */
export function modelFailure(error: unknown, label: string, what: string): StepFailed {
  if (error instanceof StepFailed) return error;
  if (isManifoldError(error) && error.code === 'MODEL_OUTPUT_INVALID') {
    const data = error.data as { raw?: unknown } | undefined;
    const raw = typeof data?.raw === 'string' ? data.raw : undefined;
    return new StepFailed({
      step: label,
      reason: 'model-output',
      message: `${errorMessage(error)}${raw !== undefined ? `; the answer was: ${clip(raw, 2000)}` : ''}`,
      hint: `tighten ${what}'s instruction (or its schema), or use a stronger model; the raw answer is in structuredContent.error.raw`,
      retryable: false,
      ...(raw !== undefined ? { raw } : {})
    });
  }
  return new StepFailed({
    step: label,
    reason: 'model-error',
    message: errorMessage(error),
    hint: `check that the model endpoint is up and its model, key and baseURL are right (manifold doctor), then run again`,
    retryable: false
  });
}

/** A task or prompt value as text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null, null, 2);
}

import { principalOf } from '../core/principal.js';
import { type AgentRunHooks, extractJsonObject, journalHooks, runAgent } from '../agents/index.js';
import type { AgentConfig } from '../config/index.js';
import type { GatewayResult } from '../core/pipeline.js';
import { sleep } from '../core/race-abort.js';
import { StepInFlight } from '../store/index.js';
import type { CompiledStep } from './compile-workflow.js';
import { clip, sizeOf } from './json-text.js';
import { asText, describeUsage, modelFailure, requireModels } from './model-steps.js';
import { interruptedFailure, StepFailed } from './step-failure.js';
import type { StepRunner } from './step-runner.js';
import { evaluateTemplate, type Scope } from './template.js';

/** What an agent step (or an evaluate step's agent) gave: the agent's answer and what it did. */
export interface AgentValue {
  /** The agent's final answer. */
  text: string;
  /** The answer as JSON, when it is one JSON object. */
  json?: Record<string, unknown>;
  agent: string;
  model: string;
  turns: number;
  /** The tool calls it made (tool, arguments, outcome). */
  steps: unknown[];
  usage: unknown;
}

/**
 * An `agent` step: a declared agent (`agent: <name>`) or one written in the step, run on the task (a template)
 * with only its servers' tools, every call through the pipeline. Its result is the agent's text and what it did.
 * A model loop is not idempotent: it is retried only when the step says `retry: { force: true }`. Its model turns
 * and tool calls are journaled one by one, so a run resumed while it was in flight goes on from its last journaled
 * turn (a tool call in flight that is not read-only or idempotent stops it `interrupted` until resumed with force).
 */
export async function runAgentStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'agent' }>, scope: Scope, label: string, signal: AbortSignal): Promise<unknown> {
  const models = requireModels(run.options.models, label);
  const { name, agent } = resolveAgent(step.step.agent, models.agents, label);
  const task = asText(await run.evaluate(() => evaluateTemplate(step.task, scope, true), label, undefined, 'agent'));
  const policy = step.step.retry;
  // The schema lets only a forced retry through (a model loop is not idempotent).
  const attempts = policy?.force === true ? 1 + policy.attempts : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await runAgentTask(run, name, agent, task, label, signal, attempt);
    } catch (error) {
      const failed = error instanceof StepFailed ? error : modelFailure(error, label, `agent "${name}"`);
      if (attempt >= attempts || signal.aborted || failed.failure.reason === 'interrupted') throw failed;
      await sleep((policy?.backoff ?? 0) * (policy?.factor ?? 2) ** (attempt - 1), signal).catch(() => {
        throw failed;
      });
    }
  }
}

/**
 * Runs an agent once on a task, journaled and recorded as a step of the run: the whole run as one unit (key `label`,
 * kind `model-turn`: a finished one is replayed, the model not called), and inside it each model turn and tool call
 * (keys `<label>.turn:<n>`, `<label>.turn:<n>.call:<i>`; a later attempt's `<label>#<attempt>.…`), so an agent in
 * flight at a crash goes on from its journal.
 */
export async function runAgentTask(run: StepRunner, name: string, agent: AgentConfig, task: string, label: string, signal: AbortSignal, attempt = 1): Promise<AgentValue> {
  const models = requireModels(run.options.models, label);
  const handle = run.startStep({ path: label, kind: 'agent', tool: `agent ${name}`, attempt, input: clip(task) });
  const before = run.usage.calls.length;
  try {
    const { output, replayed } = await run.journal.run(
      // Safe to start again: its turns and tool calls are journaled inside it, each with its own safety.
      { key: label, kind: 'model-turn', idempotent: true, label: `agent ${name}` },
      async () => {
        const backend = run.usage.wrap(models.backend(agent.model), label, 'agent', name);
        const downstream = run.childContext(signal, label);
        const turns = journalHooks({
          journal: run.journal,
          force: run.options.resume?.force ?? false,
          findTool: tool => run.options.catalog.findTool(tool)?.definition,
          // The step's own record says what the agent did (its tool calls, usage); its turns are not records of their own.
          steps: { start: () => undefined, end: () => {} },
          scope: { path: label, key: attempt === 1 ? label : `${label}#${attempt}` }
        });
        // A turn replayed from the journal did not go through the counting backend: it counts as it did when it was made.
        const hooks: AgentRunHooks = {
          ...turns,
          modelTurn: async (turn, work) => {
            let called = false;
            const answer = await turns.modelTurn(turn, () => {
              called = true;
              return work();
            });
            if (!called) run.usage.calls.push({ step: label, phase: 'agent', model: backend.name, agent: name, inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens, durationMs: 0 });
            return answer;
          }
        };
        const result = await runAgent({
          name,
          agent,
          backend,
          tools: models.tools(agent, principalOf(downstream)),
          task,
          request: { method: 'tools/call', params: { name, arguments: { task } }, downstream },
          pipeline: run.options.pipeline,
          hooks
        });
        return toAgentOutcome(result);
      },
      outcome => outcome.ok
    );
    const usage = run.usage.calls.slice(before);
    const detail = replayed
      ? 'resumed: the answer this agent gave before is reused, the model was not called again'
      : describeUsage({ calls: usage.length, inputTokens: sum(usage, 'inputTokens'), outputTokens: sum(usage, 'outputTokens'), totalTokens: 0 });
    if (!output.ok) {
      const message = `agent "${name}" failed (${output.reason}): ${output.value.text}`;
      run.endStep(handle, 'failed', undefined, message, detail);
      throw new StepFailed(
        {
          step: label,
          tool: `agent ${name}`,
          reason: 'model-error',
          message,
          hint:
            output.reason === 'max_turns'
              ? `raise the agent's maxTurns or narrow the task; the tool calls it made are in the step's partial result (manifold runs ${run.id})`
              : `check the model endpoint (manifold doctor) and the agent's servers; manifold runs ${run.id} shows the step`,
          retryable: false
        },
        output.value
      );
    }
    run.endStep(handle, 'ok', sizeOf(output.value), undefined, detail);
    return output.value;
  } catch (error) {
    if (error instanceof StepFailed) throw error;
    if (error instanceof StepInFlight) {
      run.endStep(handle, 'failed', undefined, error.message);
      throw interruptedFailure(error, label, `agent ${name}`, run.id);
    }
    const failed = run.controller.signal.aborted ? run.stopped(label, undefined) : modelFailure(error, label, `agent "${name}"`);
    run.endStep(handle, 'failed', undefined, failed.failure.message);
    throw failed;
  }
}

/** A declared agent by name, or the inline one (named after the step). */
function resolveAgent(agent: Extract<CompiledStep, { kind: 'agent' }>['step']['agent'], agents: Readonly<Record<string, AgentConfig>>, label: string): { name: string; agent: AgentConfig } {
  if (typeof agent !== 'string') return { name: label, agent };
  const declared = agents[agent];
  // Checked at load; a definition passed to run_workflow is checked the same way, so this is a guard.
  if (!declared) throw new StepFailed({ step: label, reason: 'not-found', message: `there is no agent "${agent}"`, hint: 'name a key of "agents" in the config', retryable: false });
  return { name: agent, agent: declared };
}

type AgentOutcome = { ok: true; value: AgentValue } | { ok: false; reason: string; value: AgentValue };

function toAgentOutcome(result: GatewayResult): AgentOutcome {
  const structured = (result.structuredContent ?? {}) as { agent?: string; model?: string; turns?: number; steps?: unknown[]; usage?: unknown; reason?: string };
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  const text = content.map(block => (block.type === 'text' ? (block.text ?? '') : '')).join('\n');
  const parsed = extractJsonObject(text);
  const value: AgentValue = {
    text,
    ...(parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value) ? { json: parsed.value as Record<string, unknown> } : {}),
    agent: structured.agent ?? '',
    model: structured.model ?? '',
    turns: structured.turns ?? 0,
    steps: structured.steps ?? [],
    usage: structured.usage ?? null
  };
  if (result.isError === true) return { ok: false, reason: structured.reason ?? 'error', value };
  return { ok: true, value };
}

function sum(calls: ReadonlyArray<{ inputTokens: number; outputTokens: number }>, key: 'inputTokens' | 'outputTokens'): number {
  return calls.reduce((total, call) => total + call[key], 0);
}

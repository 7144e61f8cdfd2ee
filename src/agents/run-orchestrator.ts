import type { ZodType } from 'zod/v4';

import type { AgentConfig, OrchestratorConfig } from '../config/index.js';
import { errorMessage, isManifoldError } from '../core/errors.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { generateJson } from './generate-json.js';
import type { ModelBackend, ModelToolDefinition } from './model-backend.js';
import {
  checkWorkers,
  defaultSynthesis,
  type FullPlan,
  fullPlanSchema,
  nextStepSchema,
  plannerPrompt,
  plannerSystem,
  type PlanTask,
  synthesisPrompt,
  type TaskRecord,
  workerPrompt
} from './orchestrator-plan.js';
import type { AgentRunHooks } from './agent-run-hooks.js';
import { mapBounded, resultText, runAgent } from './run-agent.js';
import { type CallLabel, type MeteredCall, UsageMeter } from './usage-meter.js';

/** Why an orchestrator run ended without an answer (`structuredContent.reason` of its tool error). */
export type OrchestratorFailure = 'budget' | 'max_iterations' | 'invalid_plan' | 'model_error' | 'cancelled';

/** A worker as the run needs it: its config, its model's backend and the tools it is offered now. */
export interface WorkerSetup {
  agent: AgentConfig;
  backend: ModelBackend;
  tools: readonly ModelToolDefinition[];
}

export interface RunOrchestratorOptions {
  /** `orchestrators.<name>`. */
  name: string;
  orchestrator: OrchestratorConfig;
  /** The planner's and synthesizer's model. */
  backend: ModelBackend;
  /** Each worker by name (only the orchestrator's `workers`). */
  workers: ReadonlyMap<string, WorkerSetup>;
  task: string;
  request: GatewayRequest;
  pipeline: Handler;
  /**
   * Records and journals the run: each planner call, each worker task's result (and inside it the task's model
   * turns and tool calls), the synthesis. A resumed run replays them: the model is asked again only from the first
   * call without a journaled answer, a finished task is not run again, a task in flight goes on from its journal.
   */
  hooks?: AgentRunHooks | undefined;
}

/** One plan step's tasks as recorded in the result. */
interface TaskEntry extends TaskRecord {
  index: number;
}

/** A worker task as journaled: its record, and its model calls (counted again when it is replayed). */
interface JournaledTask {
  entry: TaskEntry;
  calls: MeteredCall[];
}

/**
 * Runs an orchestrator: the planner (through generateJson, workers checked, one repair) makes a full plan or the
 * next step; the tasks of a step run at once (at most `maxParallel`), each an agent run of its worker over only
 * that worker's tools, with the results of earlier steps in its prompt; then a synthesis call writes the answer.
 * `maxIterations` and the budgets (tokens of every model call, worker tasks, wall time) end a run as a tool
 * error with `reason` and `partial_results`, never as a success.
 */
export async function runOrchestrator(options: RunOrchestratorOptions): Promise<GatewayResult> {
  const { name, orchestrator, task, request, pipeline } = options;
  const caller = request.downstream;
  const budget = orchestrator.budget;
  const started = performance.now();
  const stop = new AbortController();
  let budgetReason: string | undefined;
  const spend = (why: string) => {
    if (budgetReason !== undefined) return;
    budgetReason = why;
    stop.abort(new Error(why));
  };
  const meter = new UsageMeter(budget.tokens, () =>
    spend(`the token budget (${budget.tokens}, orchestrators.${name}.budget.tokens) is spent`)
  );
  const timer =
    budget.time === undefined
      ? undefined
      : setTimeout(
          () => spend(`the time budget (${budget.time} ms, orchestrators.${name}.budget.time) is spent`),
          budget.time
        );
  const signal = AbortSignal.any([caller.signal, stop.signal]);
  const plans: unknown[] = [];
  const tasks: TaskEntry[] = [];
  let progress = 0;
  const report = (message: string) => {
    if (caller.progressToken === undefined) return;
    void caller
      .notify({
        method: 'notifications/progress',
        params: {
          progressToken: caller.progressToken,
          progress: progress++,
          message: `orchestrator ${name}: ${message}`
        }
      })
      .catch(() => {});
  };
  const record = (extra: Record<string, unknown>) => ({
    orchestrator: name,
    model: options.backend.name,
    mode: orchestrator.plan,
    ...extra,
    plans,
    tasks: tasks.map(({ index: _index, ...entry }) => entry),
    durationMs: Math.round(performance.now() - started),
    usage: meter.summary()
  });
  const partial = () =>
    tasks
      .filter(entry => entry.outcome === 'ok')
      .map(({ step, worker, task: text, text: result }) => ({
        step,
        worker,
        task: text,
        result
      }));
  const fail = (reason: OrchestratorFailure, text: string, extra: Record<string, unknown> = {}): GatewayResult => ({
    isError: true,
    content: [{ type: 'text', text }],
    structuredContent: record({ reason, partial_results: partial(), ...extra })
  });
  /** The failure for an interruption: a budget, the caller, or else the error as it is. */
  const interrupted = (where: string, error?: unknown): GatewayResult | undefined => {
    if (budgetReason !== undefined)
      return fail(
        'budget',
        `Orchestrator "${name}" stopped ${where}: ${budgetReason}. The results so far are in structuredContent.partial_results.`,
        {
          budget: budgetReason
        }
      );
    if (caller.signal.aborted) return fail('cancelled', `Orchestrator "${name}" was cancelled ${where}.`);
    if (error === undefined) return undefined;
    if (isManifoldError(error) && error.code === 'MODEL_OUTPUT_INVALID') {
      const data = (error.data ?? {}) as { raw?: string; why?: string };
      return fail('invalid_plan', `Orchestrator "${name}" got no usable plan ${where}: ${errorMessage(error)}`, {
        raw: data.raw,
        why: data.why
      });
    }
    return fail('model_error', `Orchestrator "${name}" stopped ${where}: ${errorMessage(error)}`);
  };

  const workerNames = [...options.workers.keys()];
  const system = plannerSystem(
    orchestrator,
    workerNames.map(worker => [worker, options.workers.get(worker)!.agent] as [string, AgentConfig])
  );
  /**
   * A planner's or the synthesis' model work as one journaled unit: its answer is replayed on resume (its calls
   * counted as they were); work that failed (no usable plan, a model error) is not kept, so a resumed run asks again.
   */
  const modelWork = async <T>(unit: { key: string; path: string }, label: CallLabel, work: (backend: ModelBackend) => Promise<T>): Promise<T> => {
    const hooks = options.hooks;
    if (!hooks) return work(meter.wrap(options.backend, label));
    let ran = false;
    const done = await hooks.unit<{ output: T; calls: MeteredCall[] }>(
      { ...unit, kind: 'model-turn', tool: 'model' },
      async () => {
        ran = true;
        const calls: MeteredCall[] = [];
        return { output: await work(meter.wrap(options.backend, label, calls)), calls };
      },
      ({ calls }) => ({ ok: true, detail: `${calls.length} model call(s), ${calls.reduce((sum, call) => sum + call.inputTokens, 0)} in + ${calls.reduce((sum, call) => sum + call.outputTokens, 0)} out tokens` })
    );
    if (!ran) meter.replay(done.calls);
    return done.output;
  };
  const plan = async <T>(step: number, schema: ZodType<T>, tasksOf: (value: T) => PlanTask[]) =>
    modelWork(orchestrator.plan === 'full' ? { key: 'plan', path: 'plan' } : { key: `plan:${step}`, path: `plan step ${step}` }, { phase: 'plan', step }, backend => generateJson({
      backend,
      system,
      prompt: plannerPrompt(task, orchestrator.plan === 'iterative' ? tasks : []),
      schema,
      check: value => checkWorkers(tasksOf(value), workerNames),
      what: orchestrator.plan === 'full' ? 'a plan' : 'the next plan step',
      signal,
      caller
    }));

  try {
    let steps: PlanTask[][] | undefined;
    if (orchestrator.plan === 'full') {
      report('planning');
      let full: FullPlan;
      try {
        full = (await plan(1, fullPlanSchema, value => value.steps.flatMap(step => step.tasks))).value;
      } catch (error) {
        return interrupted('while planning', error)!;
      }
      plans.push(full);
      steps = full.steps.map(step => step.tasks);
    }
    for (let step = 1; ; step++) {
      let stepTasks: PlanTask[];
      if (steps) {
        if (step > steps.length) break;
        stepTasks = steps[step - 1]!;
      } else {
        report(`planning step ${step}`);
        let next;
        try {
          next = (await plan(step, nextStepSchema, value => value.tasks)).value;
        } catch (error) {
          return interrupted(`while planning step ${step}`, error)!;
        }
        plans.push({ step, ...next });
        if (next.complete) break;
        if (next.tasks.length === 0)
          return fail(
            'invalid_plan',
            `Orchestrator "${name}": the planner said the task is not complete but gave no tasks for step ${step}.`
          );
        stepTasks = next.tasks;
      }
      if (step > orchestrator.maxIterations) {
        return fail(
          'max_iterations',
          `Orchestrator "${name}" did not finish within ${orchestrator.maxIterations} plan steps (orchestrators.${name}.maxIterations): the planner ${steps ? `planned ${steps.length}` : 'still asked for more'}. The results so far are in structuredContent.partial_results; raise maxIterations or narrow the task.`
        );
      }
      if (budget.steps !== undefined && tasks.length + stepTasks.length > budget.steps) {
        spend(
          `the steps budget (${budget.steps} worker tasks, orchestrators.${name}.budget.steps) would be passed by step ${step} (${tasks.length} run, ${stepTasks.length} more planned)`
        );
      }
      const stopped = interrupted(`before step ${step}`);
      if (stopped) return stopped;
      const earlier = tasks.slice();
      report(`step ${step}: ${stepTasks.length} task(s)`);
      let finished = 0;
      // A task that throws (a tool call in flight at a crash, not safe to repeat: the run stops interrupted) lets
      // the step's tasks in flight end (their results journaled) and starts no more, so none runs on behind the run.
      let thrown: { error: unknown } | undefined;
      const records = await mapBounded(stepTasks, orchestrator.maxParallel, async (planned, index) => {
        if (thrown) return undefined;
        try {
          const entry = await runWorker(step, index, planned, earlier);
          report(`step ${step}: task ${++finished}/${stepTasks.length} (${planned.worker}) ${entry.outcome}`);
          return entry;
        } catch (error) {
          thrown ??= { error };
          return undefined;
        }
      });
      if (thrown) throw thrown.error;
      tasks.push(...records.filter((entry): entry is TaskEntry => entry !== undefined));
      const after = interrupted(`in step ${step}`);
      if (after) return after;
    }
    report('synthesis');
    let answer;
    try {
      answer = await modelWork({ key: 'synthesis', path: 'synthesis' }, { phase: 'synthesis' }, backend =>
        backend.generate({
          system: orchestrator.synthesis ?? defaultSynthesis,
          messages: [{ role: 'user', text: synthesisPrompt(task, tasks) }],
          tools: [],
          signal,
          caller
        })
      );
    } catch (error) {
      return interrupted('in synthesis', error)!;
    }
    return {
      content: [{ type: 'text', text: answer.text || '(the model answered with no text)' }],
      structuredContent: record({ steps: new Set(tasks.map(entry => entry.step)).size })
    };
  } finally {
    if (timer) clearTimeout(timer);
  }

  /**
   * A worker task as one journaled unit (`step:<s>.task:<i>`): a task that finished (ok or with an error the plan
   * went on with) is replayed whole, its model calls counted again; one in flight runs again with its own turns
   * and tool calls replayed from the journal. Without hooks it simply runs.
   */
  async function runWorker(
    step: number,
    index: number,
    planned: PlanTask,
    earlier: readonly TaskRecord[]
  ): Promise<TaskEntry> {
    const hooks = options.hooks;
    if (!hooks) return workTask(step, index, planned, earlier, undefined, []);
    const path = `step ${step} task ${index + 1} ${planned.worker}`;
    const key = `step:${step}.task:${index}`;
    let ran = false;
    const done = await hooks.unit<JournaledTask>(
      { key, path, kind: 'task', tool: `worker ${planned.worker}` },
      async () => {
        ran = true;
        const calls: MeteredCall[] = [];
        return { entry: await workTask(step, index, planned, earlier, hooks.scoped({ path, key }), calls), calls };
      },
      task => ({ ok: task.entry.outcome === 'ok', detail: `${task.entry.turns} turn(s), ${task.calls.length} model call(s)`, ...(task.entry.outcome === 'ok' ? {} : { error: `${task.entry.outcome}: ${task.entry.text.slice(0, 500)}` }) }),
      // A cancelled task (the caller, a budget) is not a result: a resumed run does it again.
      task => task.entry.outcome !== 'cancelled'
    );
    if (!ran) meter.replay(done.calls);
    return done.entry;
  }

  /** Runs one worker task: an agent run of the worker over only its tools; its model calls are also added to `calls`. */
  async function workTask(
    step: number,
    index: number,
    planned: PlanTask,
    earlier: readonly TaskRecord[],
    taskHooks: AgentRunHooks | undefined,
    calls: MeteredCall[]
  ): Promise<TaskEntry> {
    const worker = options.workers.get(planned.worker)!;
    const began = performance.now();
    const downstream: DownstreamContext = { ...caller, signal, progressToken: undefined, notify: async () => {} };
    const label = { phase: 'worker' as const, step, worker: planned.worker };
    // A turn replayed from the journal did not go through the meter: it is counted as it was when it was made.
    const hooks: AgentRunHooks | undefined = taskHooks && {
      ...taskHooks,
      modelTurn: async (turn, work) => {
        let called = false;
        const answer = await taskHooks.modelTurn(turn, () => {
          called = true;
          return work();
        });
        if (!called) meter.count(label, worker.backend.name, answer, 0, calls);
        return answer;
      }
    };
    const result = await runAgent({
      name: planned.worker,
      agent: worker.agent,
      backend: meter.wrap(worker.backend, label, calls),
      tools: worker.tools,
      task: workerPrompt(planned.task, earlier),
      request: {
        method: 'tools/call',
        params: { name: planned.worker, arguments: { task: planned.task } },
        downstream
      },
      pipeline,
      hooks
    });
    const structured = (result.structuredContent ?? {}) as { reason?: string; turns?: number };
    const outcome = result.isError !== true ? 'ok' : signal.aborted ? 'cancelled' : 'error';
    return {
      index,
      step,
      worker: planned.worker,
      task: planned.task,
      outcome,
      text: resultText(result),
      ...(structured.reason ? { reason: structured.reason } : {}),
      durationMs: Math.round(performance.now() - began),
      turns: structured.turns ?? 0
    };
  }
}

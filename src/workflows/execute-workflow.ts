import { principalOf } from '../core/principal.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import type { Catalog } from '../catalog/index.js';
import { errorMessage } from '../core/errors.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { type Checkpoint, journalPoint, RunJournal, type RunOwner, type RunStatus, type RunStore, type StepRecord } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { noTracing, type Tracing } from '../telemetry/tracing/index.js';
import type { UpstreamConnection } from '../upstream/index.js';
import type { CompiledStep, CompiledWorkflow } from './compile-workflow.js';
import { clip, isPlainObject, safeJson, sizeOf } from './json-text.js';
import { Limiter } from './limiter.js';
import { RunUsage, usageMetaKey, type WorkflowModels } from './model-steps.js';
import { runAgentStep } from './run-agent-step.js';
import { runCallStep } from './run-call-step.js';
import { runEvaluateStep } from './run-evaluate-step.js';
import { runMapStep } from './run-map-step.js';
import { runParallelStep } from './run-parallel-step.js';
import { runSwitchStep } from './run-switch-step.js';
import { classifyError, type Failure, RunStopped, runIdMetaKey, StepFailed } from './step-failure.js';
import type { StepOutcome, StepRunner } from './step-runner.js';
import { type CompiledTemplate, evaluateTemplate, ExpressionError, type ItemError, type Scope, type StepEntry } from './template.js';

export { isTruthy } from './step-runner.js';

export interface ExecuteWorkflowOptions {
  workflow: CompiledWorkflow;
  /** The name recorded for the run (`(ad hoc)` for run_workflow). */
  runName: string;
  args: Record<string, unknown>;
  /** The caller's request: its signal, progress token and channels. */
  request: GatewayRequest;
  /** The gateway pipeline: every step goes through it, like a client's direct call. */
  pipeline: Handler;
  catalog: Catalog;
  /** The servers, to tell a tool that does not exist from one whose server is down. */
  upstreams?: ReadonlyMap<string, UpstreamConnection> | undefined;
  store: RunStore | undefined;
  logger: Logger;
  /** An INTERNAL span per step (nested steps under theirs), under the span of the call that ran the workflow. */
  tracing?: Tracing | undefined;
  /**
   * Checks the output against the workflow's outputSchema: what does not match, in words, or undefined. A run
   * whose output fails it is a failed run (reason `output`), recorded as such.
   */
  checkOutput?: ((structuredContent: unknown) => string | undefined) | undefined;
  /** The run's id (a run started in the background has one before it starts); a new one if unset. */
  runId?: string | undefined;
  /** The definition as JSON, recorded so that a resumed run goes on with the definition it started with. */
  definitionJson?: string | undefined;
  /** The process running it, recorded (a run whose process is gone is marked interrupted). */
  owner?: RunOwner | undefined;
  /**
   * Resumes the run `runId` (already claimed in the store) from its journal: finished steps and calls are not
   * done again; `force` re-runs a call that was in flight and is not idempotent.
   */
  resume?: { checkpoints: readonly Checkpoint[]; force: boolean } | undefined;
  /** The models and agents model steps (`agent`, `aggregate`, `evaluate`) use; without them such steps fail. */
  models?: WorkflowModels | undefined;
  /** Told each top-level step's result as it finishes (a run polled with runs_status). */
  onStepEnd?: ((id: string, value: unknown, done: number) => void) | undefined;
}

const now = () => performance.timeOrigin + performance.now();

/** A new run id: sortable by time, unique enough across processes. */
export function newRunId(): string {
  return `run_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Runs one workflow: steps in order, each through the pipeline, with the step and workflow policies; records
 * the run; sends progress to the caller as steps finish. Resolves to the tool result (a failed run is an
 * `isError` result with `structuredContent.partial_results`); never rejects for a step's failure.
 */
export async function executeWorkflow(options: ExecuteWorkflowOptions): Promise<GatewayResult> {
  // Declared workflows cannot call each other in a cycle (checked at load), but one that calls run_workflow
  // can be called back by the definition it passes: without a bound that recursion never yields.
  const depth = (nesting.getStore() ?? 0) + 1;
  if (depth > maxWorkflowDepth) {
    return {
      isError: true,
      content: [
        {
          type: 'text',
          text: `Workflow "${options.workflow.name}" was not run: workflows are nested ${maxWorkflowDepth} deep, the most allowed. A workflow calls itself, probably through run_workflow; break the cycle.`
        }
      ]
    };
  }
  return nesting.run(depth, () => new WorkflowRun(options).execute());
}

/** How many workflow runs deep this call is (a workflow's step that calls a workflow is one deeper). */
const nesting = new AsyncLocalStorage<number>();
/** The most workflow runs nested in one another. */
export const maxWorkflowDepth = 16;

class WorkflowRun implements StepRunner {
  readonly id: string;
  readonly journal: RunJournal;
  readonly options: ExecuteWorkflowOptions;
  private readonly workflow: CompiledWorkflow;
  private readonly caller: DownstreamContext;
  readonly controller = new AbortController();
  readonly callLimiter: Limiter;
  private readonly scope: Scope;
  private readonly continued: Array<{ step: string; message: string }> = [];
  readonly usage = new RunUsage();
  topIndex = 0;
  private lastProgress = -1;
  /** The progress notifications sent so far, chained. */
  private notifications: Promise<unknown> = Promise.resolve();

  constructor(options: ExecuteWorkflowOptions) {
    this.options = options;
    this.id = options.runId ?? newRunId();
    this.journal = new RunJournal({
      runId: this.id,
      store: options.store,
      prior: options.resume?.checkpoints,
      force: options.resume?.force,
      onWriteError: error => options.logger.warn(`cannot journal run ${this.id}: ${errorMessage(error)}`)
    });
    this.workflow = options.workflow;
    this.caller = options.request.downstream;
    this.callLimiter = new Limiter(options.workflow.definition.concurrency ?? Number.MAX_SAFE_INTEGER);
    this.scope = { input: options.args, steps: {}, vars: {} };
  }

  /**
   * The run, then its progress notifications flushed: a notification sent after the result is dropped by the
   * client (the request is over), so the last steps' progress went missing now and then.
   */
  async execute(): Promise<GatewayResult> {
    try {
      return await this.executeSteps();
    } finally {
      await Promise.race([this.notifications, new Promise(resolve => setTimeout(resolve, 1000).unref())]);
    }
  }

  private async executeSteps(): Promise<GatewayResult> {
    const definition = this.workflow.definition;
    const started = now();
    if (!this.options.resume) {
      this.record(store =>
        store.startRun({
          id: this.id,
          workflow: this.options.runName,
          status: 'running',
          startedAt: started,
          input: clip(safeJson(this.options.args)),
          arguments: safeJson(this.options.args),
          definition: this.options.definitionJson,
          owner: this.options.owner,
          principal: principalOf(this.caller).name
        })
      );
      journalPoint('run-start');
    }
    const onCallerAbort = () => this.controller.abort(new RunStopped('cancelled', 'the caller cancelled the run'));
    if (this.caller.signal.aborted) onCallerAbort();
    else this.caller.signal.addEventListener('abort', onCallerAbort, { once: true });
    const deadline =
      definition.timeout !== undefined
        ? setTimeout(
            () => this.controller.abort(new RunStopped('deadline', `the workflow's deadline of ${definition.timeout} ms passed`)),
            definition.timeout
          )
        : undefined;
    const partial: Record<string, unknown> = {};
    try {
      for (const [index, step] of this.workflow.steps.entries()) {
        this.topIndex = index;
        const id = step.step.id ?? String(index);
        const startedStep = now();
        try {
          // A resumed run takes a step an earlier execution finished from the journal, as it ended then.
          const replayed = this.journal.replay(`step:${id}`)?.output as StepOutcome | undefined;
          const outcome = replayed ?? (await this.runStep(step, this.scope, id, this.controller.signal));
          // A replayed step continued past its failure then: say so in the result as then.
          if (replayed?.error !== undefined) this.continued.push({ step: id, message: replayed.error });
          // What a top-level step's `let` set is read by the steps after it.
          Object.assign(this.scope.vars, outcome.vars);
          this.scope.steps[id] = toStepEntry(outcome);
          partial[id] = outcome.value;
          if (outcome.itemErrors) partial[`${id}.errors`] = outcome.itemErrors;
          if (!replayed) this.journal.record({ key: `step:${id}`, kind: 'step', idempotent: true }, outcome);
          this.options.onStepEnd?.(id, outcome.value, index + 1);
        } catch (error) {
          const failed = this.toStepFailed(error, id, undefined);
          if (failed.partial !== undefined) partial[id] = failed.partial;
          return this.fail(failed.failure, partial, started);
        }
        const entry = this.scope.steps[id];
        const how = entry?.status === 'ok' ? 'done' : entry?.status === 'partial' ? `done, ${entry.errors?.length ?? 0} item(s) failed (continued)` : 'failed (continued)';
        this.progress(index + 1, `step "${id}" ${how} in ${Math.round(now() - startedStep)} ms`);
      }
      let output: unknown;
      try {
        output = this.workflow.output ? await evaluateTemplate(this.workflow.output, this.scope) : this.scope.steps[this.workflow.steps.at(-1)?.step.id ?? '']?.result;
      } catch (error) {
        return this.fail(
          { step: 'output', reason: 'expression', message: errorMessage(error), hint: 'fix the workflow\'s "output" expression: the results it read are in structuredContent.partial_results', retryable: false },
          partial,
          started
        );
      }
      const mismatch = this.options.checkOutput?.(isPlainObject(output) ? output : undefined);
      if (mismatch !== undefined) {
        return this.fail(
          {
            step: 'output',
            reason: 'output',
            message: `the workflow finished, but its output does not match its outputSchema: ${mismatch}`,
            hint: 'fix the workflow\'s "output" (or its outputSchema): the output is in structuredContent.output, the steps\' results in structuredContent.partial_results',
            retryable: false
          },
          partial,
          started,
          { output: output ?? null }
        );
      }
      const result = this.success(output ?? null);
      this.record(store => store.endRun(this.id, { status: 'completed', endedAt: now(), outputSize: sizeOf(result), result: safeJson(result) }));
      return result;
    } finally {
      if (deadline) clearTimeout(deadline);
      this.caller.signal.removeEventListener('abort', onCallerAbort);
      // Nothing of this run may go on after it returned.
      if (!this.controller.signal.aborted) this.controller.abort(new RunStopped('cancelled', 'the run ended'));
    }
  }

  /**
   * Runs a step with its `let`, fallback and onError policy. `error` is set when the step failed and was
   * continued; `vars` holds what its `let` set; `itemErrors` the map items continued past.
   */
  runStep(step: CompiledStep, outer: Scope, label: string, signal: AbortSignal): Promise<StepOutcome> {
    const tracing = this.options.tracing ?? noTracing;
    if (!tracing.enabled) return this.runTracedStep(step, outer, label, signal);
    const attributes = {
      'manifold.workflow.name': this.options.runName,
      'manifold.workflow.run_id': this.id,
      'manifold.workflow.step': label,
      'manifold.workflow.step.kind': step.kind
    };
    return tracing.internal(`step ${label}`, attributes, () => this.runTracedStep(step, outer, label, signal));
  }

  private async runTracedStep(step: CompiledStep, outer: Scope, label: string, signal: AbortSignal): Promise<StepOutcome> {
    let scope = outer;
    let vars: Record<string, unknown> | undefined;
    try {
      if (step.lets) {
        vars = await this.evaluateLets(step.lets, outer, label, step.kind);
        scope = { ...outer, vars: { ...outer.vars, ...vars } };
      }
      return { ...(await this.runKind(step, scope, label, signal)), ...(vars ? { vars } : {}) };
    } catch (error) {
      let failed = this.toStepFailed(error, label, step.kind === 'call' ? step.step.call : undefined);
      // Interrupted is not the step's failure: neither its fallback nor onError applies.
      if (signal.aborted || failed.failure.reason === 'interrupted') throw failed;
      if (step.fallback) {
        try {
          return { ...(await this.runKind(step.fallback, scope, `${label}.fallback`, signal)), ...(vars ? { vars } : {}) };
        } catch (fallbackError) {
          const second = this.toStepFailed(fallbackError, `${label}.fallback`, step.fallback.kind === 'call' ? step.fallback.step.call : undefined);
          if (signal.aborted) throw second;
          failed = new StepFailed(
            { ...failed.failure, message: `${failed.failure.message}; its fallback failed too: ${second.failure.message}`, hint: second.failure.hint },
            failed.partial
          );
        }
      }
      if ((step.step.onError ?? this.workflow.definition.onError ?? 'fail') === 'continue') {
        this.continued.push({ step: failed.failure.step, message: failed.failure.message });
        return { value: null, error: failed.failure.message, ...(vars ? { vars } : {}) };
      }
      throw failed;
    }
  }

  /** A step's `let`, in order: each name sees the ones before it. A failure names the variable. */
  private async evaluateLets(lets: Array<[string, CompiledTemplate]>, outer: Scope, label: string, kind: CompiledStep['kind']): Promise<Record<string, unknown>> {
    const vars: Record<string, unknown> = {};
    for (const [name, template] of lets) {
      const scope = { ...outer, vars: { ...outer.vars, ...vars } };
      const evaluateOne = async () => {
        try {
          return await evaluateTemplate(template, scope);
        } catch (error) {
          throw error instanceof ExpressionError ? new ExpressionError(error.source, `let "${name}": ${error.message}`) : error;
        }
      };
      vars[name] = await this.evaluate(evaluateOne, label, undefined, kind);
    }
    return vars;
  }

  private async runKind(step: CompiledStep, scope: Scope, label: string, signal: AbortSignal): Promise<{ value: unknown; itemErrors?: ItemError[] }> {
    switch (step.kind) {
      case 'call':
        return { value: await runCallStep(this, step, scope, label, signal) };
      case 'parallel':
        return { value: await runParallelStep(this, step, scope, label, signal) };
      case 'map':
        return runMapStep(this, step, scope, label, signal);
      case 'switch':
        return { value: await runSwitchStep(this, step, scope, label, signal) };
      case 'agent':
        return { value: await runAgentStep(this, step, scope, label, signal) };
      case 'evaluate':
        return { value: await runEvaluateStep(this, step, scope, label, signal) };
    }
  }

  /** Evaluates a step's expression; a failure is recorded as the step's (so the run's timeline shows it) and thrown. */
  async evaluate(evaluate: () => Promise<unknown>, label: string, tool: string | undefined, kind: StepRecord['kind']): Promise<unknown> {
    try {
      return await evaluate();
    } catch (error) {
      if (error instanceof ExpressionError) {
        this.endStep(this.startStep({ path: label, kind, tool, attempt: 1 }), 'failed', undefined, error.message);
        throw new StepFailed({
          step: label,
          tool,
          reason: 'expression',
          message: error.message,
          hint: `fix the expression in the workflow definition, or check what the earlier steps returned (structuredContent.partial_results; manifold runs ${this.id} shows the run)`,
          retryable: false
        });
      }
      throw error;
    }
  }

  /** The context a step's call travels with: the run's signal, the caller's identity and channels, no progress token. */
  childContext(signal: AbortSignal, step?: string): DownstreamContext {
    return {
      // The audit log's run and step ids.
      run: { id: this.id, ...(step !== undefined ? { step } : {}) },
      ...(this.caller.view !== undefined ? { view: this.caller.view } : {}),
      era: this.caller.era,
      sessionId: this.caller.sessionId,
      ...(this.caller.requestScoped ? { requestScoped: true } : {}),
      ...(this.caller.principal ? { principal: this.caller.principal } : {}),
      workflow: { name: this.options.runName, runId: this.id, modelTokens: () => this.usage.calls.reduce((sum, call) => sum + call.inputTokens + call.outputTokens, 0) },
      signal,
      clientCapabilities: this.caller.clientCapabilities,
      progressToken: undefined,
      notify: async () => {},
      log: (level, data, logger) => this.caller.log(level, data, logger),
      ...(this.caller.requestClient ? { requestClient: this.caller.requestClient } : {}),
      ...(this.caller.view !== undefined ? { view: this.caller.view } : {})
    };
  }

  topLabel(): string {
    return this.workflow.steps[this.topIndex]?.step.id ?? String(this.topIndex);
  }

  /** Progress to the caller, if it asked: whole steps done (fractions for items), out of the top-level steps. */
  progress(value: number, message: string): void {
    if (this.caller.progressToken === undefined || value <= this.lastProgress) return;
    this.lastProgress = value;
    const progressToken = this.caller.progressToken;
    // One after the other (in order), and awaited before the result goes out (see execute).
    this.notifications = this.notifications
      .then(() => this.caller.notify({ method: 'notifications/progress', params: { progressToken, progress: value, total: this.workflow.steps.length, message } }))
      .catch(() => {});
  }

  toStepFailed(error: unknown, label: string, tool: string | undefined): StepFailed {
    if (error instanceof StepFailed) return error;
    if (error instanceof RunStopped || this.controller.signal.aborted) return this.stopped(label, tool);
    return this.classify(error, label, tool, undefined, undefined, undefined);
  }

  stopped(label: string, tool: string | undefined): StepFailed {
    const reason = this.controller.signal.reason as unknown;
    if (reason instanceof RunStopped && reason.reason === 'deadline') {
      return new StepFailed({
        step: label,
        tool,
        reason: 'deadline',
        message: reason.message,
        hint: 'raise the workflow\'s "timeout", or give it less to do (a smaller input)',
        retryable: false
      });
    }
    return new StepFailed({ step: label, tool, reason: 'cancelled', message: 'the caller cancelled the run', hint: 'call the workflow again to start over', retryable: false });
  }

  classify(
    error: unknown,
    label: string,
    tool: string | undefined,
    attemptSignal: AbortSignal | undefined,
    timeoutSignal: AbortSignal | undefined,
    timeoutMs: number | undefined
  ): StepFailed {
    if (this.controller.signal.aborted) return this.stopped(label, tool);
    if (timeoutSignal?.aborted) {
      return new StepFailed({
        step: label,
        tool,
        reason: 'timeout',
        message: `the step timed out: no answer within ${timeoutMs} ms`,
        hint: 'raise the step\'s "timeout", or try again later',
        retryable: true
      });
    }
    if (attemptSignal?.aborted) {
      // A sibling failed and this branch was stopped because of it.
      return new StepFailed({ step: label, tool, reason: 'cancelled', message: 'stopped because another branch or map item failed', hint: '', retryable: false });
    }
    return classifyError(error, label, tool, this.id, this.options.upstreams);
  }

  private success(output: unknown): GatewayResult {
    const content: Array<{ type: 'text'; text: string }> = [{ type: 'text', text: typeof output === 'string' ? output : JSON.stringify(output) }];
    if (this.continued.length > 0) {
      content.push({
        type: 'text',
        text: `${this.continued.length} step(s) failed and were continued (onError: continue): ${this.continued.map(entry => `${entry.step}: ${entry.message}`).join('; ')}`
      });
    }
    const usage = this.usage.calls.length > 0 ? this.usage.summary() : undefined;
    // The usage goes beside the output's keys unless an outputSchema is the contract of structuredContent.
    const withUsage = usage && isPlainObject(output) && !this.workflow.definition.outputSchema && !('usage' in output) ? { ...output, usage } : output;
    return {
      content,
      ...(isPlainObject(withUsage) ? { structuredContent: withUsage } : {}),
      _meta: { [runIdMetaKey]: this.id, ...(usage ? { [usageMetaKey]: usage } : {}) }
    };
  }

  private fail(failure: Failure, partial: Record<string, unknown>, started: number, extra: Record<string, unknown> = {}): GatewayResult {
    const status: RunStatus = failure.reason === 'cancelled' ? 'cancelled' : failure.reason === 'interrupted' ? 'interrupted' : 'failed';
    const finished = Object.keys(this.scope.steps);
    const total = this.workflow.steps.length;
    const where = failure.tool ? `step "${failure.step}" (tool "${failure.tool}")` : `step "${failure.step}"`;
    const partialIds = Object.keys(partial);
    const usage = this.usage.calls.length > 0 ? this.usage.summary() : undefined;
    const text = [
      `Workflow "${this.workflow.name}" ${status === 'cancelled' ? 'was cancelled' : status === 'interrupted' ? 'was interrupted' : 'failed'} at ${where}: ${failure.message}.`,
      failure.hint ? `What to do: ${failure.hint}.` : '',
      `${finished.length} of ${total} steps finished before the failure${finished.length > 0 ? ` (${finished.map(id => `"${id}"`).join(', ')})` : ''}.` +
        (partialIds.length > 0 ? ` Their results${partialIds.some(id => !finished.includes(id)) ? ', and what the failed step had finished,' : ''} are in structuredContent.partial_results.` : ''),
      `Run ${this.id}: "manifold runs ${this.id}" shows each step's arguments, timing and error.`
    ]
      .filter(Boolean)
      .join('\n');
    const result: GatewayResult = {
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: {
        run_id: this.id,
        status,
        error: {
          step: failure.step,
          ...(failure.tool ? { tool: failure.tool } : {}),
          reason: failure.reason,
          message: failure.message,
          hint: failure.hint,
          ...(failure.raw !== undefined ? { raw: failure.raw } : {})
        },
        partial_results: partial,
        ...(usage ? { usage } : {}),
        ...extra
      },
      _meta: { [runIdMetaKey]: this.id, ...(usage ? { [usageMetaKey]: usage } : {}) }
    };
    this.record(store => store.endRun(this.id, { status, endedAt: now(), outputSize: sizeOf(result), error: `${failure.step}: ${failure.message}`, result: safeJson(result) }));
    this.options.logger.info(`run ${this.id} of ${this.workflow.name} ${status} at ${failure.step} after ${Math.round(now() - started)} ms: ${failure.message}`);
    return result;
  }

  startStep(step: Omit<StepRecord, 'runId' | 'status' | 'startedAt'>): number | undefined {
    let handle: number | undefined;
    this.record(store => {
      handle = store.startStep({ ...step, runId: this.id, status: 'running', startedAt: now() });
    });
    return handle;
  }

  endStep(handle: number | undefined, status: StepRecord['status'], outputSize?: number, error?: string, detail?: string): void {
    if (handle === undefined) return;
    this.record(store => store.endStep(handle, { status, endedAt: now(), outputSize, error, ...(detail !== undefined ? { detail } : {}) }));
  }

  /** Writes to the run store; a store that fails is logged, never fails the run. */
  private record(write: (store: RunStore) => void): void {
    const store = this.options.store;
    if (!store) return;
    try {
      write(store);
    } catch (error) {
      this.options.logger.warn(`cannot record run ${this.id}: ${errorMessage(error)}`);
    }
  }
}

function toStepEntry(outcome: StepOutcome): StepEntry {
  if (outcome.error !== undefined) return { result: outcome.value, status: 'failed', error: outcome.error };
  if (outcome.itemErrors) return { result: outcome.value, status: 'partial', errors: outcome.itemErrors };
  return { result: outcome.value, status: 'ok' };
}

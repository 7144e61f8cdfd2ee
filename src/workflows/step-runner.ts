import type { DownstreamContext } from '../core/pipeline.js';
import type { RunJournal, StepRecord } from '../store/index.js';
import type { CompiledStep } from './compile-workflow.js';
import type { ExecuteWorkflowOptions } from './execute-workflow.js';
import { isPlainObject } from './json-text.js';
import type { Limiter } from './limiter.js';
import type { RunUsage } from './model-steps.js';
import type { StepFailed } from './step-failure.js';
import type { ItemError, Scope } from './template.js';

/**
 * What a step kind's runner (`run-*-step.ts`) may use of the run it belongs to: the run's journal, store
 * records, policies and error classification. `WorkflowRun` (execute-workflow.ts) implements it, and its
 * exhaustive switch on the step kind (`runKind`) is the one place that picks a runner.
 */
export interface StepRunner {
  readonly id: string;
  readonly options: ExecuteWorkflowOptions;
  readonly journal: RunJournal;
  /** Bounds the tool calls in flight in the run (the workflow's `concurrency`). */
  readonly callLimiter: Limiter;
  /** Aborted when the run stops (cancelled, deadline, or ended). */
  readonly controller: AbortController;
  /** The model calls of the run (model steps count theirs here). */
  readonly usage: RunUsage;
  /** The index of the top-level step running. */
  readonly topIndex: number;
  /** Runs a (nested) step with its `let`, fallback and onError policy. */
  runStep(step: CompiledStep, outer: Scope, label: string, signal: AbortSignal): Promise<StepOutcome>;
  /** Evaluates a step's expression; a failure is recorded as the step's and thrown as a StepFailed. */
  evaluate(evaluate: () => Promise<unknown>, label: string, tool: string | undefined, kind: StepRecord['kind']): Promise<unknown>;
  /** The context a step's call travels with: the run's signal, the caller's identity and channels. */
  /** The context of a step's request (`step`: its label, for the audit log). */
  childContext(signal: AbortSignal, step?: string): DownstreamContext;
  topLabel(): string;
  progress(value: number, message: string): void;
  toStepFailed(error: unknown, label: string, tool: string | undefined): StepFailed;
  stopped(label: string, tool: string | undefined): StepFailed;
  classify(
    error: unknown,
    label: string,
    tool: string | undefined,
    attemptSignal: AbortSignal | undefined,
    timeoutSignal: AbortSignal | undefined,
    timeoutMs: number | undefined
  ): StepFailed;
  startStep(step: Omit<StepRecord, 'runId' | 'status' | 'startedAt'>): number | undefined;
  endStep(handle: number | undefined, status: StepRecord['status'], outputSize?: number, error?: string, detail?: string): void;
}

/** What running a step gave: its value, and what the run keeps besides. */
export interface StepOutcome {
  value: unknown;
  /** The step failed and was continued (onError: continue): why. */
  error?: string;
  /** What its `let` set. */
  vars?: Record<string, unknown>;
  /** A map's items that failed and were continued past. */
  itemErrors?: ItemError[];
}

/** JSONata's idea of true: not false, null, 0, "", an empty array or object. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.some(isTruthy);
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

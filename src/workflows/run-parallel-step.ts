import { aggregateBranches } from './aggregate-branches.js';
import type { CompiledStep } from './compile-workflow.js';
import { sizeOf } from './json-text.js';
import { Limiter } from './limiter.js';
import { StepFailed } from './step-failure.js';
import type { StepRunner } from './step-runner.js';
import type { Scope } from './template.js';

/** A `parallel` step: its branches at once (bounded by its concurrency); the first failure stops the others. */
export async function runParallelStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'parallel' }>, scope: Scope, label: string, signal: AbortSignal): Promise<unknown> {
  const local = new AbortController();
  const branchSignal = AbortSignal.any([signal, local.signal]);
  const limiter = new Limiter(step.step.concurrency ?? step.branches.length);
  const handle = run.startStep({ path: label, kind: 'parallel', attempt: 1 });
  const results: Record<string, unknown> = {};
  // Branches finish in any order; the result lists them as the definition does (stable output).
  const inOrder = (finished: Record<string, unknown>) =>
    Object.fromEntries(step.branches.filter(([name]) => name in finished).map(([name]) => [name, finished[name]]));
  let done = 0;
  let firstFailure: StepFailed | undefined;
  await Promise.all(
    step.branches.map(async ([name, branch]) => {
      try {
        const outcome = await limiter.run(() => run.runStep(branch, scope, `${label}.${name}`, branchSignal), branchSignal);
        results[name] = outcome.value;
        done++;
        if (label === run.topLabel()) run.progress(run.topIndex + done / step.branches.length, `step "${label}": ${done} of ${step.branches.length} branches done`);
      } catch (error) {
        const failed = run.toStepFailed(error, `${label}.${name}`, branch.kind === 'call' ? branch.step.call : undefined);
        // The first failure is the one to report; the others are siblings stopped because of it.
        if (!firstFailure && !(local.signal.aborted && !signal.aborted)) {
          firstFailure = failed;
          local.abort(new Error(`branch "${name}" failed`));
        }
      }
    })
  );
  if (firstFailure || signal.aborted) {
    // A run that stopped (cancelled, deadline) stopped here, not at whichever item or branch noticed first.
    const failure = run.controller.signal.aborted ? run.stopped(label, undefined) : (firstFailure ?? run.toStepFailed(signal.reason, label, undefined));
    run.endStep(handle, 'failed', undefined, failure.failure.message);
    throw new StepFailed(failure.failure, inOrder(results));
  }
  const ordered = inOrder(results);
  run.endStep(handle, 'ok', sizeOf(ordered));
  // An LLM fan-in: the step's result is the model's answer over the branch results.
  if (step.step.aggregate) {
    // A model branch's answer is shown as its text, not with its tool calls and usage (noise, and tokens).
    const shown = Object.fromEntries(
      step.branches.map(([name, branch]) => {
        const value = ordered[name] as { text?: unknown } | null | undefined;
        return [name, (branch.kind === 'agent' || branch.kind === 'evaluate') && typeof value?.text === 'string' ? value.text : ordered[name]];
      })
    );
    return aggregateBranches(run, step.step.aggregate, shown, ordered, label, signal);
  }
  return ordered;
}

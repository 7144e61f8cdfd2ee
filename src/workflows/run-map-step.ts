import type { CompiledStep } from './compile-workflow.js';
import { sizeOf } from './json-text.js';
import { Limiter } from './limiter.js';
import { StepFailed } from './step-failure.js';
import type { StepRunner } from './step-runner.js';
import { evaluateExpression, type ItemError, type Scope } from './template.js';

/** Map items in flight at once when the step sets no `concurrency`. */
const defaultMapConcurrency = 8;

/** A `map` step: its step for each item of the list (bounded); items continued past are listed. */
export async function runMapStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'map' }>, scope: Scope, label: string, signal: AbortSignal): Promise<{ value: unknown; itemErrors?: ItemError[] }> {
  const listed = step.list ? await run.evaluate(() => evaluateExpression(step.list!, scope), label, undefined, 'map') : [];
  const items = listed === undefined || listed === null ? [] : Array.isArray(listed) ? listed : [listed];
  const local = new AbortController();
  const itemSignal = AbortSignal.any([signal, local.signal]);
  const limiter = new Limiter(step.step.concurrency ?? defaultMapConcurrency);
  const handle = run.startStep({ path: label, kind: 'map', attempt: 1, detail: `${items.length} items` });
  const results: unknown[] = Array.from({ length: items.length }, () => null);
  const itemErrors: ItemError[] = [];
  let done = 0;
  let firstFailure: StepFailed | undefined;
  await Promise.all(
    items.map(async (item, index) => {
      const itemLabel = `${label}[${index}]`;
      try {
        const outcome = await limiter.run(() => run.runStep(step.each, { ...scope, item, index }, itemLabel, itemSignal), itemSignal);
        results[index] = outcome.value;
        if (outcome.error !== undefined) itemErrors.push({ index, error: outcome.error });
        done++;
        if (label === run.topLabel()) run.progress(run.topIndex + done / items.length, `step "${label}": ${done} of ${items.length} items done`);
      } catch (error) {
        const failed = run.toStepFailed(error, itemLabel, step.each.kind === 'call' ? step.each.step.call : undefined);
        if (!firstFailure && !(local.signal.aborted && !signal.aborted)) {
          firstFailure = failed;
          local.abort(new Error(`item ${index} failed`));
        }
      }
    })
  );
  if (firstFailure || signal.aborted) {
    // A run that stopped (cancelled, deadline) stopped here, not at whichever item or branch noticed first.
    const failure = run.controller.signal.aborted ? run.stopped(label, undefined) : (firstFailure ?? run.toStepFailed(signal.reason, label, undefined));
    const message = `${failure.failure.message} (${done} of ${items.length} items had finished)`;
    run.endStep(handle, 'failed', undefined, message);
    throw new StepFailed({ ...failure.failure, message }, results);
  }
  if (itemErrors.length === 0) {
    run.endStep(handle, 'ok', sizeOf(results));
    return { value: results };
  }
  itemErrors.sort((a, b) => a.index - b.index);
  run.endStep(handle, 'ok', sizeOf(results), undefined, `partial: ${itemErrors.length} of ${items.length} items failed and were continued (onError: continue)`);
  return { value: results, itemErrors };
}

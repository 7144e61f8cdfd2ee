import type { CompiledStep } from './compile-workflow.js';
import { sizeOf } from './json-text.js';
import { isTruthy, type StepRunner } from './step-runner.js';
import { evaluateExpression, type Scope } from './template.js';

/** A `switch` step: the first rule whose condition is true runs, else the default, else the result is null. */
export async function runSwitchStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'switch' }>, scope: Scope, label: string, signal: AbortSignal): Promise<unknown> {
  for (const [index, rule] of step.rules.entries()) {
    const when = rule.when;
    const matched = when ? isTruthy(await run.evaluate(() => evaluateExpression(when, scope), `${label}.case${index}`, undefined, 'switch')) : false;
    if (matched) return runChosen(run, rule.then, scope, `${label}.case${index}`, signal, `rule ${index} matched: ${step.step.switch[index]?.when ?? ''}`);
  }
  if (step.otherwise) return runChosen(run, step.otherwise, scope, `${label}.default`, signal, 'no rule matched: default');
  const handle = run.startStep({ path: label, kind: 'switch', attempt: 1, detail: 'no rule matched and there is no default: result null' });
  run.endStep(handle, 'skipped');
  return null;
}

async function runChosen(run: StepRunner, step: CompiledStep, scope: Scope, label: string, signal: AbortSignal, detail: string): Promise<unknown> {
  const handle = run.startStep({ path: label, kind: 'switch', attempt: 1, detail });
  try {
    const outcome = await run.runStep(step, scope, label, signal);
    run.endStep(handle, outcome.error === undefined ? 'ok' : 'failed', sizeOf(outcome.value), outcome.error);
    return outcome.value;
  } catch (error) {
    const failed = run.toStepFailed(error, label, undefined);
    run.endStep(handle, 'failed', undefined, failed.failure.message);
    throw failed;
  }
}

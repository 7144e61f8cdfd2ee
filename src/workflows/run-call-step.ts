import { errorMessage } from '../core/errors.js';
import { raceAbort, sleep } from '../core/race-abort.js';
import { StepInFlight } from '../store/index.js';
import { isRetrySafe } from './check-workflow-tools.js';
import type { CompiledStep } from './compile-workflow.js';
import { clip, safeJson, sizeOf } from './json-text.js';
import { classifyErrorResult, interruptedFailure, StepFailed, StepTimeout } from './step-failure.js';
import { isTruthy, type StepRunner } from './step-runner.js';
import { evaluateExpression, evaluateTemplate, type Scope } from './template.js';
import { toStepValue } from './to-step-value.js';

/**
 * A `call` step: its arguments evaluated, then the tool called through the pipeline (journaled, so a resumed run
 * does not call it again), with the step's timeout, retry (only where safe, unless forced) and failWhen.
 */
export async function runCallStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'call' }>, scope: Scope, label: string, signal: AbortSignal): Promise<unknown> {
  const tool = step.step.call;
  // Strict: an argument whose template yields nothing fails the step (unless written optional, `key?`),
  // rather than reaching the server as a missing argument.
  const args = step.with ? await run.evaluate(() => evaluateTemplate(step.with!, scope, true), label, tool, 'call') : {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    const message = `"with" evaluated to ${JSON.stringify(args)?.slice(0, 100) ?? 'nothing'}, not an object of arguments`;
    run.endStep(run.startStep({ path: label, kind: 'call', tool, attempt: 1 }), 'failed', undefined, message);
    throw new StepFailed({
      step: label,
      tool,
      reason: 'expression',
      message,
      hint: 'make the step\'s "with" an object, or an expression that yields one',
      retryable: false
    });
  }
  const policy = step.step.retry;
  const definition = run.options.catalog.findTool(tool)?.definition;
  const allowed = policy !== undefined && policy.attempts > 0 && (policy.force || isRetrySafe(definition));
  const skipped = policy !== undefined && policy.attempts > 0 && !allowed ? `retry skipped: tool "${tool}" is neither read-only nor idempotent (retry.force: true overrides)` : undefined;
  const attempts = allowed ? 1 + policy.attempts : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce(run, step, scope, label, tool, args as Record<string, unknown>, signal, attempt, skipped);
    } catch (error) {
      const failed = run.toStepFailed(error, label, tool);
      if (skipped && failed.failure.retryable && !signal.aborted) {
        // The caller asked for retries that did not happen: say so where they will read it.
        throw new StepFailed({ ...failed.failure, message: `${failed.failure.message}; ${skipped}` }, failed.partial);
      }
      if (!failed.failure.retryable || attempt >= attempts || signal.aborted) throw failed;
      const wait = (policy?.backoff ?? 0) * (policy?.factor ?? 2) ** (attempt - 1);
      run.options.logger.debug(`run ${run.id}: step ${label} failed (${failed.failure.message}); retry ${attempt} of ${attempts - 1} in ${wait} ms`);
      await sleep(wait, signal).catch(() => {
        // Stopped while waiting to retry: the run was cancelled (or hit its deadline), or a sibling failed.
        throw run.controller.signal.aborted ? run.stopped(label, tool) : failed;
      });
    }
  }
}

async function callOnce(
  run: StepRunner,
  step: Extract<CompiledStep, { kind: 'call' }>,
  scope: Scope,
  label: string,
  tool: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
  attempt: number,
  detail: string | undefined
): Promise<unknown> {
  return run.callLimiter.run(async () => {
    const timeoutMs = step.step.timeout;
    const attemptController = new AbortController();
    const timer = timeoutMs !== undefined ? setTimeout(() => attemptController.abort(new StepTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs) : undefined;
    const attemptSignal = AbortSignal.any([signal, attemptController.signal]);
    const handle = run.startStep({ path: label, kind: 'call', tool, attempt, input: clip(safeJson(args)), detail });
    try {
      // Journaled: a call that finished in an earlier execution of this run is not made again.
      const idempotent = isRetrySafe(run.options.catalog.findTool(tool)?.definition);
      const { output: result, replayed } = await run.journal.run(
        { key: label, kind: 'call', idempotent, label: tool },
        () =>
          raceAbort(
            run.options.pipeline({ method: 'tools/call', params: { name: tool, arguments: args }, downstream: run.childContext(attemptSignal, label) }),
            attemptSignal
          ),
        result => result.isError !== true
      );
      const reused = replayed ? 'resumed: the result this call returned before is reused, the tool was not called again' : undefined;
      if (result.isError === true) {
        const failed = classifyErrorResult(result, label, tool, run.id);
        run.endStep(handle, 'failed', sizeOf(result), failed.failure.message);
        throw failed;
      }
      const value = toStepValue(result);
      if (step.failWhen) {
        const failWhen = step.failWhen;
        let matched: boolean;
        try {
          matched = isTruthy(await evaluateExpression(failWhen, { ...scope, result: value }));
        } catch (error) {
          const message = errorMessage(error);
          run.endStep(handle, 'failed', sizeOf(result), message);
          throw new StepFailed({ step: label, tool, reason: 'expression', message, hint: 'fix the step\'s "failWhen" expression (it reads the tool\'s result as "result")', retryable: false });
        }
        if (matched) {
          // A failure reported inside a normal result ({"error": …}): a tool error like any other, so retry,
          // fallback and onError apply.
          const message = `the tool's result matched failWhen "${failWhen.source}": ${clip(safeJson(value), 500)}`;
          run.endStep(handle, 'failed', sizeOf(result), message);
          throw new StepFailed({
            step: label,
            tool,
            reason: 'tool-error',
            message,
            hint: `the tool reported a failure in its result: check the arguments the step passed (manifold runs ${run.id} shows them), or give the step a fallback or onError: continue`,
            retryable: true
          });
        }
      }
      run.endStep(handle, 'ok', sizeOf(result), undefined, reused);
      return value;
    } catch (error) {
      if (error instanceof StepFailed) throw error;
      if (error instanceof StepInFlight) {
        run.endStep(handle, 'failed', undefined, error.message);
        throw interruptedFailure(error, label, tool, run.id);
      }
      const failed = run.classify(error, label, tool, attemptSignal, attemptController.signal, timeoutMs);
      run.endStep(handle, 'failed', undefined, failed.failure.message);
      throw failed;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }, signal);
}

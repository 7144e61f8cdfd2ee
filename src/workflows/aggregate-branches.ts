import type { ParallelAggregate } from '../config/index.js';
import { askModelJson, askModelText, toZodSchema } from './ask-model.js';
import { clip, safeJson, sizeOf } from './json-text.js';
import { describeUsage, modelFailure } from './model-steps.js';
import { StepFailed } from './step-failure.js';
import type { StepRunner } from './step-runner.js';

/** The most characters of one branch's result shown to the aggregating model. */
const maxBranchChars = 20_000;

/**
 * A parallel step's `aggregate`: an LLM fan-in over the branch results (the guide's research aggregation). The
 * model gets the instruction as its system prompt and each branch's result by name; without `schema` the step's
 * result is its text, with `schema` the JSON value it answered (validated, one repair; a second bad answer is a
 * step failure, reason `model-output`, that keeps the raw answer). Journaled: a resumed run does not ask again.
 */
export async function aggregateBranches(
  run: StepRunner,
  aggregate: ParallelAggregate,
  /** The branch results as the model is shown them. */
  shown: Record<string, unknown>,
  /** The branch results as they are (the failed step's partial result). */
  branches: Record<string, unknown>,
  label: string,
  signal: AbortSignal
): Promise<unknown> {
  const path = `${label}.aggregate`;
  const handle = run.startStep({ path, kind: 'aggregate', tool: `model ${aggregate.model}`, attempt: 1 });
  const prompt = [
    'The results of the parallel branches, by name:',
    ...Object.entries(shown).map(([name, value]) => `## ${name}\n${clip(typeof value === 'string' ? value : safeJson(value), maxBranchChars)}`)
  ].join('\n\n');
  const system = aggregate.instruction ?? 'Combine the results below into one answer.';
  try {
    let value: unknown;
    let replayed: boolean;
    if (aggregate.schema) {
      const schema = toZodSchema(aggregate.schema);
      if (!schema) {
        throw new StepFailed({ step: path, reason: 'expression', message: 'the aggregate\'s schema is not a JSON Schema zod can read', hint: 'simplify the schema (objects, arrays, strings, numbers, enums)', retryable: false });
      }
      ({ value, replayed } = await askModelJson(run, { model: aggregate.model, system, prompt, key: path, step: path, phase: 'aggregate', signal, schema, what: 'the aggregate' }));
    } else {
      const answer = await askModelText(run, { model: aggregate.model, system, prompt, key: path, step: path, phase: 'aggregate', signal });
      value = answer.text;
      replayed = answer.replayed;
    }
    run.endStep(handle, 'ok', sizeOf(value), undefined, replayed ? 'resumed: the answer given before is reused, the model was not called again' : describeUsage(run.usage.totalsOf(path)));
    return value;
  } catch (error) {
    const failed = run.controller.signal.aborted ? run.stopped(path, undefined) : modelFailure(error, path, 'the aggregate');
    run.endStep(handle, 'failed', undefined, failed.failure.message, describeUsage(run.usage.totalsOf(path)));
    throw new StepFailed(failed.failure, branches);
  }
}

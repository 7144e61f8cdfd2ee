import * as z from 'zod/v4';

import { type Rating, ratings } from '../config/index.js';
import { askModelJson, askModelText } from './ask-model.js';
import type { CompiledStep } from './compile-workflow.js';
import { clip, sizeOf } from './json-text.js';
import { asText, describeUsage, modelFailure, requireModels } from './model-steps.js';
import { runAgentTask } from './run-agent-step.js';
import { StepFailed } from './step-failure.js';
import type { StepRunner } from './step-runner.js';
import { evaluateTemplate, type Scope } from './template.js';

/** One round of an evaluate loop: the answer and how the evaluator rated it. */
export interface EvaluateRound {
  attempt: number;
  text: string;
  rating: Rating;
  feedback: string;
}

/** An evaluate step's result. */
export interface EvaluateValue {
  /** The best answer (the highest rated; the first of equals). */
  text: string;
  rating: Rating;
  minRating: Rating;
  /** False when maxRefinements ran out below minRating: the answer is the best there was, not a good enough one. */
  reachedMinRating: boolean;
  /** Rewrites made after the first answer. */
  refinements: number;
  history: EvaluateRound[];
}

const ratingSchema = z.object({
  rating: z.enum(ratings).describe('POOR, FAIR, GOOD or EXCELLENT'),
  feedback: z.string().describe('what to improve, concretely (empty when nothing)')
});

const rank = (rating: Rating) => ratings.indexOf(rating);

/**
 * An `evaluate` step (the evaluator-optimizer pattern): the generator (a model, or an agent) answers the task,
 * the evaluator model rates the answer POOR/FAIR/GOOD/EXCELLENT with feedback (JSON, one repair), and the
 * generator rewrites with the feedback until the rating reaches `minRating` or `maxRefinements` rewrites are
 * made. Every model call is journaled, so a resumed run does not ask again. Running out below minRating is a
 * step failure (reason `max-refinements`, the best answer in its partial result) unless the step says
 * `belowMinRating: accept`, which returns the best with `reachedMinRating: false`.
 */
export async function runEvaluateStep(run: StepRunner, step: Extract<CompiledStep, { kind: 'evaluate' }>, scope: Scope, label: string, signal: AbortSignal): Promise<EvaluateValue> {
  const loop = step.step.evaluate;
  requireModels(run.options.models, label);
  const task = asText(await run.evaluate(() => evaluateTemplate(step.task, scope, true), label, undefined, 'evaluate'));
  const generator = loop.generator;
  const generatorName = 'agent' in generator ? `agent ${generator.agent}` : `model ${generator.model}`;
  const handle = run.startStep({ path: label, kind: 'evaluate', tool: generatorName, attempt: 1, input: clip(task), detail: `until ${loop.minRating}, at most ${loop.maxRefinements} refinement(s)` });
  const history: EvaluateRound[] = [];
  const usageDetail = () => describeUsage(run.usage.totalsOf(label));
  try {
    for (let attempt = 1; attempt <= loop.maxRefinements + 1; attempt++) {
      const previous = history.at(-1);
      const prompt = previous
        ? `${task}\n\nYour previous answer:\n${previous.text}\n\nA reviewer rated it ${previous.rating}. Their feedback: ${previous.feedback}\n\nWrite an improved answer to the task, taking the feedback into account. Answer with the new answer only.`
        : task;
      const text = await generate(run, generator, prompt, `${label}.generate${attempt}`, label, signal);
      const rated = await recorded(run, `${label}.rate${attempt}`, `model ${loop.evaluator.model}`, () =>
        askModelJson(run, {
          model: loop.evaluator.model,
          system: [
            loop.evaluator.instruction,
            'You rate an answer to a task: POOR, FAIR, GOOD or EXCELLENT, with concrete feedback on what to improve.'
          ]
            .filter(Boolean)
            .join('\n\n'),
          prompt: `The task:\n${task}\n\nThe answer to rate:\n${text}`,
          key: `${label}.rate${attempt}`,
          step: `${label}.rate${attempt}`,
          phase: 'evaluate',
          signal,
          schema: ratingSchema,
          what: 'a rating'
        })
      );
      history.push({ attempt, text, rating: rated.value.rating, feedback: rated.value.feedback });
      if (rank(rated.value.rating) >= rank(loop.minRating)) {
        const value = result(history, loop.minRating, true);
        run.endStep(handle, 'ok', sizeOf(value), undefined, [`${value.rating} after ${value.refinements} refinement(s)`, usageDetail()].filter(Boolean).join('; '));
        return value;
      }
    }
  } catch (error) {
    const failed = run.controller.signal.aborted ? run.stopped(label, undefined) : modelFailure(error, label, 'the evaluate step');
    run.endStep(handle, 'failed', undefined, failed.failure.message, usageDetail());
    throw new StepFailed(failed.failure, history.length > 0 ? result(history, loop.minRating, false) : undefined);
  }
  const value = result(history, loop.minRating, false);
  const capped = `the best answer was rated ${value.rating} after ${value.refinements} refinement(s) (maxRefinements), below minRating ${loop.minRating}`;
  if (loop.belowMinRating === 'accept') {
    run.endStep(handle, 'ok', sizeOf(value), undefined, [`accepted below minRating: ${capped}`, usageDetail()].filter(Boolean).join('; '));
    return value;
  }
  run.endStep(handle, 'failed', sizeOf(value), capped, usageDetail());
  throw new StepFailed(
    {
      step: label,
      reason: 'max-refinements',
      message: capped,
      hint: 'raise maxRefinements, lower minRating, sharpen the generator\'s instruction, or set belowMinRating: accept to take the best answer (its rating and history are in the partial result)',
      retryable: false
    },
    value
  );
}

/** One answer of the generator: a model asked once, or an agent run on the prompt. */
async function generate(run: StepRunner, generator: Extract<CompiledStep, { kind: 'evaluate' }>['step']['evaluate']['generator'], prompt: string, key: string, step: string, signal: AbortSignal): Promise<string> {
  if ('agent' in generator) {
    const agent = requireModels(run.options.models, step).agents[generator.agent];
    if (!agent) throw new StepFailed({ step, reason: 'not-found', message: `there is no agent "${generator.agent}"`, hint: 'name a key of "agents" in the config', retryable: false });
    return (await runAgentTask(run, generator.agent, agent, prompt, key, signal)).text;
  }
  const answer = await recorded(run, key, `model ${generator.model}`, () =>
    askModelText(run, { model: generator.model, system: generator.instruction, prompt, key, step: key, phase: 'generate', signal })
  );
  return answer.text;
}

/** A model call recorded as a step of its own (the timeline shows each round). */
async function recorded<T extends { replayed: boolean }>(run: StepRunner, path: string, tool: string, work: () => Promise<T>): Promise<T> {
  const handle = run.startStep({ path, kind: 'evaluate', tool, attempt: 1 });
  try {
    const output = await work();
    run.endStep(handle, 'ok', sizeOf(output), undefined, output.replayed ? 'resumed: the answer given before is reused, the model was not called again' : describeUsage(run.usage.totalsOf(path)));
    return output;
  } catch (error) {
    const failed = modelFailure(error, path, 'the evaluate step');
    run.endStep(handle, 'failed', undefined, failed.failure.message);
    throw error;
  }
}

function result(history: readonly EvaluateRound[], minRating: Rating, reached: boolean): EvaluateValue {
  let best = history[0] as EvaluateRound;
  for (const round of history) if (rank(round.rating) > rank(best.rating)) best = round;
  return { text: best.text, rating: best.rating, minRating, reachedMinRating: reached, refinements: history.length - 1, history: [...history] };
}

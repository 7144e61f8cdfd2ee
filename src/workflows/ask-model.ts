import * as z from 'zod/v4';

import { generateJson } from '../agents/index.js';
import type { ModelCallPhase } from './model-steps.js';
import { requireModels } from './model-steps.js';
import type { StepRunner } from './step-runner.js';

export interface AskModel {
  /** A key of `models`. */
  model: string;
  system?: string | undefined;
  prompt: string;
  /** The journal key of this call: unique in the run, the same on every execution of it. */
  key: string;
  /** The step the call is counted under. */
  step: string;
  phase: ModelCallPhase;
  signal: AbortSignal;
}

/**
 * One model call without tools, journaled (kind `model-turn`): a resumed run reuses the answer instead of asking
 * again. It has no side effects, so one in flight at a crash is asked again. Returns the text and whether it
 * was replayed.
 */
export async function askModelText(run: StepRunner, ask: AskModel): Promise<{ text: string; replayed: boolean }> {
  const models = requireModels(run.options.models, ask.step);
  const { output, replayed } = await run.journal.run({ key: ask.key, kind: 'model-turn', idempotent: true, label: `model ${ask.model}` }, async () => {
    const backend = run.usage.wrap(models.backend(ask.model), ask.step, ask.phase);
    const turn = await backend.generate({
      ...(ask.system !== undefined ? { system: ask.system } : {}),
      messages: [{ role: 'user', text: ask.prompt }],
      tools: [],
      signal: ask.signal,
      caller: run.childContext(ask.signal)
    });
    return { text: turn.text };
  });
  return { text: output.text, replayed };
}

/**
 * A JSON answer of a shape (generateJson: one repair request, then MODEL_OUTPUT_INVALID with the raw text),
 * journaled like {@link askModelText}.
 */
export async function askModelJson<T>(run: StepRunner, ask: AskModel & { schema: z.ZodType<T>; what: string }): Promise<{ value: T; raw: string; replayed: boolean }> {
  const models = requireModels(run.options.models, ask.step);
  const { output, replayed } = await run.journal.run({ key: ask.key, kind: 'model-turn', idempotent: true, label: `model ${ask.model}` }, async () => {
    const backend = run.usage.wrap(models.backend(ask.model), ask.step, ask.phase);
    const generated = await generateJson({
      backend,
      ...(ask.system !== undefined ? { system: ask.system } : {}),
      prompt: ask.prompt,
      schema: ask.schema,
      what: ask.what,
      signal: ask.signal,
      caller: run.childContext(ask.signal)
    });
    return { value: generated.value, raw: generated.raw };
  });
  return { value: output.value, raw: output.raw, replayed };
}

/** A JSON Schema as a zod schema (for generateJson); undefined when zod cannot read it. */
export function toZodSchema(schema: Record<string, unknown>): z.ZodType | undefined {
  try {
    return z.fromJSONSchema(schema);
  } catch {
    return undefined;
  }
}

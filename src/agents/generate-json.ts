import * as z from 'zod/v4';

import { ManifoldError } from '../core/errors.js';
import type { DownstreamContext } from '../core/pipeline.js';
import { extractJsonObject } from './extract-json.js';
import type { ModelBackend, ModelMessage } from './model-backend.js';

/** Answers that are not the JSON asked for get one repair request; a second bad answer is an error. */
const maxRepairs = 1;

export interface GenerateJsonOptions<T> {
  backend: ModelBackend;
  /** What the model is for here (a router, a planner); the JSON instructions are added after it. */
  system?: string;
  /** The request, in words. */
  prompt: string;
  /** The shape of the answer; the model is shown it as JSON Schema. */
  schema: z.ZodType<T>;
  /**
   * A check beyond the shape (a planner naming a worker that does not exist): a message saying what is wrong,
   * sent back to the model in the repair request, or undefined when the value is good.
   */
  check?: (value: T) => string | undefined;
  /** What is asked for, for messages: `a plan`, `a route`. */
  what: string;
  signal: AbortSignal;
  /** The client the call serves (the sampling backend asks its model). */
  caller?: DownstreamContext;
}

/** One model call of a JSON request. */
export interface JsonCallUsage {
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  attempts: number;
}

export interface GeneratedJson<T> {
  value: T;
  /** The model's text the value was read from. */
  raw: string;
  /** Every model call made (2 when a repair was needed). */
  calls: JsonCallUsage[];
}

/**
 * Asks a model for a JSON value of a given shape (the router's route, the orchestrator's plan, an evaluator's
 * rating): the shape goes in the system prompt as JSON Schema, the answer is read from the text (a fence or words
 * around the object are tolerated), validated with zod and `check`, and a bad answer is sent back once with what
 * is wrong. A second bad answer throws MODEL_OUTPUT_INVALID, with the raw text and the reason in its data. Text
 * rather than a provider's structured-output mode, so every endpoint (Ollama, vLLM, a client's model) can do it.
 */
export async function generateJson<T>(options: GenerateJsonOptions<T>): Promise<GeneratedJson<T>> {
  const { backend, schema } = options;
  const jsonSchema = JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
  const system = [
    options.system,
    `Answer with only one JSON object, and no other text, that matches this JSON Schema:\n${jsonSchema}`
  ]
    .filter(Boolean)
    .join('\n\n');
  const messages: ModelMessage[] = [{ role: 'user', text: options.prompt }];
  const calls: JsonCallUsage[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const turn = await backend.generate({
      system,
      messages,
      tools: [],
      signal: options.signal,
      ...(options.caller ? { caller: options.caller } : {})
    });
    calls.push({
      inputTokens: turn.usage.inputTokens,
      outputTokens: turn.usage.outputTokens,
      durationMs: Math.round(performance.now() - started),
      attempts: turn.attempts
    });
    const why = problemOf(turn.text, schema, options.check);
    if (why.ok) return { value: why.value, raw: turn.text, calls };
    if (attempt > maxRepairs) {
      throw new ManifoldError(
        'MODEL_OUTPUT_INVALID',
        `${backend.description} did not answer with ${options.what} in the JSON asked for: ${why.why} (also after ${maxRepairs} repair request); its answer is kept in the error data`,
        {
          data: { model: backend.name, what: options.what, why: why.why, raw: turn.text.slice(0, 8000), calls }
        }
      );
    }
    messages.push(
      { role: 'assistant', text: turn.text, toolCalls: [] },
      {
        role: 'user',
        text: `That answer is not ${options.what} as asked: ${why.why}. Answer again with only the corrected JSON object.`
      }
    );
  }
}

function problemOf<T>(
  text: string,
  schema: z.ZodType<T>,
  check: ((value: T) => string | undefined) | undefined
): { ok: true; value: T } | { ok: false; why: string } {
  const extracted = extractJsonObject(text);
  if (!extracted.ok) return extracted;
  const parsed = schema.safeParse(extracted.value);
  if (!parsed.success) return { ok: false, why: z.prettifyError(parsed.error).replace(/\n+/g, '; ') };
  const problem = check?.(parsed.data);
  return problem === undefined ? { ok: true, value: parsed.data } : { ok: false, why: problem };
}

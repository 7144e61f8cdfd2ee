import * as z from 'zod/v4';

/**
 * The parts of workflow steps that call a model (`agent`, `aggregate` on parallel, `evaluate`: docs/WORKFLOWS.md,
 * "Model steps"). The model and agent names are checked against the config by src/workflows at load.
 */

/** An agent written in the step itself: the fields of `agents.<name>` (docs/AGENTS.md). */
export interface InlineAgent {
  model: string;
  servers: string[];
  tools?: string[] | undefined;
  instruction?: string | undefined;
  maxTurns: number;
}

/** A model asked once, with an instruction (the system prompt). */
export interface ModelPrompt {
  model: string;
  instruction?: string | undefined;
}

/** An LLM fan-in over a parallel step's branch results. */
export interface ParallelAggregate extends ModelPrompt {
  /** JSON Schema of the answer: with it the answer is JSON, validated (one repair), the step's result the value. */
  schema?: Record<string, unknown> | undefined;
}

export const ratings = ['POOR', 'FAIR', 'GOOD', 'EXCELLENT'] as const;
export type Rating = (typeof ratings)[number];

export interface EvaluateLoop {
  /** The task, in words: a template over input, steps and vars. */
  task: unknown;
  /** What writes (and rewrites) the answer: a model with an instruction, or a declared agent. */
  generator: ModelPrompt | { agent: string };
  /** What rates it: a model with the criteria as its instruction. */
  evaluator: ModelPrompt;
  /** The rating that ends the loop. */
  minRating: Rating;
  /** Rewrites after the first answer, at most. */
  maxRefinements: number;
  /**
   * What the step is when the last refinement is still below minRating: `fail` (the default) a step failure,
   * reason `max_refinements`, with the best answer in its partial result; `accept` the best answer as the
   * result, with `reachedMinRating: false`.
   */
  belowMinRating: 'fail' | 'accept';
}

const modelPromptFields = {
  /** A key of `models`. */
  model: z.string().min(1, 'expected a model name (a key of "models")'),
  instruction: z.string().optional()
};

export const inlineAgentSchema = z.strictObject({
  model: z.string().min(1, 'expected a model name (a key of "models")'),
  servers: z.array(z.string().min(1)).min(1, 'name at least one server whose tools the agent may use'),
  tools: z.array(z.string().min(1)).optional(),
  instruction: z.string().optional(),
  maxTurns: z.number().int().min(1).max(1000).default(10)
});

export const aggregateSchema = z.strictObject({
  ...modelPromptFields,
  schema: z
    .record(z.string(), z.unknown())
    .refine(schema => schema.type === 'object', 'the aggregate\'s schema describes the JSON answer, an object: type must be "object"')
    .optional()
});

export const evaluateSchema = z.strictObject({
  task: z.unknown().refine(task => task !== undefined, 'expected the task, in words (a template)'),
  generator: z.union([z.strictObject(modelPromptFields), z.strictObject({ agent: z.string().min(1) })], {
    error: 'expected { model, instruction } or { agent: <name> }'
  }),
  evaluator: z.strictObject(modelPromptFields),
  minRating: z.enum(ratings).default('GOOD'),
  maxRefinements: z.number().int().min(0).max(20).default(3),
  belowMinRating: z.enum(['fail', 'accept']).default('fail')
});

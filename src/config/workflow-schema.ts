import * as z from 'zod/v4';

import { closestWords } from '../core/edit-distance.js';
import { annotationHintsSchema } from './annotation-hints-schema.js';
import { durationSchema } from './duration.js';
import {
  aggregateSchema,
  type EvaluateLoop,
  evaluateSchema,
  type InlineAgent,
  inlineAgentSchema,
  type ParallelAggregate
} from './model-step-schema.js';

export { type EvaluateLoop, type InlineAgent, type ModelPrompt, type ParallelAggregate, type Rating, ratings } from './model-step-schema.js';

/**
 * The definition format of workflows (declared composite tools). This file is only the shape: the
 * expressions are compiled and checked by src/workflows (checkWorkflowDefinitions), which also knows the catalog.
 *
 * In YAML a step says what it is by its key (`call:`, `parallel:`, `map:`, `switch:` or its alias `route:`);
 * after parsing every step carries `kind`, a closed union (STYLE.md §6).
 */

/** Workflow tool names: valid for every LLM API, and without `__` (which belongs to `<server>__<tool>`). */
export const workflowNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*$/;
/** Step ids and branch names: usable as JSONata names in `steps.<id>.result`. */
export const stepIdPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A JSON value that may hold `{{ expression }}` strings anywhere inside it. */
export type Template = unknown;

export interface RetryPolicy {
  /** Further tries after the first (0: none). */
  attempts: number;
  /** Wait before the first retry, in ms; doubled (by `factor`) before each next one. */
  backoff: number;
  factor: number;
  /** Retry even when the tool is neither read-only nor idempotent by its annotations. */
  force: boolean;
}

export interface StepPolicies {
  /** Per attempt, in ms. */
  timeout?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** A step run instead when this one fails (after its retries); its result stands in. */
  fallback?: WorkflowStep | undefined;
  /** `fail` stops the run; `continue` records the error, sets the result to null and goes on. */
  onError?: 'fail' | 'continue' | undefined;
  description?: string | undefined;
  /**
   * Values to name before the step runs: name → template, evaluated in order (each may read the ones before),
   * read as `vars.<name>` by this step and, for a top-level step, by every later step and the output.
   */
  let?: Record<string, Template> | undefined;
}

export interface CallStep extends StepPolicies {
  kind: 'call';
  id?: string | undefined;
  /** Public tool name (an upstream's tool or another workflow). */
  call: string;
  /** Arguments: an object of templates, or one `{{ }}` expression that yields the object. */
  with?: Template;
  /** A condition over the tool's result (`result`): when true, the call failed (a failure inside a normal result). */
  failWhen?: string | undefined;
}

export interface ParallelStep extends StepPolicies {
  kind: 'parallel';
  id?: string | undefined;
  /** Named branches, run at once; the result is an object of branch results. */
  parallel: Record<string, WorkflowStep>;
  concurrency?: number | undefined;
  /** An LLM fan-in: the step's result is the model's answer over the branch results. */
  aggregate?: ParallelAggregate | undefined;
}

export interface MapStep extends StepPolicies {
  kind: 'map';
  id?: string | undefined;
  /** An expression that yields the list. */
  map: string;
  /** The step run for each item, with `item` and `index` bound. */
  do: WorkflowStep;
  concurrency?: number | undefined;
  /** Written in the short form (`call`/`with` on the map step itself): messages point there, not at `do`. */
  shortForm?: boolean | undefined;
}

export interface SwitchRule {
  when: string;
  do: WorkflowStep;
}

export interface SwitchStep extends StepPolicies {
  kind: 'switch';
  id?: string | undefined;
  /** Rules in order; the first whose `when` is true runs. */
  switch: SwitchRule[];
  default?: WorkflowStep | undefined;
}

export interface AgentStep extends StepPolicies {
  kind: 'agent';
  id?: string | undefined;
  /** A declared agent (`agents.<name>`) or one written here. */
  agent: string | InlineAgent;
  /** The task, in words: a template over input, steps and vars. */
  task: Template;
}

export interface EvaluateStep extends StepPolicies {
  kind: 'evaluate';
  id?: string | undefined;
  evaluate: EvaluateLoop;
}

export type WorkflowStep = CallStep | ParallelStep | MapStep | SwitchStep | AgentStep | EvaluateStep;

export interface WorkflowAnnotations {
  title?: string | undefined;
  readOnlyHint?: boolean | undefined;
  destructiveHint?: boolean | undefined;
  idempotentHint?: boolean | undefined;
  openWorldHint?: boolean | undefined;
}

export interface WorkflowDefinition {
  description?: string | undefined;
  title?: string | undefined;
  /** JSON Schema of the arguments (an object schema); validated on every call. */
  input: Record<string, unknown>;
  /** JSON Schema of the output, advertised as the tool's outputSchema and checked. */
  outputSchema?: Record<string, unknown> | undefined;
  steps: WorkflowStep[];
  /** What the tool returns: a template over `input` and `steps`; default: the last step's result. */
  output?: Template;
  /** Overall deadline of a run, in ms. */
  timeout?: number | undefined;
  /** Most tool calls in flight at once in one run. */
  concurrency?: number | undefined;
  /** Default `onError` of every step. */
  onError?: 'fail' | 'continue' | undefined;
  /** Override the annotations derived from the steps. */
  annotations?: WorkflowAnnotations | undefined;
  tags?: string[] | undefined;
  /** Where it was defined, for messages (set by the loader for workflows/*.yaml files). */
  source?: string | undefined;
}

const retrySchema = z.preprocess(
  value => (typeof value === 'number' ? { attempts: value } : value),
  z.strictObject({
    attempts: z.number().int().min(0).max(20),
    backoff: durationSchema.default(200),
    factor: z.number().min(1).max(10).default(2),
    force: z.boolean().default(false)
  }, { error: 'expected a number of retries or { attempts, backoff, factor, force }' })
);

const stepKeys = ['call', 'parallel', 'map', 'switch', 'route', 'agent', 'evaluate'] as const;

type RawStep = {
  id?: string | undefined;
  description?: string | undefined;
  call?: string | undefined;
  with?: unknown;
  parallel?: Record<string, WorkflowStep> | undefined;
  map?: string | undefined;
  do?: WorkflowStep | undefined;
  switch?: SwitchRule[] | undefined;
  route?: SwitchRule[] | undefined;
  default?: WorkflowStep | undefined;
  concurrency?: number | undefined;
  timeout?: number | undefined;
  retry?: RetryPolicy | undefined;
  failWhen?: string | undefined;
  fallback?: WorkflowStep | undefined;
  onError?: 'fail' | 'continue' | undefined;
  let?: Record<string, unknown> | undefined;
  agent?: string | InlineAgent | undefined;
  task?: unknown;
  aggregate?: ParallelAggregate | undefined;
  evaluate?: EvaluateLoop | undefined;
};

const ruleSchema: z.ZodType<SwitchRule> = z.strictObject({
  when: z.string().min(1, 'expected a condition expression'),
  get do() {
    return stepSchema;
  }
});

const rawStepSchema = z.looseObject({
  id: z.string().regex(stepIdPattern, 'a step id uses letters, digits and "_", and does not start with a digit').optional(),
  description: z.string().optional(),
  call: z.string().min(1, 'expected a tool name').optional(),
  with: z.unknown().optional(),
  get parallel() {
    return z.record(z.string().regex(stepIdPattern, 'a branch name uses letters, digits and "_", and does not start with a digit'), stepSchema).optional();
  },
  map: z.string().min(1, 'expected an expression that yields a list').optional(),
  get do() {
    return stepSchema.optional();
  },
  switch: z.array(ruleSchema).optional(),
  route: z.array(ruleSchema).optional(),
  get default() {
    return stepSchema.optional();
  },
  concurrency: z.number().int().min(1).max(1000).optional(),
  timeout: durationSchema.optional(),
  retry: retrySchema.optional(),
  failWhen: z.string().min(1, 'expected a condition expression over the result').optional(),
  get fallback() {
    return stepSchema.optional();
  },
  onError: z.enum(['fail', 'continue']).optional(),
  let: z
    .record(z.string().regex(stepIdPattern, 'a variable name uses letters, digits and "_", and does not start with a digit'), z.unknown())
    .refine(vars => Object.keys(vars).length > 0, 'expected at least one name: template')
    .optional(),
  agent: z.union([z.string().min(1, 'expected an agent name (a key of "agents")'), inlineAgentSchema]).optional(),
  task: z.unknown().optional(),
  aggregate: aggregateSchema.optional(),
  evaluate: evaluateSchema.optional()
});

/** The keys a step may have (rawStepSchema's), for unknown-key hints. */
const stepFieldNames = [
  'id',
  'description',
  'call',
  'with',
  'parallel',
  'map',
  'do',
  'switch',
  'route',
  'default',
  'agent',
  'task',
  'evaluate',
  'aggregate',
  'concurrency',
  'timeout',
  'retry',
  'failWhen',
  'fallback',
  'onError',
  'let'
];

/**
 * Unknown keys, each with the nearest known key: reported with the other problems of the same definition
 * (a strict object's own check would stop the refinements, so the problems came one fix at a time).
 */
function reportUnknownKeys(value: unknown, known: readonly string[], what: string, context: z.core.$RefinementCtx<unknown>): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closestWords(key, known, 1)[0];
    context.addIssue({
      code: 'custom',
      path: [],
      message: `unknown key "${key}" (${near ? `did you mean "${near}"? See` : `${what} has ${known.map(name => `"${name}"`).join(', ')}; see`} docs/WORKFLOWS.md)`
    });
  }
}

function refineStep(step: RawStep, context: z.core.$RefinementCtx<RawStep>): void {
  reportUnknownKeys(step, stepFieldNames, 'a step', context);
  const present = stepKeys.filter(key => step[key] !== undefined);
  const issue = (message: string, path: PropertyKey[] = []) => context.addIssue({ code: 'custom', message, path });
  if (present.length === 0) {
    issue('a step needs one of "call", "parallel", "map", "switch" (or "route"), "agent" or "evaluate"');
    return;
  }
  const isCallLike = step.call !== undefined;
  if (step.agent !== undefined && step.task === undefined && present.length === 1) issue('an agent step needs "task": what the agent should do, in words (a template)', ['task']);
  if (step.task !== undefined && step.agent === undefined) issue('"task" belongs to an agent step', ['task']);
  if (step.aggregate !== undefined && step.parallel === undefined) issue('"aggregate" belongs to a parallel step', ['aggregate']);
  // A model loop is not idempotent: an agent step is retried only when the definition says so knowingly.
  if (step.agent !== undefined && present.length === 1 && step.retry !== undefined && step.retry.attempts > 0 && !step.retry.force) {
    issue('an agent step is retried only with "force: true": a model loop is not idempotent (its tool calls would run again)', ['retry']);
  }
  const isRetryable = isCallLike || (step.agent !== undefined && present.length === 1);
  if (!isRetryable && step.retry !== undefined) issue('"retry" belongs to a call (on a map, to its "call" form, where it applies to each item)', ['retry']);
  if (!isCallLike && step.failWhen !== undefined) issue('"failWhen" belongs to a call (on a map, to its "call" form, where it applies to each item)', ['failWhen']);
  if (!isCallLike && step.timeout !== undefined) issue('"timeout" belongs to a call (per attempt); for a whole run, set the workflow\'s "timeout"', ['timeout']);
  if (step.map !== undefined) {
    if (step.do === undefined && step.call === undefined) issue('a map step needs the step to run for each item: "do: {...}", or "call:" with "with:"');
    if (step.do !== undefined && step.call !== undefined) issue('a map step has either "do" or "call", not both', ['do']);
    for (const key of ['parallel', 'switch', 'route', 'agent', 'evaluate'] as const) if (step[key] !== undefined) issue(`a step has one kind; this map step also has "${key}"`, [key]);
    return;
  }
  if (present.length > 1) {
    issue(`a step has one kind (call, parallel, map, switch, agent or evaluate); this one has ${present.map(key => `"${key}"`).join(' and ')}`);
    return;
  }
  const kind = present[0];
  if (kind !== 'call' && step.with !== undefined) issue('"with" belongs to a call step (or to the call of a map step)', ['with']);
  if (step.do !== undefined) issue('"do" belongs to a map step (a switch rule has its own "do")', ['do']);
  if (kind !== 'parallel' && step.concurrency !== undefined) issue('"concurrency" belongs to a parallel or map step', ['concurrency']);
  if (kind !== 'switch' && kind !== 'route' && step.default !== undefined) issue('"default" belongs to a switch step', ['default']);
  if (kind === 'parallel' && Object.keys(step.parallel ?? {}).length === 0) issue('a parallel step needs at least one branch', ['parallel']);
  if ((kind === 'switch' || kind === 'route') && (step[kind]?.length ?? 0) === 0 && step.default === undefined) issue('a switch step needs at least one rule or a default', [kind]);
}

function toStep(step: RawStep): WorkflowStep {
  const policies: StepPolicies & { id?: string | undefined } = {
    ...(step.id !== undefined ? { id: step.id } : {}),
    ...(step.description !== undefined ? { description: step.description } : {}),
    ...(step.timeout !== undefined ? { timeout: step.timeout } : {}),
    ...(step.retry !== undefined ? { retry: step.retry } : {}),
    ...(step.fallback !== undefined ? { fallback: step.fallback } : {}),
    ...(step.onError !== undefined ? { onError: step.onError } : {}),
    ...(step.let !== undefined ? { let: step.let } : {})
  };
  if (step.map !== undefined) {
    // The short form `map` + `call`: timeout, retry and failWhen are the call's (each item's); fallback,
    // onError and let the map's.
    const { timeout, retry, ...mapPolicies } = policies;
    const each: WorkflowStep = step.do ?? {
      kind: 'call',
      call: step.call ?? '',
      ...(step.with !== undefined ? { with: step.with } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(retry !== undefined ? { retry } : {}),
      ...(step.failWhen !== undefined ? { failWhen: step.failWhen } : {})
    };
    return {
      kind: 'map',
      ...mapPolicies,
      map: step.map,
      do: each,
      ...(step.concurrency !== undefined ? { concurrency: step.concurrency } : {}),
      ...(step.do === undefined ? { shortForm: true } : {})
    };
  }
  if (step.call !== undefined) {
    return { kind: 'call', ...policies, call: step.call, ...(step.with !== undefined ? { with: step.with } : {}), ...(step.failWhen !== undefined ? { failWhen: step.failWhen } : {}) };
  }
  if (step.parallel !== undefined) {
    return {
      kind: 'parallel',
      ...policies,
      parallel: step.parallel,
      ...(step.concurrency !== undefined ? { concurrency: step.concurrency } : {}),
      ...(step.aggregate !== undefined ? { aggregate: step.aggregate } : {})
    };
  }
  if (step.agent !== undefined) return { kind: 'agent', ...policies, agent: step.agent, task: step.task };
  if (step.evaluate !== undefined) return { kind: 'evaluate', ...policies, evaluate: step.evaluate };
  return { kind: 'switch', ...policies, switch: step.switch ?? step.route ?? [], ...(step.default !== undefined ? { default: step.default } : {}) };
}

/** One step, any kind, recursively. */
export const stepSchema: z.ZodType<WorkflowStep> = z.lazy(() =>
  rawStepSchema
    // Run whatever else is wrong with the step (its problems are reported together), as long as it is an object at
    // all: a step that is null or a number is the type error alone (found by test/fuzz/config-fuzz.test.ts).
    .superRefine((step, context) => refineStep(step as RawStep, context as z.core.$RefinementCtx<RawStep>), {
      when: payload => payload.value !== null && typeof payload.value === 'object' && !Array.isArray(payload.value)
    })
    .transform(step => toStep(step as RawStep))
);

const annotationsSchema = annotationHintsSchema('a workflow');

const jsonSchemaObject = z.record(z.string(), z.unknown());

const workflowFields = {
  description: z.string().optional(),
  title: z.string().optional(),
  input: jsonSchemaObject
    .refine(schema => schema.type === undefined || schema.type === 'object', 'the input schema describes the arguments object: type must be "object"')
    // MCP requires inputSchema.type "object": a schema that leaves it out gets it (else tools/list is invalid for every client).
    .transform(schema => (schema.type === undefined ? { type: 'object', ...schema } : schema))
    .default({ type: 'object', properties: {} }),
  outputSchema: jsonSchemaObject
    .refine(schema => schema.type === 'object', 'an output schema describes structuredContent, an object: type must be "object"')
    .optional(),
  steps: z.array(stepSchema).min(1, 'a workflow needs at least one step'),
  output: z.unknown().optional(),
  timeout: durationSchema.optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  onError: z.enum(['fail', 'continue']).optional(),
  annotations: annotationsSchema.optional(),
  tags: z.array(z.string()).optional()
};

function refineWorkflow(workflow: { steps: WorkflowStep[] }, context: z.core.$RefinementCtx<unknown>, known: readonly string[]): void {
  reportUnknownKeys(workflow, known, 'a workflow', context);
  if (!Array.isArray(workflow.steps)) return;
  const seen = new Map<string, number>();
  workflow.steps.forEach((step: Partial<WorkflowStep> | undefined, index) => {
    if (step === null || typeof step !== 'object') return;
    if (step.id === undefined) {
      context.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: 'required: every top-level step needs an id (its result is steps.<id>.result)' });
      return;
    }
    const first = seen.get(step.id);
    if (first !== undefined) context.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `step id "${step.id}" is already used by steps.${first}` });
    else seen.set(step.id, index);
  });
}

const workflowFieldNames = Object.keys(workflowFields);

/** One workflow, as under `workflows.<name>` in the config. */
export const workflowSchema: z.ZodType<WorkflowDefinition> = z
  .looseObject(workflowFields)
  .superRefine((workflow, context) => refineWorkflow(workflow, context, workflowFieldNames), { when: () => true })
  .transform(({ description, title, input, outputSchema, steps, output, timeout, concurrency, onError, annotations, tags }) => ({
    input,
    steps,
    ...definedOnly({ description, title, outputSchema, output, timeout, concurrency, onError, annotations, tags })
  }));

/** A `workflows/*.yaml` file: one workflow, named by `name` or by the file name. */
export const workflowFileSchema: z.ZodType<WorkflowDefinition & { name?: string | undefined }> = z
  .looseObject({ name: z.string().optional(), ...workflowFields })
  .superRefine((workflow, context) => refineWorkflow(workflow, context, ['name', ...workflowFieldNames]), { when: () => true })
  .transform(({ name, description, title, input, outputSchema, steps, output, timeout, concurrency, onError, annotations, tags }) => ({
    input,
    steps,
    ...definedOnly({ name, description, title, outputSchema, output, timeout, concurrency, onError, annotations, tags })
  }));

/** The object without its undefined values (a definition keeps only the keys it was given). */
function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/** The `workflows:` map of the config, with name checks. */
export const workflowsSchema = z
  .record(z.string(), workflowSchema)
  .default({})
  .superRefine((workflows, context) => {
    for (const name of Object.keys(workflows)) {
      if (!workflowNamePattern.test(name) || name.length > 64) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `workflow name "${name}" must be 1-64 letters, digits, "-" and single "_" (not "__", which marks "<server>__<tool>" names)`
        });
      }
    }
  });

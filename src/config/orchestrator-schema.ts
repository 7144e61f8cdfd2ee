import * as z from 'zod/v4';

import { agentNamePattern, checkNames } from './agent-schema.js';
import { durationSchema } from './duration.js';
import { declaredNames, type ReferenceIssue, toolNameClashes, unknownModel } from './references.js';

/**
 * An orchestrator (`orchestrators.<name>`): a catalog tool that has a model (the planner) split a task into
 * steps of independent worker tasks, runs each task as an agent run of the named worker (only that agent's
 * servers and tools), and has the model write the answer from the results (synthesis).
 */
export const orchestratorSchema = z.strictObject({
  /** A key of `models`: plans and synthesizes. */
  model: z.string().min(1),
  /** Keys of `agents`: the only workers a plan may name. */
  workers: z.array(z.string().min(1)).min(1, 'name at least one agent the planner may give tasks to'),
  /** `full`: one plan of every step, then executed; `iterative`: plan one step, run it, plan the next with its results. */
  plan: z
    .enum(['full', 'iterative'], { error: 'expected "full" (plan once) or "iterative" (plan a step at a time)' })
    .default('full'),
  /** The most plan steps executed; a plan that needs more ends the run as a tool error (reason max_iterations). */
  maxIterations: z.number().int().min(1).max(100).default(5),
  /** Worker tasks of one plan step that run at once. */
  maxParallel: z.number().int().min(1).max(64).default(8),
  /** Limits of one run; passing one ends it as a tool error (reason budget) with the results so far. */
  budget: z
    .strictObject({
      /** Tokens of every model call (planner, workers, synthesis), as the endpoints report them. */
      tokens: z.number().int().min(1).optional(),
      /** Worker tasks run. */
      steps: z.number().int().min(1).optional(),
      /** Wall time of the whole run (`90s`, `5m`). */
      time: durationSchema.optional()
    })
    .default({}),
  /** The planner's system prompt (what the orchestrator is for); the workers and the JSON shape are added to it. */
  instruction: z.string().optional(),
  /** The synthesis prompt: how to write the final answer from the task results. */
  synthesis: z.string().optional(),
  /** The tool's description (what clients and their models read). */
  description: z.string().optional()
});

export const orchestratorsSchema = z
  .record(z.string(), orchestratorSchema)
  .default({})
  .superRefine(checkNames('orchestrator', agentNamePattern));

/**
 * The references of orchestrators: their model and workers must be declared, and their names may not be taken
 * by an agent or a workflow (each is a tool named by its key). Issues carry their config paths.
 */
export function checkOrchestratorReferences(config: {
  models: Record<string, unknown>;
  agents: Record<string, unknown>;
  orchestrators: Record<string, OrchestratorConfig>;
  workflows?: Record<string, unknown>;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const [name, orchestrator] of Object.entries(config.orchestrators)) {
    issues.push(
      ...toolNameClashes(['orchestrators', name], name, [
        ['an agent', config.agents],
        ['a workflow', config.workflows ?? {}]
      ])
    );
    issues.push(...unknownModel(['orchestrators', name, 'model'], orchestrator.model, config.models));
    orchestrator.workers.forEach((worker, index) => {
      if (!(worker in config.agents)) {
        issues.push({
          path: ['orchestrators', name, 'workers', index],
          message: `unknown worker agent "${worker}"; declared agents: ${declaredNames(config.agents)} (a worker is a key of agents:)`
        });
      }
    });
  }
  return issues;
}

export type OrchestratorConfig = z.infer<typeof orchestratorSchema>;

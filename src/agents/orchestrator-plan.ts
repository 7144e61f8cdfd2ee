import * as z from 'zod/v4';

import type { AgentConfig, OrchestratorConfig } from '../config/index.js';

/** One task of a plan step: which worker (an agent) does what. */
export const planTaskSchema = z.object({
  worker: z.string().min(1),
  task: z.string().min(1)
});

const stepSchema = z.object({
  tasks: z.array(planTaskSchema).min(1, 'a step has at least one task')
});

/** The planner's answer in `full` mode: every step, in order; the tasks of one step are independent of each other. */
export const fullPlanSchema = z.object({
  steps: z.array(stepSchema).min(1, 'a plan has at least one step')
});

/** The planner's answer in `iterative` mode: the next step, or `complete` when the results answer the task. */
export const nextStepSchema = z.object({
  complete: z.boolean(),
  tasks: z.array(planTaskSchema).default([])
});

export type PlanTask = z.infer<typeof planTaskSchema>;
export type FullPlan = z.infer<typeof fullPlanSchema>;
export type NextStep = z.infer<typeof nextStepSchema>;

/** A task as run, for prompts: what it was and what came of it. */
export interface TaskRecord {
  step: number;
  worker: string;
  task: string;
  outcome: 'ok' | 'error' | 'cancelled';
  /** The worker's answer, or its error. */
  text: string;
  /** Why an agent run failed (max_turns, model_error…), from its structuredContent. */
  reason?: string;
  durationMs: number;
  turns: number;
}

/** The most characters of one task result put into a later prompt. */
const maxResultChars = 8000;

/** A message naming the first worker a plan names that does not exist, or undefined. */
export function checkWorkers(tasks: readonly PlanTask[], workers: readonly string[]): string | undefined {
  const unknown = tasks.find(task => !workers.includes(task.worker));
  return unknown
    ? `worker "${unknown.worker}" does not exist; the workers are: ${workers.join(', ')}. Give every task to one of them.`
    : undefined;
}

/** The planner's system prompt: its instruction, the workers and how to plan. */
export function plannerSystem(orchestrator: OrchestratorConfig, workers: ReadonlyArray<[string, AgentConfig]>): string {
  const list = workers
    .map(
      ([name, agent]) =>
        `- ${name}: ${agent.description ?? agent.instruction ?? 'an agent'} (tools of: ${agent.servers.join(', ')})`
    )
    .join('\n');
  const how =
    orchestrator.plan === 'full'
      ? `Plan the whole task as steps, at most ${orchestrator.maxIterations}. The tasks of one step run at the same time, so put tasks that need each other's results in later steps; each task says everything its worker needs, since workers see only their own task and the results of earlier steps.`
      : 'Plan the next step only: tasks that can run at the same time, each saying everything its worker needs. When the results so far are enough to answer the task, answer with complete: true and no tasks.';
  return [
    orchestrator.instruction ?? 'You are the planner of an orchestrator: you split a task into tasks for workers.',
    `The workers (give each task to exactly one of these names):\n${list}`,
    how
  ].join('\n\n');
}

/** The planner's request: the task, and in iterative mode the results so far. */
export function plannerPrompt(task: string, done: readonly TaskRecord[]): string {
  if (done.length === 0) return `Task: ${task}`;
  return `Task: ${task}\n\nResults so far:\n${formatResults(done)}`;
}

/** A worker's task, with the results of earlier steps when there are any. */
export function workerPrompt(task: string, earlier: readonly TaskRecord[]): string {
  if (earlier.length === 0) return task;
  return `${task}\n\nResults of earlier steps, for context:\n${formatResults(earlier)}`;
}

export const defaultSynthesis =
  'You write the final answer to a task from the results of the tasks workers did for it. Answer the task directly and completely, using only what the results say; say what is missing if a task failed.';

/** The synthesis request: the task and every task result. */
export function synthesisPrompt(task: string, done: readonly TaskRecord[]): string {
  return `Task: ${task}\n\nResults of the workers:\n${formatResults(done)}`;
}

function formatResults(done: readonly TaskRecord[]): string {
  return done
    .map(record => {
      const text =
        record.text.length > maxResultChars
          ? `${record.text.slice(0, maxResultChars)} [cut: ${record.text.length} characters]`
          : record.text;
      const status = record.outcome === 'ok' ? '' : ` (${record.outcome}${record.reason ? `: ${record.reason}` : ''})`;
      return `[step ${record.step}] ${record.worker}: ${record.task}${status}\n${text}`;
    })
    .join('\n\n');
}

import type { Catalog, LocalTool } from '../catalog/index.js';
import { errorMessage, isManifoldError } from '../core/errors.js';
import type { GatewayRequest, GatewayResult } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { type AccessPolicy, runTarget, toolTarget } from '../rules/index.js';
import type { DurableRuns, RunReport } from './durable-runs.js';

/** The names of the run tools (docs/WORKFLOWS.md, "Durable runs"). */
export const runToolNames = { start: 'runs_start', status: 'runs_status', cancel: 'runs_cancel', resume: 'runs_resume' } as const;

const runIdSchema = { type: 'string', description: 'The run id runs_start or runs_resume returned (also in a workflow result\'s _meta "manifold/run-id").' };

/**
 * The tools that start a workflow run in the background and poll, cancel or resume it: a client need not hold
 * one call open for a long run, and a run the gateway lost (it was killed) continues from its journal.
 */
export function runToolDefinitions(runs: DurableRuns, access?: RunAccess): LocalTool[] {
  // A run the caller may not see (another principal's, unless a rule allows it) is one that does not exist, in the
  // same words. With or without rules: keys and tokens do not see each other's runs.
  const hidden = (request: GatewayRequest, runId: string): boolean => {
    if (!access) return false;
    const run = runs.startedBy(runId);
    return run !== undefined && !access.policy.allows(principalOf(request.downstream), runTarget(run.principal, run.workflow));
  };
  return [
    {
      definition: {
        name: runToolNames.start,
        title: 'Start a workflow run',
        description:
          'Starts a declared workflow in the background and returns its run id at once; poll runs_status with it for progress, ' +
          'partial results and the final result, and runs_cancel to stop it. Use it for runs longer than a client waits for one call.',
        inputSchema: {
          type: 'object',
          properties: {
            workflow: { type: 'string', description: 'The workflow\'s tool name (as tools/list shows it).' },
            arguments: { type: 'object', description: 'The workflow\'s arguments, as its tool takes them.' }
          },
          required: ['workflow']
        },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }
      },
      call: request => guarded(() => start(runs, request, access)),
      tags: ['workflow', 'run', 'background']
    },
    {
      definition: {
        name: runToolNames.status,
        title: 'Report a workflow run',
        description:
          'The state of a workflow run (running, completed, failed, cancelled, interrupted), its progress in steps, the results of the steps ' +
          'it finished (partial_results), and once it ended its result.',
        inputSchema: { type: 'object', properties: { run_id: runIdSchema }, required: ['run_id'] },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
      },
      call: request =>
        guarded(async () => {
          const runId = stringArgument(request, 'run_id');
          const report = hidden(request, runId) ? undefined : runs.status(runId);
          return report ? reportResult(report) : errorResult(`No run "${runId}": check the id (runs_start and runs_resume return it; manifold runs lists the recent ones).`);
        }),
      tags: ['workflow', 'run']
    },
    {
      definition: {
        name: runToolNames.cancel,
        title: 'Cancel a workflow run',
        description: 'Cancels a workflow run this gateway is running (the call in flight is cancelled too) and returns its report. A cancelled run can be resumed.',
        inputSchema: { type: 'object', properties: { run_id: runIdSchema }, required: ['run_id'] },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false }
      },
      call: request =>
        guarded(async () => {
          const runId = stringArgument(request, 'run_id');
          if (hidden(request, runId)) return errorResult(`no run "${runId}" (manifold runs lists the recent ones).`);
          return reportResult(await runs.cancel(runId));
        }),
      tags: ['workflow', 'run']
    },
    {
      definition: {
        name: runToolNames.resume,
        title: 'Resume a workflow run',
        description:
          'Continues an interrupted (its gateway stopped), failed or cancelled workflow run from its first unfinished step, in the background: ' +
          'calls that finished are not made again, their recorded results are reused. A call that was in flight and is not idempotent ' +
          'stops it as interrupted, unless force is true (then it is called again). Returns the run id; poll runs_status.',
        inputSchema: {
          type: 'object',
          properties: {
            run_id: runIdSchema,
            force: { type: 'boolean', description: 'Call again a step that was in flight although it is not idempotent (check first whether it took effect).' },
            wait: { type: 'boolean', description: 'Return when the run ends, with its result, instead of at once.' }
          },
          required: ['run_id']
        },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }
      },
      call: request =>
        guarded(async () => {
          const args = request.params.arguments as { force?: unknown; wait?: unknown } | undefined;
          const runId = stringArgument(request, 'run_id');
          if (hidden(request, runId)) return errorResult(`no run "${runId}" in the run store (manifold runs lists the recent ones).`);
          const resumed = runs.resume(runId, { force: args?.force === true }, request.downstream);
          if (!resumed.done) return resumed.refused;
          if (args?.wait === true) return resumed.done;
          return reportResult(runs.status(resumed.runId) as RunReport, `Run ${resumed.runId} resumed; poll runs_status for its progress and result.`);
        }),
      tags: ['workflow', 'run']
    }
  ];
}

/** Config `rules:` for the run tools: who may see which runs, and start which workflows. */
export interface RunAccess {
  policy: AccessPolicy;
  catalog: Catalog;
}

function start(runs: DurableRuns, request: GatewayRequest, access: RunAccess | undefined): GatewayResult {
  const args = (request.params.arguments ?? {}) as { workflow?: unknown; arguments?: unknown };
  if (typeof args.workflow !== 'string' || args.workflow === '') return errorResult('Name the workflow to start: {"workflow": "<name>", "arguments": {...}}.');
  // A caller served a view names tools as its view does, and may start only the workflows it can see.
  const scope = request.downstream.toolScope;
  const name = scope ? scope(args.workflow) : args.workflow;
  if (name === undefined) return errorResult(`There is no workflow "${args.workflow}" in this view: use a workflow's name as tools/list shows it.`);
  // A workflow the caller's rules hide is one that does not exist (the run does not travel the pipeline's rules stage).
  if (access?.policy.active) {
    const tool = access.catalog.findTool(name);
    const given = args.arguments;
    const callArgs = typeof given === 'object' && given !== null && !Array.isArray(given) ? (given as Record<string, unknown>) : {};
    if (tool && !access.policy.allows(principalOf(request.downstream), toolTarget(tool, callArgs)))
      return errorResult(`There is no workflow "${args.workflow}": use a workflow's name as tools/list shows it.`);
  }
  let started: ReturnType<DurableRuns['start']>;
  try {
    started = runs.start(name, args.arguments ?? {}, request.downstream);
  } catch (error) {
    if (isManifoldError(error) && error.code === 'TOOL_NOT_FOUND') return errorResult(`There is no workflow "${args.workflow}": use a workflow's name as tools/list shows it.`);
    throw error;
  }
  if (started.error) return started.error;
  const report = runs.status(started.runId);
  return report ? reportResult(report, `Run ${started.runId} of "${args.workflow}" started; poll runs_status with run_id "${started.runId}".`) : errorResult('the run did not start');
}

function reportResult(report: RunReport, headline?: string): GatewayResult {
  const line =
    headline ??
    `Run ${report.run_id} of "${report.workflow}" is ${report.status}: ${report.progress.steps_done} of ${report.progress.steps_total} steps done` +
      (report.error ? `; ${report.error}` : '') +
      '.';
  return { content: [{ type: 'text', text: `${line}\n${JSON.stringify(report)}` }], structuredContent: report };
}

function errorResult(text: string): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

function stringArgument(request: GatewayRequest, name: string): string {
  const value = (request.params.arguments as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value === '') throw new RunToolError(`Give "${name}" as a string.`);
  return value;
}

class RunToolError extends Error {}

/** Reasons a run tool cannot do what it was asked (no such run, not resumable) are tool errors the caller can act on. */
async function guarded(work: () => Promise<GatewayResult> | GatewayResult): Promise<GatewayResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RunToolError || (isManifoldError(error) && error.code === 'INVALID_PARAMS')) return errorResult(`${errorMessage(error)}.`);
    throw error;
  }
}

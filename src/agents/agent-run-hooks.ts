import { randomBytes } from 'node:crypto';

import type { Tool } from '@modelcontextprotocol/client';

import { errorMessage } from '../core/errors.js';
import type { DownstreamContext, GatewayResult } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import { type Checkpoint, journalPoint, RunJournal, type RunKind, type RunLink, type RunOwner, type RunRecord, type RunStatus, type RunStore, StepInFlight, type StepRecord } from '../store/index.js';
import type { AgentConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { journalHooks } from './journal-hooks.js';
import type { ModelTurn } from './model-backend.js';

/** A unit of a model-driven run other than an agent's turn or tool call: a planner's call, a worker task, a route decision. */
export interface HookUnit {
  /** Its journal key, unique in the run (in this scope) and the same on every execution. */
  key: string;
  /** Its step's path in the run record (`plan call 1`, `step 1 task 2 echoer`). */
  path: string;
  /** The journal's and the step record's kind (`model-turn`, `task`, `route`). */
  kind: StepRecord['kind'];
  /** The step record's tool (`model`, `worker echoer`). */
  tool: string;
}

/** What a unit's output says of it, for its step record. */
export type DescribeUnit<T> = (output: T) => { ok: boolean; detail?: string; error?: string };

/** Where a model-driven run's model turns and tool calls go through: recorded as steps, journaled, replayed on resume. */
export interface AgentRunHooks {
  /** The run's id. */
  readonly runId: string;
  /** The path its steps start with, in a scope (`step 1 task 2 echoer`); absent at the run's top. */
  readonly scopePath?: string | undefined;
  /** Whether this execution was resumed with force (a call in flight at a crash is made again). */
  readonly force: boolean;
  /** One model call (`turn` from 1): its answer is journaled; on resume a journaled answer is returned without calling the model. */
  modelTurn(turn: number, work: () => Promise<ModelTurn>): Promise<ModelTurn>;
  /**
   * One tool call (the `index`th of turn `turn`): its result is journaled; on resume a journaled result is returned
   * without calling the tool. Throws {@link StepInFlight} when the call was in flight at a crash and is not safe to repeat.
   */
  toolCall(turn: number, index: number, tool: string, args: Record<string, unknown>, work: () => Promise<ToolCallOutcome>): Promise<ToolCallOutcome>;
  /**
   * Any other unit of the run, journaled and recorded as a step: on resume a journaled output is returned without
   * doing `work`. It is safe to do again when in flight at a crash (a model call; a unit whose own tool calls are
   * journaled inside it). `keep` says whether an output is final (default: every output is).
   */
  unit<T>(unit: HookUnit, work: () => Promise<T>, describe?: DescribeUnit<T>, keep?: (output: T) => boolean): Promise<T>;
  /** Hooks for one of several agents of the run (an orchestrator's task): its steps' paths start with `path`, its journal keys with `key`. */
  scoped(scope: { path: string; key: string }): AgentRunHooks;
}

/** What the model is told of a tool call. */
export interface ToolCallOutcome {
  isError: boolean;
  text: string;
}

/** Where runs of directly called agents (orchestrators, routers) are recorded: the gateway's run store. */
export interface ModelRunsContext {
  /** The run store, or undefined when there is none (runs are then not recorded). */
  store(): RunStore | undefined;
  /** The process recorded as the owner of the runs it executes (the same as workflow runs', so a live run is not taken for a dead one). */
  owner: RunOwner;
  /** A tool's definition now, to tell whether a call in flight at a crash is safe to repeat (read-only or idempotent). */
  findTool(name: string): Tool | undefined;
  /**
   * A linked run (see {@link RunLink}) that is already recorded: its result when it completed, else resumed from its
   * journal (awaited); undefined when there is no such run yet (the call starts it under the link's id).
   */
  continueLinked?(link: RunLink, downstream: DownstreamContext): Promise<GatewayResult> | undefined;
}

/** The `_meta` keys of a recorded run's result (the same as workflow runs'). */
export const runIdMetaKey = 'manifold/run-id';
export const usageMetaKey = 'manifold/usage';

/** The most characters of a recorded input (the run's, a tool call's arguments). */
const maxInputChars = 2000;

export interface RecordedRun {
  kind: RunKind;
  /** The agent's (orchestrator's, router's) name. */
  name: string;
  /** The arguments, as given. */
  args: Record<string, unknown>;
  /** What the run needs to run again on resume (its config), as JSON-able data. */
  definition: unknown;
  /** Set when resuming: the run's id and its journal. */
  resume?: { runId: string; checkpoints: readonly Checkpoint[]; force: boolean } | undefined;
  /** A new run's id, when its caller links to it ({@link RunLink}); default: a fresh one. */
  runId?: string | undefined;
  /** Runs the work; with hooks when there is a store to record in. */
  execute(hooks: AgentRunHooks | undefined): Promise<GatewayResult>;
  /** Who started it (recorded with the run; config rules: a principal sees its own runs). */
  principal?: Principal | undefined;
}

/**
 * Runs a directly called agent as a recorded, journaled run: a run record (kind, input, status, result with its
 * model usage, error), a step record for each model turn and tool call, and a journal entry for each, so a resumed
 * run replays the conversation instead of asking the model or calling the tools again. Without a store the work
 * simply runs. The result carries the run's id in `_meta["manifold/run-id"]`.
 */
export async function recordModelRun(context: ModelRunsContext | undefined, logger: Logger, run: RecordedRun): Promise<GatewayResult> {
  const store = safe(logger, 'open the run store', () => context?.store());
  if (!context || !store) return run.execute(undefined);
  const runId = run.resume?.runId ?? run.runId ?? `run_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const write = <T>(what: string, action: () => T): T | undefined => safe(logger, `record ${what} of run ${runId}`, action);
  if (!run.resume) {
    const argsJson = JSON.stringify(run.args);
    const record: RunRecord = {
      id: runId,
      workflow: run.name,
      kind: run.kind,
      status: 'running',
      startedAt: Date.now(),
      input: argsJson.length > maxInputChars ? `${argsJson.slice(0, maxInputChars)}…` : argsJson,
      arguments: argsJson,
      definition: JSON.stringify(run.definition),
      owner: context.owner,
      principal: run.principal?.name
    };
    write('the start', () => store.startRun(record));
  }
  const journal = new RunJournal({
    runId,
    store,
    prior: run.resume?.checkpoints ?? [],
    force: run.resume?.force ?? false,
    onWriteError: error => logger.warn(`cannot journal run ${runId}: ${errorMessage(error)}`)
  });
  const hooks = journalHooks({
    journal,
    force: run.resume?.force ?? false,
    findTool: name => context.findTool(name),
    steps: {
      start: record => write('a step', () => store.startStep({ ...record, runId, attempt: 1, status: 'running', startedAt: Date.now() })),
      end: (handle, end) => {
        if (handle === undefined) return;
        write('a step', () =>
          store.endStep(handle, { status: end.ok ? 'ok' : 'failed', endedAt: Date.now(), ...(end.outputSize !== undefined ? { outputSize: end.outputSize } : {}), ...(end.error ? { error: end.error } : {}), ...(end.detail ? { detail: end.detail } : {}) })
        );
      }
    }
  });
  journalPoint('run-start');
  let result: GatewayResult;
  try {
    result = await run.execute(hooks);
  } catch (error) {
    const interrupted = error instanceof StepInFlight;
    const message = interrupted
      ? `${error.message}. Check; then resume with --force (manifold runs resume ${runId} --force) or force: true (runs_resume) to call it again`
      : `the ${run.kind} stopped unexpectedly: ${errorMessage(error)}`;
    write('the end', () => store.endRun(runId, { status: interrupted ? 'interrupted' : 'failed', endedAt: Date.now(), error: message }));
    if (!interrupted) throw error;
    return {
      isError: true,
      content: [{ type: 'text', text: `Run ${runId} of ${run.kind} "${run.name}" stopped, it stays interrupted: ${message}.` }],
      structuredContent: { run_id: runId, status: 'interrupted', reason: 'interrupted', error: { step: error.key, ...(error.label ? { tool: error.label } : {}), reason: 'interrupted', message, hint: 'resume with force' } },
      _meta: { [runIdMetaKey]: runId }
    };
  }
  const withMeta: GatewayResult = { ...result, _meta: { ...(result._meta as Record<string, unknown> | undefined), [runIdMetaKey]: runId } };
  const usage = usageOf(run.name, result);
  const status: RunStatus = result.isError !== true ? 'completed' : (result.structuredContent as { reason?: unknown } | undefined)?.reason === 'cancelled' ? 'cancelled' : 'failed';
  const recorded = { ...withMeta, _meta: { ...(withMeta._meta as Record<string, unknown>), ...(usage ? { [usageMetaKey]: usage } : {}) } };
  const resultJson = JSON.stringify(recorded);
  write('the end', () =>
    store.endRun(runId, {
      status,
      endedAt: Date.now(),
      outputSize: resultJson.length,
      ...(status !== 'completed' ? { error: textOf(result).slice(0, 2000) } : {}),
      result: resultJson
    })
  );
  return withMeta;
}

interface Totals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/**
 * The model usage of a run's result as a run's: every model call (any `calls` list in `structuredContent.usage`:
 * an agent's, an orchestrator's with its workers', a router's classification and routed call), totals per model
 * and per agent (a call's worker or agent, else the run's own name).
 */
function usageOf(name: string, result: GatewayResult): Record<string, unknown> | undefined {
  const found: Array<{ model: string; inputTokens: number; outputTokens: number; agent: string } & Record<string, unknown>> = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'calls' && Array.isArray(inner)) {
        for (const call of inner as Array<Record<string, unknown>>) {
          if (typeof call?.inputTokens !== 'number' || typeof call.outputTokens !== 'number') continue;
          const agent = typeof call.worker === 'string' ? call.worker : typeof call.agent === 'string' ? call.agent : name;
          found.push({ ...call, model: typeof call.model === 'string' ? call.model : '?', inputTokens: call.inputTokens, outputTokens: call.outputTokens, agent });
        }
      } else walk(inner);
    }
  };
  walk((result.structuredContent as { usage?: unknown } | undefined)?.usage);
  if (found.length === 0) return undefined;
  const byModel: Record<string, Totals> = {};
  const byAgent: Record<string, Totals> = {};
  const all: Totals = { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const call of found) {
    const model = (byModel[call.model] ??= { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    const agent = (byAgent[call.agent] ??= { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    for (const totals of [model, agent, all]) {
      totals.calls++;
      totals.inputTokens += call.inputTokens;
      totals.outputTokens += call.outputTokens;
      totals.totalTokens += call.inputTokens + call.outputTokens;
    }
  }
  return { calls: found, inputTokens: all.inputTokens, outputTokens: all.outputTokens, totalTokens: all.totalTokens, byModel, byAgent };
}

function textOf(result: GatewayResult): string {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  return content.map(block => (block.type === 'text' ? (block.text ?? '') : '')).join('\n');
}

/** Runs a store action; a store that fails is logged, not the run's failure. */
function safe<T>(logger: Logger, what: string, action: () => T): T | undefined {
  try {
    return action();
  } catch (error) {
    logger.warn(`cannot ${what}: ${errorMessage(error)}`);
    return undefined;
  }
}

/** A recorded run to go on with: its id, journal, and the config (agent's, orchestrator's, router's) it started with. */
export interface ModelRunResume<Config> {
  runId: string;
  checkpoints: readonly Checkpoint[];
  force: boolean;
  config: Config;
}

/** A recorded agent run to go on with. */
export type AgentResume = ModelRunResume<AgentConfig>;

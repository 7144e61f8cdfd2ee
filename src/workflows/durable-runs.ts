import { localPrincipal, principalOf } from '../core/principal.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import type { Catalog } from '../catalog/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { DownstreamContext, GatewayRequest, GatewayResult } from '../core/pipeline.js';
import { type Checkpoint, linkParentOf, type RunLink, type RunOwner, type RunRecord, type RunStatus, type RunStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { isRetrySafe } from './check-workflow-tools.js';
import type { CompiledWorkflow } from './compile-workflow.js';
import { type ExecuteWorkflowOptions, newRunId } from './execute-workflow.js';
import { type RunLeaseOptions, startRunLeases } from './run-leases.js';
import { runIdMetaKey } from './step-failure.js';

/** A workflow and its checked arguments, ready to run. */
export interface PreparedRun {
  workflow: CompiledWorkflow;
  /** The name recorded for the run (`(ad hoc)` for run_workflow). */
  runName: string;
  args: Record<string, unknown>;
  validateOutput?: ((input: unknown) => { valid: boolean; errorMessage?: string | undefined }) | undefined;
}

/** What {@link DurableRuns} needs from the workflow engine. */
export interface DurableRunsHost {
  store(): RunStore | undefined;
  catalog: Catalog;
  logger: Logger;
  /** A declared workflow with its arguments checked; a tool error result when they are invalid. */
  prepare(name: string, given: unknown): { prepared: PreparedRun; error?: undefined } | { prepared?: undefined; error: GatewayResult };
  /** A run's recorded definition compiled again, or why it cannot be. */
  prepareStored(runName: string, definitionJson: string): Omit<PreparedRun, 'args'> | string;
  execute(prepared: PreparedRun, request: GatewayRequest, extra: Partial<ExecuteWorkflowOptions>): Promise<GatewayResult>;
}

/** A run this process is executing (or executed lately), for runs_status without a store round trip. */
interface LiveRun {
  id: string;
  workflow: string;
  /** The name of the principal that started (or resumed) it. */
  startedBy: string;
  controller: AbortController;
  done: Promise<GatewayResult>;
  stepsDone: number;
  stepsTotal: number;
  partial: Record<string, unknown>;
  result?: GatewayResult;
}

/** What runs_status returns (structuredContent). */
export interface RunReport {
  run_id: string;
  workflow: string;
  status: RunStatus;
  progress: { steps_done: number; steps_total: number };
  /** Each finished top-level step's result, by step id. */
  partial_results: Record<string, unknown>;
  /** The run's tool result, once it ended. */
  result?: GatewayResult;
  error?: string;
  started_at: string;
  ended_at?: string;
  resumes: number;
}

/** Goes on with a recorded run that is not a workflow run (an agent's, orchestrator's, router's), from its journal. */
export interface RunResumer {
  /** Why the run cannot run with the config now (an agent, worker, model or route it needs is gone), checked before it is claimed. */
  check(run: RunRecord): string | undefined;
  resume(run: RunRecord, resume: { checkpoints: Checkpoint[]; force: boolean }, downstream: DownstreamContext): Promise<GatewayResult>;
}

/** Statuses a run can be resumed from. */
const resumable: readonly RunStatus[] = ['interrupted', 'failed', 'cancelled'];
/** Finished runs kept in memory for runs_status when there is no store. */
const keepFinished = 100;

/**
 * Workflow runs as resources with an id: started in the background (the caller polls instead of holding a
 * call open), reported, cancelled, and resumed from their journal after the process running them died.
 */
export class DurableRuns {
  /** This process, recorded as the owner of the runs it executes. */
  static readonly owner: RunOwner = { pid: process.pid, host: hostname(), token: randomUUID() };
  private readonly host: DurableRunsHost;
  private readonly live = new Map<string, LiveRun>();
  /** How runs that are not workflow runs are resumed, by kind (the gateway sets `agent`). */
  readonly resumers = new Map<string, RunResumer>();
  private leases: { close(): void } | undefined;

  constructor(host: DurableRunsHost) {
    this.host = host;
  }

  /** Marks the runs of this host left `running` by a process that is gone `interrupted`; returns their ids. */
  markInterrupted(): string[] {
    const store = this.host.store();
    if (!store) return [];
    try {
      const marked = store.markInterrupted(DurableRuns.owner.host, isOwnerAlive, Date.now());
      if (marked.length > 0) {
        this.host.logger.warn(
          `${marked.length} run(s) were left running by a gateway that stopped, now interrupted: ${marked.join(', ')} ("manifold runs resume <id>" or the runs_resume tool continues one)`
        );
      }
      return marked;
    } catch (error) {
      this.host.logger.warn(`cannot check the run store for interrupted runs: ${errorMessage(error)}`);
      return [];
    }
  }

  /** Starts a declared workflow in the background; its id at once, or a tool error result (bad arguments). */
  start(name: string, given: unknown, downstream: DownstreamContext): { runId: string; error?: undefined } | { runId?: undefined; error: GatewayResult } {
    const { prepared, error } = this.host.prepare(name, given);
    if (!prepared) return { error };
    return { runId: this.launch(prepared, downstream, {}).id };
  }

  /**
   * Resumes a run from its journal, in the background. Throws INVALID_PARAMS when it cannot be resumed (no such
   * run, completed, running elsewhere, recorded before durable runs). When a call that is not idempotent was
   * in flight and `force` is not set, nothing runs: the run stays `interrupted` and the result says why.
   */
  resume(
    runId: string,
    options: { force: boolean },
    downstream: DownstreamContext,
    /** This process took the run over already (its lease expired: RunStore.claimExpired); it is `running` under us. */
    claimed = false
  ): { runId: string; done: Promise<GatewayResult>; refused?: undefined } | { refused: GatewayResult; done?: undefined } {
    const store = this.host.store();
    if (!store) throw new ManifoldError('INVALID_PARAMS', `cannot resume run "${runId}": the run store is not available (see the gateway's log)`);
    if (this.live.get(runId)?.result === undefined && this.live.has(runId)) {
      throw new ManifoldError('INVALID_PARAMS', `run "${runId}" is running in this gateway; runs_status reports it, runs_cancel stops it`);
    }
    this.markInterrupted();
    const found = store.getRun(runId);
    if (!found) throw new ManifoldError('INVALID_PARAMS', `no run "${runId}" in the run store (manifold runs lists the recent ones)`);
    const run = found.run;
    if (run.status === 'completed') throw new ManifoldError('INVALID_PARAMS', `run "${runId}" completed; there is nothing to resume (runs_status or manifold runs ${runId} shows its result)`);
    if (run.status === 'running' && !(claimed && run.owner?.token === DurableRuns.owner.token)) {
      throw new ManifoldError('INVALID_PARAMS', `run "${runId}" is running in process ${run.owner?.pid ?? '?'} on ${run.owner?.host ?? '?'}; it can be resumed once it stops`);
    }
    if (run.arguments === undefined || run.definition === undefined) {
      throw new ManifoldError('INVALID_PARAMS', `run "${runId}" was recorded before runs were journaled (no arguments or definition recorded); run the workflow again instead`);
    }
    if (run.kind !== undefined && run.kind !== 'workflow') return this.resumeOther(store, run, options, downstream, claimed);
    const stored = this.host.prepareStored(run.workflow, run.definition);
    if (typeof stored === 'string') throw new ManifoldError('INVALID_PARAMS', `cannot resume run "${runId}": ${stored}`);
    const checkpoints = store.getCheckpoints(runId);
    const inFlight = options.force ? [] : checkpoints.filter(checkpoint => this.isUnsafeInFlight(checkpoint));
    if (inFlight.length > 0) return { refused: this.refuseInFlight(store, run, inFlight) };
    if (!claimed && !store.claimRun(runId, DurableRuns.owner, resumable)) {
      throw new ManifoldError('INVALID_PARAMS', `run "${runId}" was taken over by another process as it was being resumed; runs_status reports it`);
    }
    const prepared: PreparedRun = { ...stored, args: JSON.parse(run.arguments) as Record<string, unknown> };
    this.host.logger.info(`resuming run ${runId} of ${run.workflow} (${checkpoints.filter(checkpoint => checkpoint.status === 'done').length} journal entries to reuse${options.force ? ', forced' : ''})`);
    const live = this.launch(prepared, downstream, { runId, resume: { checkpoints, force: options.force } });
    return { runId, done: live.done };
  }

  /**
   * A linked run (a router's routed agent or workflow run, see RunLink) as the calling run's resumed execution
   * finds it: its recorded result when it completed, else resumed from its own journal (awaited); undefined when
   * it was never started (the call starts it under the link's id). Throws INVALID_PARAMS as `resume` does.
   */
  continueLinked(link: RunLink, downstream: DownstreamContext): Promise<GatewayResult> | undefined {
    const found = this.host.store()?.getRun(link.runId)?.run;
    if (!found) return undefined;
    if (found.status === 'completed' && found.result !== undefined) {
      this.host.logger.info(`run ${link.runId} of ${found.workflow} completed before; its recorded result is used, it is not run again`);
      return Promise.resolve(JSON.parse(found.result) as GatewayResult);
    }
    const outcome = this.resume(link.runId, { force: link.force }, downstream);
    return outcome.done ?? Promise.resolve(outcome.refused);
  }

  /** Resumes an agent (orchestrator, router) run through its kind's resumer, like a workflow run. */
  private resumeOther(
    store: RunStore,
    run: RunRecord,
    options: { force: boolean },
    downstream: DownstreamContext,
    claimed: boolean
  ): { runId: string; done: Promise<GatewayResult>; refused?: undefined } | { refused: GatewayResult; done?: undefined } {
    const resumer = this.resumers.get(run.kind ?? '');
    if (!resumer) throw new ManifoldError('INVALID_PARAMS', `run "${run.id}" is a run of ${run.kind ?? '?'} "${run.workflow}", and ${run.kind ?? '?'} runs cannot be resumed here (this gateway has no resumer for them); call it again instead`);
    const missing = resumer.check(run);
    if (missing !== undefined) {
      throw new ManifoldError('INVALID_PARAMS', `cannot resume run "${run.id}" of ${run.kind ?? '?'} "${run.workflow}": ${missing}. Put it back in the config and resume again, or call the ${run.kind ?? '?'} again instead`);
    }
    const checkpoints = store.getCheckpoints(run.id);
    const inFlight = options.force ? [] : checkpoints.filter(checkpoint => this.isUnsafeInFlight(checkpoint));
    if (inFlight.length > 0) return { refused: this.refuseInFlight(store, run, inFlight) };
    if (!claimed && !store.claimRun(run.id, DurableRuns.owner, resumable)) {
      throw new ManifoldError('INVALID_PARAMS', `run "${run.id}" was taken over by another process as it was being resumed; runs_status reports it`);
    }
    this.host.logger.info(`resuming ${run.kind ?? ''} run ${run.id} of ${run.workflow} (${checkpoints.filter(checkpoint => checkpoint.status === 'done').length} journal entries to reuse${options.force ? ', forced' : ''})`);
    const controller = new AbortController();
    const live: LiveRun = { id: run.id, workflow: run.workflow, startedBy: run.principal ?? localPrincipal.name, controller, done: Promise.resolve({}), stepsDone: 0, stepsTotal: 0, partial: {} };
    this.live.set(run.id, live);
    live.done = resumer
      .resume(run, { checkpoints, force: options.force }, detached(downstream, controller.signal))
      .catch((error: unknown): GatewayResult => {
        this.host.logger.error(`run ${run.id} of ${run.workflow} stopped unexpectedly: ${errorMessage(error)}`);
        return { isError: true, content: [{ type: 'text', text: `Run ${run.id} stopped unexpectedly: ${errorMessage(error)}` }], _meta: { [runIdMetaKey]: run.id } };
      })
      .then(result => {
        live.result = result;
        this.forgetFinished();
        return result;
      });
    return { runId: run.id, done: live.done };
  }

  /**
   * Resumes these runs in the background (`gateway.resumeInterrupted`: the ones found interrupted at start),
   * without force: one with a call in flight that is not idempotent stays interrupted, and the log says so. A
   * linked run (a router's routed agent or workflow run, `<id>.routed`) whose caller is among them is left to its
   * caller, which resumes it when it gets to it.
   */
  resumeAll(runIds: readonly string[], downstream: DownstreamContext = gatewayDownstream()): string[] {
    const resumed: string[] = [];
    for (const runId of runIds) {
      const parent = linkParentOf(runId);
      if (parent !== undefined && runIds.includes(parent)) continue;
      try {
        const outcome = this.resume(runId, { force: false }, downstream);
        if (outcome.done) resumed.push(runId);
        else this.host.logger.warn(`run ${runId} is not resumed automatically: ${(outcome.refused.content as Array<{ text: string }>)[0]?.text ?? ''}`);
      } catch (error) {
        this.host.logger.warn(`run ${runId} is not resumed automatically: ${errorMessage(error)}`);
      }
    }
    if (resumed.length > 0) this.host.logger.info(`resumed ${resumed.length} interrupted run(s) (gateway.resumeInterrupted): ${resumed.join(', ')}`);
    return resumed;
  }

  /** The run's state, progress, partial results and (once it ended) result; undefined if unknown. */
  status(runId: string): RunReport | undefined {
    const live = this.live.get(runId);
    const stored = this.host.store()?.getRun(runId)?.run;
    if (live && (live.result === undefined || !stored)) {
      const result = live.result;
      return {
        run_id: runId,
        workflow: live.workflow,
        status: result === undefined ? 'running' : statusOf(result),
        progress: { steps_done: live.stepsDone, steps_total: live.stepsTotal },
        partial_results: { ...live.partial },
        ...(result ? { result: withoutMeta(result) } : {}),
        started_at: stored ? new Date(stored.startedAt).toISOString() : '',
        resumes: stored?.resumes ?? 0
      };
    }
    if (!stored) return undefined;
    const checkpoints = this.host.store()?.getCheckpoints(runId) ?? [];
    const partial: Record<string, unknown> = {};
    for (const checkpoint of checkpoints) {
      if (checkpoint.kind !== 'step' || checkpoint.status !== 'done' || checkpoint.output === undefined) continue;
      partial[checkpoint.key.replace(/^step:/, '')] = (JSON.parse(checkpoint.output) as { value?: unknown }).value ?? null;
    }
    let total = 0;
    try {
      total = stored.definition ? ((JSON.parse(stored.definition) as { steps?: unknown[] }).steps?.length ?? 0) : 0;
    } catch {
      total = 0;
    }
    return {
      run_id: runId,
      workflow: stored.workflow,
      status: stored.status,
      progress: { steps_done: Object.keys(partial).length, steps_total: total },
      partial_results: partial,
      ...(stored.result !== undefined && stored.status !== 'running' ? { result: withoutMeta(JSON.parse(stored.result) as GatewayResult) } : {}),
      ...(stored.error !== undefined && stored.status !== 'running' ? { error: stored.error } : {}),
      started_at: new Date(stored.startedAt).toISOString(),
      ...(stored.endedAt !== undefined && stored.status !== 'running' ? { ended_at: new Date(stored.endedAt).toISOString() } : {}),
      resumes: stored.resumes ?? 0
    };
  }

  /**
   * Who started a run, and what it runs (config rules: a principal sees its own runs); undefined when there is no
   * such run. A resumed run keeps the principal that started it.
   */
  startedBy(runId: string): { principal: string; workflow: string } | undefined {
    const stored = this.host.store()?.getRun(runId)?.run;
    if (stored) return { principal: stored.principal ?? localPrincipal.name, workflow: stored.workflow };
    const live = this.live.get(runId);
    return live ? { principal: live.startedBy, workflow: live.workflow } : undefined;
  }

  /** Cancels a run this process executes and waits (a few seconds at most) for it to stop; its report. */
  async cancel(runId: string): Promise<RunReport> {
    const live = this.live.get(runId);
    if (!live || live.result !== undefined) {
      const report = this.status(runId);
      if (!report) throw new ManifoldError('INVALID_PARAMS', `no run "${runId}" (manifold runs lists the recent ones)`);
      if (report.status !== 'running') throw new ManifoldError('INVALID_PARAMS', `run "${runId}" is not running (it is ${report.status}); there is nothing to cancel`);
      const owner = this.host.store()?.getRun(runId)?.run.owner;
      if (owner?.token === DurableRuns.owner.token) {
        throw new ManifoldError('INVALID_PARAMS', `run "${runId}" was started by a tool call that is still open; cancel that call to stop it (runs_cancel stops the runs runs_start and runs_resume started)`);
      }
      throw new ManifoldError('INVALID_PARAMS', `run "${runId}" runs in another process (${owner?.pid ?? '?'} on ${owner?.host ?? '?'}); cancel it through the gateway that runs it`);
    }
    live.controller.abort();
    await Promise.race([live.done, new Promise(resolve => setTimeout(resolve, 5000).unref())]);
    return this.status(runId) as RunReport;
  }

  /**
   * Fleet mode: leases this process's runs (renewed every third of the lease) and, with `adopt`, resumes the runs
   * of instances whose leases expired (run-leases.ts, docs/FLEET.md "Runs across instances").
   */
  startLeases(options: Omit<RunLeaseOptions, 'owner'>): void {
    this.leases?.close();
    DurableRuns.owner.lease = options.lease;
    this.leases = startRunLeases(
      {
        store: () => this.host.store(),
        logger: this.host.logger,
        running: () => [...this.live.values()].filter(live => live.result === undefined).map(live => live.id),
        abandon: runId => this.live.get(runId)?.controller.abort(),
        resumeClaimed: runId => this.resume(runId, { force: false }, gatewayDownstream(), true)
      },
      { ...options, owner: DurableRuns.owner }
    );
  }

  /** Stops the runs this process executes (the gateway is closing): they are left to be resumed. */
  close(): void {
    this.leases?.close();
    this.leases = undefined;
    for (const live of this.live.values()) if (live.result === undefined) live.controller.abort();
  }

  private launch(prepared: PreparedRun, downstream: DownstreamContext, extra: Partial<ExecuteWorkflowOptions>): LiveRun {
    const id = extra.runId ?? newRunId();
    const controller = new AbortController();
    const live: LiveRun = {
      id,
      workflow: prepared.runName,
      startedBy: principalOf(downstream).name,
      controller,
      done: Promise.resolve({}),
      stepsDone: 0,
      stepsTotal: prepared.workflow.steps.length,
      partial: {}
    };
    this.live.set(id, live);
    const request: GatewayRequest = {
      method: 'tools/call',
      params: { name: prepared.runName, arguments: prepared.args },
      downstream: detached(downstream, controller.signal)
    };
    live.done = this.host
      .execute(prepared, request, {
        ...extra,
        runId: id,
        onStepEnd: (step, value, done) => {
          live.partial[step] = value;
          live.stepsDone = done;
        }
      })
      .catch((error: unknown): GatewayResult => {
        this.host.logger.error(`run ${id} of ${prepared.runName} stopped unexpectedly: ${errorMessage(error)}`);
        return { isError: true, content: [{ type: 'text', text: `Run ${id} stopped unexpectedly: ${errorMessage(error)}` }], _meta: { [runIdMetaKey]: id } };
      })
      .then(result => {
        live.result = result;
        this.forgetFinished();
        return result;
      });
    return live;
  }

  private forgetFinished(): void {
    const finished = [...this.live.values()].filter(live => live.result !== undefined);
    for (const live of finished.slice(0, Math.max(0, finished.length - keepFinished))) this.live.delete(live.id);
  }

  /** A call in flight when its process died, whose tool is not safe to call again (by its annotations now). */
  private isUnsafeInFlight(checkpoint: Checkpoint): boolean {
    if (checkpoint.kind !== 'call' || checkpoint.status !== 'started') return false;
    return !isRetrySafe(checkpoint.label !== undefined ? this.host.catalog.findTool(checkpoint.label)?.definition : undefined);
  }

  private refuseInFlight(store: RunStore, run: RunRecord, inFlight: Checkpoint[]): GatewayResult {
    const steps = inFlight.map(checkpoint => `"${checkpoint.key}"${checkpoint.label ? ` (tool "${checkpoint.label}")` : ''}`).join(', ');
    const message =
      `step ${steps} was in flight when the gateway running it stopped, and it is neither read-only nor idempotent: it may or may not have taken effect. ` +
      `Check; then resume with --force (manifold runs resume ${run.id} --force) or force: true (runs_resume) to call it again`;
    try {
      store.endRun(run.id, { status: 'interrupted', endedAt: run.endedAt ?? Date.now(), error: message });
    } catch (error) {
      this.host.logger.warn(`cannot record run ${run.id}: ${errorMessage(error)}`);
    }
    return {
      isError: true,
      content: [{ type: 'text', text: `Run ${run.id} of "${run.workflow}" was not resumed, it stays interrupted: ${message}.` }],
      structuredContent: {
        run_id: run.id,
        status: 'interrupted',
        error: { step: inFlight[0]?.key ?? '', ...(inFlight[0]?.label ? { tool: inFlight[0].label } : {}), reason: 'interrupted', message, hint: 'resume with force' }
      },
      _meta: { [runIdMetaKey]: run.id }
    };
  }
}

/** A run's status from its tool result. */
function statusOf(result: GatewayResult): RunStatus {
  if (result.isError !== true) return 'completed';
  const status = (result.structuredContent as { status?: unknown } | undefined)?.status;
  return status === 'cancelled' || status === 'interrupted' ? status : 'failed';
}

function withoutMeta(result: GatewayResult): GatewayResult {
  const { _meta: _ignored, ...rest } = result;
  return rest;
}

/**
 * The context a background run's calls travel with: the starter's identity and view, but its own signal (the
 * call that started it returned), no progress token and no channel back to a request that is over.
 */
function detached(from: DownstreamContext, signal: AbortSignal): DownstreamContext {
  return {
    era: from.era,
    sessionId: from.sessionId,
    ...(from.requestScoped ? { requestScoped: true } : {}),
    ...(from.principal ? { principal: from.principal } : {}),
    signal,
    clientCapabilities: from.clientCapabilities,
    ...(from.toolScope ? { toolScope: from.toolScope } : {}),
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  };
}

/** The context of runs the gateway resumes by itself: no client, so no channel back and no view. */
function gatewayDownstream(): DownstreamContext {
  return {
    era: 'legacy',
    sessionId: 'manifold:resume',
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  };
}

/**
 * Whether the process that owns a run on this host is alive: this one is; another with this pid is not (the
 * gateway restarted with the same pid, as PID 1 in a container does); else whether the pid exists (signal 0
 * checks without sending).
 */
export function isOwnerAlive(owner: RunOwner): boolean {
  if (owner.token === DurableRuns.owner.token) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

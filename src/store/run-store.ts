/** How a run or a step ended (or that it has not yet). `interrupted`: its process died, or it stopped at a step
 * that was in flight when its process died; `manifold runs resume` continues it. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';
export type StepStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** What a run runs: a workflow, or an agent, orchestrator or router called directly as a tool. */
export type RunKind = 'workflow' | 'agent' | 'orchestrator' | 'router';

export interface RunRecord {
  id: string;
  /** The workflow's name, or the agent's, orchestrator's or router's (see `kind`). */
  workflow: string;
  /** What the run runs; runs recorded before agents were (and every workflow run) are `workflow`. */
  kind?: RunKind | undefined;
  status: RunStatus;
  /** Epoch milliseconds (fractional: intervals of concurrent steps compare at sub-ms precision). */
  startedAt: number;
  endedAt?: number | undefined;
  /** The arguments, as JSON (cut to a size limit). */
  input: string;
  outputSize?: number | undefined;
  error?: string | undefined;
  /** The arguments in full, as JSON, for resuming (runs recorded before durable runs have none). */
  arguments?: string | undefined;
  /** The definition the run started with, as JSON: a resumed run goes on with it, not with a reloaded one. */
  definition?: string | undefined;
  /** The process that runs it (while `running`): a run whose process is gone is `interrupted`. */
  owner?: RunOwner | undefined;
  /** The final tool result, as JSON (for a run started in the background and polled). */
  result?: string | undefined;
  /** How often the run was resumed. */
  resumes?: number | undefined;
  /** The name of the principal that started it (config rules: it sees its own runs); read back, `local` when none was recorded. */
  principal?: string | undefined;
}

/** A process on a host. */
export interface RunOwner {
  pid: number;
  host: string;
  /** Unique to the process: a restarted container's gateway has the same pid (often 1) and host, not this. */
  token: string;
  /**
   * Fleet mode (docs/FLEET.md "Runs across instances"): how long, in ms, a run this process starts or claims is
   * leased to it; it renews the lease while it runs the run, and another instance adopts a run whose lease expired.
   * Unset: runs carry no lease (a run of a dead process on this host is marked interrupted, as in one process).
   */
  lease?: number | undefined;
}

/** A run {@link RunStore.claimExpired} took over, and the owner whose lease on it expired. */
export interface ClaimedRun {
  id: string;
  from?: { pid: number; host: string } | undefined;
}

/**
 * A journal entry of a run (the DBOS idea: a unit of work whose output is recorded before the run moves on).
 * `key` is unique in the run and the same on every execution of it: a call's step path (`refs[3]`), a
 * top-level step's `step:<id>`, later a model turn. `started` without `done` means the work was in flight
 * when its process died.
 */
export interface Checkpoint {
  runId: string;
  key: string;
  /** What the unit is: `call`, `step` (a top-level step's outcome), or what later kinds of runs journal. */
  kind: string;
  status: 'started' | 'done' | 'failed';
  /** Safe to do again (read-only or idempotent by its annotations): in flight at a crash, it is simply re-run. */
  idempotent: boolean;
  /** What it is, for messages: the tool of a call. */
  label?: string | undefined;
  /** The output, as JSON (set when `done`). */
  output?: string | undefined;
  startedAt: number;
  endedAt?: number | undefined;
}

export interface StepRecord {
  runId: string;
  /** Where in the workflow: `issues`, `refs[3]`, `both.a`, `pick.default`. */
  path: string;
  /**
   * `model-turn` and `tool-call`: one model call, one tool call of an agent run (path `turn 2`, `turn 2 call 1`);
   * `task`: an orchestrator's worker task; `route`: a router's decision.
   */
  kind: 'call' | 'parallel' | 'map' | 'switch' | 'fallback' | 'agent' | 'aggregate' | 'evaluate' | 'model-turn' | 'tool-call' | 'task' | 'route';
  tool?: string | undefined;
  /** 1 for the first try, 2 for the first retry, and so on. */
  attempt: number;
  status: StepStatus;
  startedAt: number;
  endedAt?: number | undefined;
  /** The evaluated arguments, as JSON (cut to a size limit). */
  input?: string | undefined;
  outputSize?: number | undefined;
  error?: string | undefined;
  /** Free text: the switch rule taken, why a retry was skipped. */
  detail?: string | undefined;
}

export interface RunSummary extends RunRecord {
  steps: number;
}

/** Where workflow runs are recorded. Implementations: `sqlite/` (the embedded default). */
export interface RunStore {
  startRun(run: RunRecord): void;
  endRun(id: string, end: { status: RunStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; result?: string | undefined }): void;
  /** Returns a handle for {@link RunStore.endStep}. */
  startStep(step: StepRecord): number;
  endStep(
    handle: number,
    end: { status: StepStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined; detail?: string | undefined }
  ): void;
  listRuns(options?: { limit?: number; workflow?: string }): RunSummary[];
  /** Deletes all but the `keep` most recent runs (and their steps); returns how many runs went. */
  prune(keep: number): number;
  /** The run and its steps in start order, or undefined. */
  getRun(id: string): { run: RunRecord; steps: StepRecord[] } | undefined;
  /** Writes a journal entry (replacing the one with its key). */
  saveCheckpoint(checkpoint: Checkpoint): void;
  /** A run's journal entries. */
  getCheckpoints(runId: string): Checkpoint[];
  /**
   * Takes a run over for `owner` (to resume it) if its status is one of `from`: sets it `running`, counts the
   * resume. False when another process took it first or its status is not one of them.
   */
  claimRun(id: string, owner: RunOwner, from: readonly RunStatus[]): boolean;
  /**
   * Marks `running` runs of this host whose process is gone `interrupted` (their running steps failed); returns
   * their ids. A run under a lease is left to its lease (an instance adopts it once the lease expires).
   */
  markInterrupted(host: string, isAlive: (owner: RunOwner) => boolean, endedAt: number): string[];
  /** Extends the lease of every `running` run this owner (its token) holds under a lease to `until` (epoch ms), in one UPDATE; returns how many. */
  renewLeases(ownerToken: string, until: number): number;
  /**
   * Takes over, for `owner`, up to `limit` `running` runs whose lease expired before `now` (their instance died or
   * stalled): each stays `running`, under `owner` with a lease to `now + owner.lease`, its resumes counted, its
   * running steps failed. Conditional per run: of instances claiming at once, exactly one gets each run.
   */
  claimExpired(now: number, owner: RunOwner, limit: number): ClaimedRun[];
  close(): void;
}

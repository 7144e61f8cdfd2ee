/** How a run or a step ended (or that it has not yet). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'running' | 'ok' | 'failed' | 'skipped';

export interface RunRecord {
  id: string;
  workflow: string;
  status: RunStatus;
  /** Epoch milliseconds (fractional: intervals of concurrent steps compare at sub-ms precision). */
  startedAt: number;
  endedAt?: number | undefined;
  /** The arguments, as JSON (cut to a size limit). */
  input: string;
  outputSize?: number | undefined;
  error?: string | undefined;
}

export interface StepRecord {
  runId: string;
  /** Where in the workflow: `issues`, `refs[3]`, `both.a`, `pick.default`. */
  path: string;
  kind: 'call' | 'parallel' | 'map' | 'switch' | 'fallback';
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
  endRun(id: string, end: { status: RunStatus; endedAt: number; outputSize?: number | undefined; error?: string | undefined }): void;
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
  close(): void;
}

import type { Checkpoint, RunStore } from './run-store.js';

/**
 * A unit of work found in flight when its run resumes (its process died while it ran), that is not safe to
 * do again: the run stops `interrupted` until resumed with force.
 */
export class StepInFlight extends Error {
  readonly key: string;
  readonly label: string | undefined;
  constructor(key: string, label: string | undefined) {
    super(
      `step "${key}"${label ? ` (tool "${label}")` : ''} was in flight when the gateway running it stopped, and it is neither read-only nor idempotent: ` +
        'it may or may not have taken effect'
    );
    this.key = key;
    this.label = label;
  }
}

export interface JournalUnit {
  /** Unique in the run and the same on every execution of it (a step path: `refs[3]`, `both.a`). */
  key: string;
  /** `call`, `step`, or what a later kind of run journals (a model turn). */
  kind: string;
  /** Safe to do again (read-only or idempotent): in flight at a crash, it is re-run on resume. */
  idempotent: boolean;
  /** What it is, for messages (a call's tool). */
  label?: string | undefined;
}

/**
 * Durable execution of a run's units of work (the DBOS idea): before a unit runs, an in-flight mark is
 * written; once it returns, its output is written before the run moves on. A resumed run gets the journal
 * its earlier executions wrote: a unit with an output is not done again (its output is returned), a unit in
 * flight is done again only if it is idempotent or the resume is forced, otherwise {@link StepInFlight}.
 * Without a store the work is simply done.
 */
export class RunJournal {
  readonly runId: string;
  private readonly store: RunStore | undefined;
  private readonly prior: ReadonlyMap<string, Checkpoint>;
  private readonly force: boolean;
  private readonly onWriteError: (error: unknown) => void;

  constructor(options: { runId: string; store: RunStore | undefined; prior?: readonly Checkpoint[]; force?: boolean; onWriteError: (error: unknown) => void }) {
    this.runId = options.runId;
    this.store = options.store;
    this.prior = new Map((options.prior ?? []).map(checkpoint => [checkpoint.key, checkpoint]));
    this.force = options.force ?? false;
    this.onWriteError = options.onWriteError;
  }

  /** Whether this execution resumes an earlier one (it has a journal to replay). */
  get resuming(): boolean {
    return this.prior.size > 0;
  }

  /** The recorded output of a unit an earlier execution finished, or undefined. */
  replay(key: string): { output: unknown } | undefined {
    const checkpoint = this.prior.get(key);
    if (checkpoint?.status !== 'done' || checkpoint.output === undefined) return undefined;
    return { output: JSON.parse(checkpoint.output) as unknown };
  }

  /**
   * Does `work` once across executions of the run. `keep` says whether its output is a finished unit (a tool's
   * error result is not: a resumed run does it again); the output must be JSON. Returns the output and whether
   * it was replayed from the journal.
   */
  async run<T>(unit: JournalUnit, work: () => Promise<T>, keep: (output: T) => boolean = () => true): Promise<{ output: T; replayed: boolean }> {
    const replayed = this.replay(unit.key);
    if (replayed) return { output: replayed.output as T, replayed: true };
    const earlier = this.prior.get(unit.key);
    if (earlier?.status === 'started' && !unit.idempotent && !this.force) throw new StepInFlight(unit.key, unit.label ?? earlier.label);
    const startedAt = Date.now();
    this.write({ ...unit, runId: this.runId, status: 'started', startedAt });
    journalPoint(`call-start:${unit.key}`);
    let output: T;
    try {
      output = await work();
    } catch (error) {
      this.write({ ...unit, runId: this.runId, status: 'failed', startedAt, endedAt: Date.now() });
      throw error;
    }
    journalPoint(`call-result:${unit.key}`);
    if (keep(output)) {
      this.write({ ...unit, runId: this.runId, status: 'done', output: JSON.stringify(output ?? null), startedAt, endedAt: Date.now() });
      journalPoint(`call-done:${unit.key}`);
    } else {
      this.write({ ...unit, runId: this.runId, status: 'failed', startedAt, endedAt: Date.now() });
    }
    return { output, replayed: false };
  }

  /** Records an output computed without side effects (a top-level step's outcome), to skip it on resume. */
  record(unit: JournalUnit, output: unknown): void {
    const now = Date.now();
    this.write({ ...unit, runId: this.runId, status: 'done', output: JSON.stringify(output ?? null), startedAt: now, endedAt: now });
    journalPoint(`${unit.kind}-done:${unit.key}`);
  }

  private write(checkpoint: Checkpoint): void {
    if (!this.store) return;
    try {
      this.store.saveCheckpoint(checkpoint);
    } catch (error) {
      this.onWriteError(error);
    }
  }
}

/**
 * Test-only crash hook: when `MANIFOLD_TEST_CRASH_AFTER` names this journal point (`call-start:<key>`,
 * `call-result:<key>`, `call-done:<key>`, `step-done:<key>`, `run-start`), the process kills itself with
 * SIGKILL, as `kill -9` would. The crash tests use it to stop the gateway at exact points of a run.
 */
export function journalPoint(point: string): void {
  const crashAfter = process.env.MANIFOLD_TEST_CRASH_AFTER;
  if (crashAfter !== undefined && crashAfter === point) process.kill(process.pid, 'SIGKILL');
}

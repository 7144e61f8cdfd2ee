import { errorMessage } from '../core/errors.js';
import type { GatewayResult } from '../core/pipeline.js';
import { type ClaimedRun, linkParentOf, type RunOwner, type RunStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';

/** Run leases of one process (config `fleet.runLease`, `fleet.adoptRuns`). */
export interface RunLeaseOptions {
  /** How long a run is leased to this process, ms; renewed every third of it. */
  lease: number;
  /** Whether this process takes over (and resumes) the runs whose leases expired. */
  adopt: boolean;
  /** Who this process is (DurableRuns.owner, its `lease` set). */
  owner: RunOwner;
  /** Most runs taken over per scan. */
  batch?: number;
}

/** What the leases need from DurableRuns. */
export interface RunLeaseHost {
  store(): RunStore | undefined;
  logger: Logger;
  /** The runs this process is executing now. */
  running(): string[];
  /** Stops this process's copy of a run another instance took over. */
  abandon(runId: string): void;
  /** Resumes a run this process claimed (it is `running` under it); throws or refuses as DurableRuns.resume. */
  resumeClaimed(runId: string): { done: Promise<GatewayResult>; refused?: undefined } | { refused: GatewayResult; done?: undefined };
}

/**
 * Whether runs are leased (fleet mode): an instance id is set (`fleet.instanceId` or MANIFOLD_INSTANCE_ID) or the
 * store is PostgreSQL, and `fleet.adoptRuns` is not false. One process on a SQLite file keeps the pid check.
 */
export function runLeasesWanted(fleet: { instanceId?: string | undefined; adoptRuns: boolean }, storeIsPostgres: boolean): boolean {
  return fleet.adoptRuns && (fleet.instanceId !== undefined || storeIsPostgres);
}

/**
 * Renews the leases of this process's runs every third of the lease (one UPDATE), and scans as often for runs
 * whose lease expired (their instance died, or stalled longer than the lease), takes them over (RunStore.claimExpired:
 * one instance gets each) and resumes them from their journal. With the default 6 s lease a dead instance's run
 * goes on elsewhere within 6 s + 2 s + the resume.
 */
export function startRunLeases(host: RunLeaseHost, options: RunLeaseOptions): { close(): void } {
  const every = Math.max(100, Math.floor(options.lease / 3));
  const renew = () => {
    const store = host.store();
    if (!store) return;
    try {
      const running = host.running();
      const renewed = store.renewLeases(options.owner.token, Date.now() + options.lease);
      if (renewed < running.length) dropLost(store, running);
    } catch (error) {
      host.logger.warn(`cannot renew the leases of this instance's runs: ${errorMessage(error)} (other instances adopt them once the leases expire)`);
    }
  };
  /** A run another instance took over while this one stalled: stop this copy, so it does not run on twice. */
  const dropLost = (store: RunStore, running: string[]) => {
    for (const runId of running) {
      const owner = store.getRun(runId)?.run.owner;
      if (owner && owner.token !== options.owner.token) {
        host.logger.warn(`run ${runId} was taken over by process ${owner.pid} on ${owner.host} (this instance's lease on it expired); stopping this instance's copy`);
        host.abandon(runId);
      }
    }
  };
  const adopt = () => {
    const store = host.store();
    if (!store) return;
    let claimed: ClaimedRun[];
    try {
      claimed = store.claimExpired(Date.now(), options.owner, options.batch ?? 16);
    } catch (error) {
      host.logger.warn(`cannot look for runs whose lease expired: ${errorMessage(error)}`);
      return;
    }
    const ids = claimed.map(run => run.id);
    for (const run of claimed) {
      const parent = linkParentOf(run.id);
      const from = run.from ? `process ${run.from.pid} on ${run.from.host}` : 'its instance';
      if (parent !== undefined && ids.includes(parent)) {
        // A router's linked run goes on when its caller, adopted with it, gets to it (DurableRuns.continueLinked).
        release(store, run.id, `the lease of ${from} expired; its calling run ${parent} resumes it`);
        continue;
      }
      host.logger.warn(`adopting run ${run.id}: the lease of ${from} expired (it died or stalled); resuming it from its journal`);
      try {
        const outcome = host.resumeClaimed(run.id);
        if (!outcome.done) {
          host.logger.warn(`run ${run.id} is not resumed: ${(outcome.refused.content as Array<{ text?: string }>)[0]?.text ?? ''}`);
        }
      } catch (error) {
        release(store, run.id, `the lease of ${from} expired and the run cannot be resumed here: ${errorMessage(error)}`);
        host.logger.warn(`run ${run.id} is not resumed: ${errorMessage(error)}; it is interrupted ("manifold runs resume ${run.id}" once fixed)`);
      }
    }
  };
  /** Leaves a claimed run `interrupted` (for its caller, or for someone to resume by hand). */
  const release = (store: RunStore, runId: string, why: string) => {
    try {
      store.endRun(runId, { status: 'interrupted', endedAt: Date.now(), error: why });
    } catch (error) {
      host.logger.warn(`cannot record run ${runId}: ${errorMessage(error)}`);
    }
  };
  const tick = () => {
    renew();
    if (options.adopt) adopt();
  };
  const timer = setInterval(tick, every);
  timer.unref();
  const first = setTimeout(tick, 0);
  first.unref();
  return {
    close() {
      clearInterval(timer);
      clearTimeout(first);
    }
  };
}

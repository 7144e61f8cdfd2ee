import type { RunStatus, RunStore, StepRecord } from '../store/index.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/**
 * The run store, counting as it records: each run that ends (`manifold_workflow_runs_total`) and each step
 * that ends (`manifold_workflow_steps_total`). Every workflow, agent, orchestrator and router run is
 * recorded through the store, so this sees them all without a hook in each runner.
 */
export function observeRunStore(store: RunStore, metrics: GatewayMetrics): RunStore {
  /** Run id → its labels, from its start (or, for a resumed run, its record) until it ends. */
  const runs = new Map<string, { workflow: string; kind: string }>();
  /** Step handle → its labels, from its start until it ends. */
  const steps = new Map<number, { workflow: string; kind: string }>();
  const runLabels = (id: string): { workflow: string; kind: string } => {
    const known = runs.get(id);
    if (known) return known;
    const run = store.getRun(id)?.run;
    const labels = { workflow: metrics.runLabel(run?.workflow ?? ''), kind: run?.kind ?? 'workflow' };
    runs.set(id, labels);
    return labels;
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      switch (property) {
        case 'startRun':
          return (run: Parameters<RunStore['startRun']>[0]) => {
            target.startRun(run);
            runs.set(run.id, { workflow: metrics.runLabel(run.workflow), kind: run.kind ?? 'workflow' });
          };
        case 'endRun':
          return (id: string, end: Parameters<RunStore['endRun']>[1]) => {
            target.endRun(id, end);
            const labels = runLabels(id);
            runs.delete(id);
            metrics.runs.inc({ ...labels, status: end.status satisfies RunStatus });
          };
        case 'startStep':
          return (step: StepRecord) => {
            const handle = target.startStep(step);
            steps.set(handle, { workflow: runLabels(step.runId).workflow, kind: step.kind });
            return handle;
          };
        case 'endStep':
          return (handle: number, end: Parameters<RunStore['endStep']>[1]) => {
            target.endStep(handle, end);
            const labels = steps.get(handle);
            steps.delete(handle);
            if (labels) metrics.steps.inc({ ...labels, status: end.status });
          };
        default: {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
      }
    }
  });
}

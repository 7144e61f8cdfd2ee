import { ManifoldError } from '../../core/errors.js';
import { parseWholeNumber } from '../usage-error.js';
import { runStorePath } from '../../gateway/index.js';
import { openRunStore, type RunRecord, type StepRecord, storeExists, storeLabel } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { runRunsResume } from './runs-resume.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';

/** `manifold runs [id]`: recent runs (workflows, and agents called directly), or one run's step timeline. */
export async function runRuns(parsed: ParsedCommand, output: Output): Promise<number> {
  // A run id starts with run_, so `resume` cannot be one.
  if (parsed.positionals[0] === 'resume') return runRunsResume(parsed, output);
  const limit = parseWholeNumber('limit', stringOption(parsed, 'limit'), 20, 1);
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const path = runStorePath(loaded.config, loaded.path);
  if (!storeExists(path)) {
    output.out(`no runs recorded yet (store: ${storeLabel(path)})`);
    return 0;
  }
  const store = openRunStore(path);
  try {
    const [id] = parsed.positionals;
    if (id) {
      const found = store.getRun(id);
      if (!found) throw new ManifoldError('INVALID_PARAMS', `no run "${id}" in ${storeLabel(path)} (manifold runs lists the recent ones)`);
      if (parsed.values.json) output.out(JSON.stringify(found, null, 2));
      else output.out(renderTimeline(found.run, found.steps));
      return 0;
    }
    const workflow = stringOption(parsed, 'workflow');
    const runs = store.listRuns({ limit, ...(workflow !== undefined ? { workflow } : {}) });
    if (parsed.values.json) {
      output.out(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) {
      output.out('no runs recorded yet');
      return 0;
    }
    output.out(
      formatTable(
        ['run', 'workflow', 'status', 'started', 'duration', 'steps', 'by', 'error'],
        runs.map(run => [
          run.id,
          run.kind && run.kind !== 'workflow' ? `${run.kind} ${run.workflow}` : run.workflow,
          run.status,
          new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 19),
          run.endedAt !== undefined ? formatMs(run.endedAt - run.startedAt) : '-',
          String(run.steps),
          run.principal ?? 'local',
          oneLine(run.error, 60)
        ])
      )
    );
    return 0;
  } finally {
    store.close();
  }
}

const barWidth = 32;

/** One line per step: offset, duration, a bar on the run's time axis, path, tool, status, size or error. */
export function renderTimeline(run: RunRecord, steps: StepRecord[]): string {
  const end = run.endedAt ?? Math.max(run.startedAt, ...steps.map(step => step.endedAt ?? step.startedAt));
  const span = Math.max(1, end - run.startedAt);
  const header = [
    `run ${run.id}  ${run.kind ?? 'workflow'} ${run.workflow}  ${run.status}  ${new Date(run.startedAt).toISOString()}  ${formatMs(end - run.startedAt)}` +
      (run.resumes ? `  resumed ${run.resumes} time${run.resumes === 1 ? '' : 's'}` : '') +
      (run.principal !== undefined && run.principal !== 'local' ? `  started by ${run.principal}` : ''),
    `input ${oneLine(run.input, 200)}`,
    ...(run.error ? [`error ${run.error}`] : []),
    ...usageLines(run.result),
    ''
  ];
  const rows = steps.map(step => {
    const from = step.startedAt - run.startedAt;
    const to = (step.endedAt ?? end) - run.startedAt;
    const first = Math.min(barWidth - 1, Math.floor((from / span) * barWidth));
    const last = Math.max(first, Math.min(barWidth - 1, Math.ceil((to / span) * barWidth) - 1));
    const bar = ' '.repeat(first) + (step.status === 'failed' ? 'x' : '#').repeat(last - first + 1) + ' '.repeat(barWidth - last - 1);
    const outcome = step.error ? oneLine(step.error, 80) : step.outputSize !== undefined ? `${formatBytes(step.outputSize)}` : '';
    return [
      `+${formatMs(from)}`,
      formatMs(to - from),
      `|${bar}|`,
      step.path + (step.attempt > 1 ? ` (try ${step.attempt})` : ''),
      step.tool ?? step.kind,
      step.status,
      [outcome, step.detail ? `(${oneLine(step.detail, 60)})` : ''].filter(Boolean).join(' ')
    ];
  });
  // The arguments each call was given (what an error's "What to do" sends the reader here for).
  const args = steps
    .filter(step => step.input !== undefined)
    .map(step => `  ${step.path}${step.attempt > 1 ? ` (try ${step.attempt})` : ''}  ${oneLine(step.input, 300)}`);
  const table = formatTable(['start', 'took', 'timeline', 'step', 'tool', 'status', 'output / error'], rows);
  return header.join('\n') + table + (args.length > 0 ? `${table.endsWith('\n') ? '' : '\n'}\narguments (manifold runs ${run.id} --json has them in full)\n${args.join('\n')}` : '');
}

interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** The run's model usage (its result's `_meta["manifold/usage"]`): totals, then per model and per agent. */
function usageLines(result: string | undefined): string[] {
  if (result === undefined) return [];
  let usage: { calls?: unknown[]; inputTokens?: number; outputTokens?: number; byModel?: Record<string, UsageTotals>; byAgent?: Record<string, UsageTotals> } | undefined;
  try {
    usage = (JSON.parse(result) as { _meta?: Record<string, typeof usage> })._meta?.['manifold/usage'];
  } catch {
    return [];
  }
  if (!usage) return [];
  const table = (entries: Record<string, UsageTotals> | undefined) =>
    Object.entries(entries ?? {})
      .map(([name, totals]) => `${name} ${totals.calls} call(s) ${totals.inputTokens} in + ${totals.outputTokens} out`)
      .join('; ');
  const byAgent = table(usage.byAgent);
  return [
    `model usage ${usage.calls?.length ?? 0} call(s), ${usage.inputTokens ?? 0} in + ${usage.outputTokens ?? 0} out tokens; by model: ${table(usage.byModel)}` +
      (byAgent ? `; by agent: ${byAgent}` : '')
  ];
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} B`;
}

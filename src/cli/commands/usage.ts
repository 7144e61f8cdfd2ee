import { runStorePath } from '../../gateway/index.js';
import { openRunStore, storeExists, storeLabel } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { usageReport } from '../../console/index.js';
import { type UsageGroup, usageGroups } from '../../usage/index.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

const sincePattern = /^(\d+)\s*(h|d)$/;

/** `--since`: `24h`, `7d`, or a date / date-time (UTC unless it says otherwise); default the last 24 hours. */
export function parseSince(text: string | undefined, now: number): number {
  if (text === undefined) return now - 24 * 3_600_000;
  const relative = sincePattern.exec(text.trim());
  if (relative) return now - Number(relative[1]) * (relative[2] === 'd' ? 24 : 1) * 3_600_000;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (Number.isNaN(date)) throw new UsageError(`--since: expected a span such as 24h or 7d, or a date such as 2027-01-31, got "${text}"`);
  return date;
}

/** `manifold usage`: tokens of the answers clients received and the models' tokens, grouped, from the store. */
export async function runUsage(parsed: ParsedCommand, output: Output): Promise<number> {
  const by = (stringOption(parsed, 'by') ?? 'tool') as UsageGroup;
  if (!usageGroups.includes(by)) throw new UsageError(`--by: expected one of ${usageGroups.join(', ')}, got "${by}"`);
  const now = Date.now();
  const since = parseSince(stringOption(parsed, 'since'), now);
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const path = runStorePath(loaded.config, loaded.path);
  const rows = storeExists(path) ? readRows(path, since) : [];
  const report = usageReport(rows, by, since, storeLabel(path));
  const totals = report.groups;
  if (parsed.values.json) {
    output.out(JSON.stringify(report, null, 2));
    return 0;
  }
  if (totals.length === 0) {
    output.out(`no token usage recorded since ${new Date(since).toISOString()} (store: ${storeLabel(path)})`);
    return 0;
  }
  output.out(
    formatTable(
      [by, 'calls', 'input', 'results', 'model', 'total'],
      totals.map(total => [total.key === '' ? '(none)' : total.key, String(total.calls), String(total.inputTokens), String(total.resultTokens), String(total.modelTokens), String(total.totalTokens)])
    )
  );
  return 0;
}

function readRows(path: string, since: number) {
  const store = openRunStore(path);
  try {
    return store.usageSince(since);
  } finally {
    store.close();
  }
}

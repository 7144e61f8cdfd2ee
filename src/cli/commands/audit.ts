import { anchorPath, loadSigningKey, readAnchor, verifyAudit } from '../../audit/index.js';
import { runStorePath } from '../../gateway/index.js';
import { type AuditListedRow, openAuditStore, storeExists } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a span back from now (`90s`, `30m`, `1h`, `7d`) or a date (`2026-12-01`, ISO date-time); epoch ms. */
export function parseSince(text: string, now: number): number {
  const span = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (span) return now - Number(span[1]) * (units[span[2] as string] as number);
  const date = Date.parse(text);
  if (!Number.isNaN(date)) return date;
  throw new UsageError(`--since takes a span back from now (30m, 1h, 7d) or a date (2026-12-01), got "${text}"`);
}

function formatRow(row: AuditListedRow): string[] {
  return [
    String(row.seq),
    new Date(row.time).toISOString(),
    row.principal,
    row.method,
    oneLine(row.target ?? '', 48),
    row.server ?? '',
    row.outcome,
    `${Math.round(row.durationMs)}`,
    row.view ?? '',
    row.runId ? `${row.runId}${row.stepId ? `/${row.stepId}` : ''}` : '',
    row.tokens ? `${row.tokens.input}/${row.tokens.result}${row.tokens.model > 0 ? `/${row.tokens.model}` : ''}` : ''
  ];
}

/**
 * `manifold audit [verify]`: the audit log's rows (filtered), or a check of its hash chain and checkpoints (exit 1
 * naming the first row edited, deleted, swapped, the truncation or a forged checkpoint).
 */
export async function runAudit(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action, ...rest] = parsed.positionals;
  if (action !== undefined && action !== 'verify') throw new UsageError(`manifold audit takes no argument or "verify", not "${action}"`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const path = runStorePath(loaded.config, loaded.path);
  const json = parsed.values.json === true;
  if (path !== ':memory:' && !storeExists(path)) {
    output.err(`no store at ${path} yet: the audit log is written there (store.path) once the gateway answers a request`);
    return action === 'verify' ? 1 : 0;
  }
  const store = openAuditStore(path);
  try {
    if (action === 'verify') {
      const key = loaded.config.audit.signingKey;
      const signer = key !== undefined ? loadSigningKey(key, loaded.path) : undefined;
      const anchorFile = anchorPath(loaded.config.audit.anchor, path, loaded.path);
      const anchor = anchorFile !== undefined ? readAnchor(anchorFile) : undefined;
      const result = verifyAudit(store, signer, anchor);
      if (json) output.out(JSON.stringify(result, null, 2));
      else if (result.ok) {
        output.out(
          `audit log intact: rows ${result.from + 1}–${result.last} (${result.rows}) chain, ${result.checkpoints} checkpoint(s)${signer ? `, ${result.signed} signature(s) verified` : ' (unsigned: set audit.signingKey to detect forged checkpoints)'}${result.from > 0 ? `; rows up to ${result.from} were pruned (retention cut)` : ''}${anchor ? `; anchored head at row ${anchor.seq} matches (${anchorFile})` : anchorFile !== undefined ? `; no anchored head yet at ${anchorFile}` : '; no anchor (audit.anchor: false)'}`
        );
      } else output.err(`audit log tampered (${result.problem?.kind}): ${result.problem?.message}`);
      return result.ok ? 0 : 1;
    }
    const since = stringOption(parsed, 'since');
    const limitText = stringOption(parsed, 'limit');
    const limit = limitText !== undefined ? Number(limitText) : 100;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a whole number above 0, got "${limitText}"`);
    const tool = stringOption(parsed, 'tool');
    const server = stringOption(parsed, 'server');
    const principal = stringOption(parsed, 'principal');
    const rows = store.query({
      ...(since !== undefined ? { since: parseSince(since, Date.now()) } : {}),
      ...(tool !== undefined ? { tool } : {}),
      ...(server !== undefined ? { server } : {}),
      ...(principal !== undefined ? { principal } : {}),
      limit
    });
    if (json) output.out(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) output.out('no audit rows match');
    else output.out(formatTable(['seq', 'time', 'principal', 'method', 'target', 'server', 'outcome', 'ms', 'view', 'run/step', 'tokens in/out'], rows.map(formatRow)));
    return 0;
  } finally {
    store.close();
  }
}

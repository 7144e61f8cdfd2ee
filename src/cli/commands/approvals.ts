import { userInfo } from 'node:os';

import { decideApproval } from '../../approval/index.js';
import { recordApprovalDecision } from '../../audit/index.js';
import { runStorePath } from '../../gateway/index.js';
import { type ApprovalStore, openApprovalStore, type StoredApproval } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

/** Who decides on this machine: the OS user running the CLI (recorded with the decision). */
function decider(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function toJson(approval: StoredApproval): Record<string, unknown> {
  let args: unknown = approval.arguments;
  try {
    args = JSON.parse(approval.arguments);
  } catch {
    // clipped: shown as text
  }
  return {
    id: approval.id,
    status: approval.status,
    principal: approval.principal,
    tool: approval.tool,
    server: approval.server,
    reason: approval.reason,
    arguments: args,
    argsDigest: approval.argsDigest,
    createdAt: new Date(approval.createdAt).toISOString(),
    expiresAt: new Date(approval.expiresAt).toISOString(),
    ...(approval.decidedAt !== undefined ? { decidedAt: new Date(approval.decidedAt).toISOString(), decidedBy: approval.decidedBy } : {})
  };
}

/**
 * `manifold approvals [--all] [--json]`, `manifold approvals grant|deny <id>`: the queue of calls that wait for a
 * person (clients without elicitation), on the store file the running gateway reads on the client's retry.
 */
export async function runApprovals(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action, id, ...rest] = parsed.positionals;
  if (action !== undefined && action !== 'list' && action !== 'grant' && action !== 'deny') {
    throw new UsageError(`manifold approvals takes list, grant <id> or deny <id>, not "${action}"`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if ((action === 'grant' || action === 'deny') && (id === undefined || id === '')) throw new UsageError(`manifold approvals ${action} needs the approval id (manifold approvals lists them)`);
  if ((action === undefined || action === 'list') && id !== undefined) throw new UsageError('manifold approvals (list) takes no id');
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const path = runStorePath(loaded.config, loaded.path);
  if (path === ':memory:') throw new UsageError('store.path is ":memory:": the gateway keeps its approvals where the CLI cannot see them; set store.path in the config');
  const now = Date.now();

  if (action === 'grant' || action === 'deny') {
    const approvalId = id as string;
    const by = decider();
    const approval = withStore(path, store => decideApproval(store, approvalId, action, by, now, path));
    if (loaded.config.audit.enabled) recordApprovalDecision(path, approval, action, by, now);
    const minutes = Math.max(1, Math.round((approval.expiresAt - now) / 60_000));
    output.err(
      action === 'grant'
        ? `manifold: granted ${approvalId}: "${approval.tool}" (server "${approval.server}") for ${approval.principal}; the client's retry of the same call within ${minutes} min runs it once`
        : `manifold: denied ${approvalId}: the client's retry of "${approval.tool}" gets a tool error saying so`
    );
    return 0;
  }

  const all = parsed.values.all === true;
  const approvals = withStore(path, store => store.listApprovals({ now, all }));
  if (parsed.values.json) {
    output.out(JSON.stringify({ approvals: approvals.map(toJson) }, null, 2));
    return 0;
  }
  if (approvals.length === 0) {
    output.out(all ? `no approvals in ${path}` : `no approval waits (in ${path}); --all shows decided and expired ones`);
    return 0;
  }
  const date = (time: number) => new Date(time).toISOString().replace('T', ' ').slice(0, 19);
  output.out(
    formatTable(
      ['id', 'status', 'principal', 'tool', 'asked', 'expires', 'arguments'],
      approvals.map(row => [row.id, row.expiresAt <= now && row.status === 'pending' ? 'expired' : row.status, row.principal, row.tool, date(row.createdAt), date(row.expiresAt), oneLine(row.arguments, 60)])
    )
  );
  return 0;
}

function withStore<T>(path: string, use: (store: ApprovalStore) => T): T {
  const store = openApprovalStore(path);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

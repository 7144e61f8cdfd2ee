import type { ApprovalStatus, ApprovalStore, StoredApproval } from '../approval-store.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

interface ApprovalRow {
  id: string;
  principal: string;
  tool: string;
  server: string;
  args_digest: string;
  arguments: string;
  reason: string;
  status: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
}

function toApproval(row: ApprovalRow): StoredApproval {
  return {
    id: row.id,
    principal: row.principal,
    tool: row.tool,
    server: row.server,
    argsDigest: row.args_digest,
    arguments: row.arguments,
    reason: row.reason,
    status: row.status as ApprovalStatus,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.decided_at !== null ? { decidedAt: row.decided_at } : {}),
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {})
  };
}

/** Approvals in the store's SQLite file (table `approvals`), shared by the gateway and `manifold approvals`. */
export class SqliteApprovalStore implements ApprovalStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: Record<'insert' | 'get' | 'open' | 'pending' | 'all' | 'decide' | 'use' | 'prune', SqliteStatement>;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.statements = {
      insert: this.db.prepare(
        'INSERT INTO approvals (id, principal, tool, server, args_digest, arguments, reason, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      get: this.db.prepare('SELECT * FROM approvals WHERE id = ?'),
      open: this.db.prepare(
        "SELECT * FROM approvals WHERE principal = ? AND tool = ? AND args_digest = ? AND status != 'used' AND expires_at > ? ORDER BY created_at DESC LIMIT 1"
      ),
      pending: this.db.prepare("SELECT * FROM approvals WHERE status = 'pending' AND expires_at > ? ORDER BY created_at"),
      all: this.db.prepare('SELECT * FROM approvals ORDER BY created_at DESC LIMIT 1000'),
      decide: this.db.prepare("UPDATE approvals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending' AND expires_at > ?"),
      use: this.db.prepare("UPDATE approvals SET status = 'used' WHERE id = ? AND status IN ('granted', 'denied') AND expires_at > ?"),
      prune: this.db.prepare('DELETE FROM approvals WHERE expires_at < ?')
    };
  }

  addApproval(approval: StoredApproval): void {
    this.statements.insert.run(
      approval.id,
      approval.principal,
      approval.tool,
      approval.server,
      approval.argsDigest,
      approval.arguments,
      approval.reason,
      approval.status,
      approval.createdAt,
      approval.expiresAt
    );
  }

  getApproval(id: string): StoredApproval | undefined {
    const row = this.statements.get.get(id) as ApprovalRow | undefined;
    return row ? toApproval(row) : undefined;
  }

  findOpenApproval(principal: string, tool: string, argsDigest: string, now: number): StoredApproval | undefined {
    const row = this.statements.open.get(principal, tool, argsDigest, now) as ApprovalRow | undefined;
    return row ? toApproval(row) : undefined;
  }

  listApprovals(options: { now: number; all?: boolean }): StoredApproval[] {
    const rows = (options.all ? this.statements.all.all() : this.statements.pending.all(options.now)) as ApprovalRow[];
    return rows.map(toApproval);
  }

  decideApproval(id: string, decision: 'granted' | 'denied', by: string, now: number): boolean {
    return Number(this.statements.decide.run(decision, now, by, id, now).changes) > 0;
  }

  useApproval(id: string, now: number): boolean {
    return Number(this.statements.use.run(id, now).changes) > 0;
  }

  pruneApprovals(before: number): number {
    return Number(this.statements.prune.run(before).changes);
  }

  close(): void {
    this.db.close();
  }
}

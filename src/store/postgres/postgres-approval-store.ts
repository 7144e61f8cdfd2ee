import type { ApprovalStatus, ApprovalStore, StoredApproval } from '../approval-store.js';
import { acquirePostgres, releasePostgres, type SyncPostgres } from './sync-postgres.js';

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

/**
 * Approvals in PostgreSQL (table `approvals`): one queue for every instance, so `manifold approvals grant` from
 * anywhere lets the retry through on whichever instance it reaches. Each change is one conditional statement
 * (decide only a pending one, spend a decision once): concurrent instances cannot both win.
 */
export class PostgresApprovalStore implements ApprovalStore {
  readonly path: string;
  private readonly db: SyncPostgres;

  constructor(url: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
  }

  addApproval(approval: StoredApproval): void {
    this.db.query(
      'INSERT INTO approvals (id, principal, tool, server, args_digest, arguments, reason, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [approval.id, approval.principal, approval.tool, approval.server, approval.argsDigest, approval.arguments, approval.reason, approval.status, approval.createdAt, approval.expiresAt],
      `adding approval ${approval.id}`
    );
  }

  getApproval(id: string): StoredApproval | undefined {
    const row = this.db.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1', [id], `reading approval ${id}`).rows[0];
    return row ? toApproval(row) : undefined;
  }

  findOpenApproval(principal: string, tool: string, argsDigest: string, now: number): StoredApproval | undefined {
    const row = this.db.query<ApprovalRow>(
      "SELECT * FROM approvals WHERE principal = $1 AND tool = $2 AND args_digest = $3 AND status <> 'used' AND expires_at > $4 ORDER BY created_at DESC LIMIT 1",
      [principal, tool, argsDigest, now],
      `looking up an approval of ${tool}`
    ).rows[0];
    return row ? toApproval(row) : undefined;
  }

  listApprovals(options: { now: number; all?: boolean }): StoredApproval[] {
    const { rows } = options.all
      ? this.db.query<ApprovalRow>('SELECT * FROM approvals ORDER BY created_at DESC LIMIT 1000', [], 'listing approvals')
      : this.db.query<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending' AND expires_at > $1 ORDER BY created_at", [options.now], 'listing pending approvals');
    return rows.map(toApproval);
  }

  decideApproval(id: string, decision: 'granted' | 'denied', by: string, now: number): boolean {
    return (
      this.db.query(
        "UPDATE approvals SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = 'pending' AND expires_at > $2",
        [decision, now, by, id],
        `deciding approval ${id}`
      ).rowCount > 0
    );
  }

  useApproval(id: string, now: number): boolean {
    return (
      this.db.query("UPDATE approvals SET status = 'used' WHERE id = $1 AND status IN ('granted', 'denied') AND expires_at > $2", [id, now], `spending approval ${id}`)
        .rowCount > 0
    );
  }

  pruneApprovals(before: number): number {
    return this.db.query('DELETE FROM approvals WHERE expires_at < $1', [before], 'pruning expired approvals').rowCount;
  }

  close(): void {
    releasePostgres(this.db);
  }
}

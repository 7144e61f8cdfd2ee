/** Where a pending approval stands: asked, decided on the CLI, spent by the retry it allowed, or past its expiry. */
export type ApprovalStatus = 'pending' | 'granted' | 'denied' | 'used';

/** A call that waits for a human (`manifold approvals`): a client without elicitation asked for it. */
export interface StoredApproval {
  /** Short random id, what `manifold approvals grant <id>` names. */
  id: string;
  /** `kind:name` of the caller; only this principal's retry can use the decision. */
  principal: string;
  /** The tool's public name, and the server that serves it. */
  tool: string;
  server: string;
  /** SHA-256 (hex) of the canonical JSON of the arguments: the retry must carry the same. */
  argsDigest: string;
  /** The arguments as JSON (secrets redacted, clipped), for the person deciding. */
  arguments: string;
  /** Why the policy asked (`destructiveHint on an untrusted server`, `security.approval.always "x"`, …). */
  reason: string;
  status: ApprovalStatus;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  decidedAt?: number | undefined;
  /** Who decided (the CLI's user), when decided. */
  decidedBy?: string | undefined;
}

/**
 * The queue of approvals asked of people (SQLite or PostgreSQL, `openApprovalStore`). Synchronous, like every store here;
 * the gateway and `manifold approvals` work on the same file at once.
 */
export interface ApprovalStore {
  /** Adds a pending approval. */
  addApproval(approval: StoredApproval): void;
  getApproval(id: string): StoredApproval | undefined;
  /** The latest approval of this principal, tool and argument digest that has not expired and is not used. */
  findOpenApproval(principal: string, tool: string, argsDigest: string, now: number): StoredApproval | undefined;
  /** Pending ones not yet expired, oldest first (the `manifold approvals` queue); with `all`, every row, newest first. */
  listApprovals(options: { now: number; all?: boolean }): StoredApproval[];
  /** Grants or denies a pending, unexpired approval; false when it is not pending any more (or expired). */
  decideApproval(id: string, decision: 'granted' | 'denied', by: string, now: number): boolean;
  /**
   * Marks a decided approval used, exactly once: true for the one caller that spent it (two retries at once: one
   * runs), false when it was spent already.
   */
  useApproval(id: string, now: number): boolean;
  /** Deletes rows that expired before `before`; returns how many. */
  pruneApprovals(before: number): number;
  close(): void;
}

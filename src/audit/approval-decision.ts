import { openAuditStore, type StoredApproval } from '../store/index.js';
import { rowHash } from './chain.js';

/** An approval's decision, as a hash-chained `manifold/approval` row in the audit log beside the gateway's own rows. */
export function recordApprovalDecision(path: string, approval: StoredApproval, action: 'grant' | 'deny', by: string, now: number): void {
  const store = openAuditStore(path);
  try {
    store.append(head => {
      const record = {
        seq: head.seq + 1,
        time: now,
        principal: approval.principal,
        session: `approval:${approval.id}`,
        view: null,
        method: 'manifold/approval',
        target: approval.tool,
        upstream: null,
        server: approval.server,
        argsDigest: approval.argsDigest,
        argsSize: Buffer.byteLength(approval.arguments),
        arguments: null,
        outcome: action === 'grant' ? ('ok' as const) : ('denied' as const),
        error: `${action} ${approval.id} (by ${by})`,
        durationMs: 0,
        resultSize: 0,
        runId: null,
        stepId: null
      };
      return [{ ...record, prev: head.hash, hash: rowHash(head.hash, record) }];
    });
  } finally {
    store.close();
  }
}

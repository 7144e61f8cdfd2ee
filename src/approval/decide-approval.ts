import { ManifoldError } from '../core/errors.js';
import type { ApprovalStore, StoredApproval } from '../store/index.js';

/**
 * Grants or denies a pending approval (`manifold approvals grant|deny`, the web console): checks it waits, is not
 * expired and was not decided by someone else meanwhile. `where` names the store in messages. Returns the approval
 * as it was before the decision; the caller records it in the audit log (`recordApprovalDecision`).
 */
export function decideApproval(store: ApprovalStore, id: string, action: 'grant' | 'deny', by: string, now: number, where: string): StoredApproval {
  const found = store.getApproval(id);
  if (!found) throw new ManifoldError('INVALID_PARAMS', `no approval "${id}" in ${where} (manifold approvals lists the pending ones)`);
  if (found.status !== 'pending') throw new ManifoldError('INVALID_PARAMS', `approval ${id} is ${found.status} already${found.decidedBy ? ` (by ${found.decidedBy})` : ''}; nothing changed`);
  if (found.expiresAt <= now) throw new ManifoldError('INVALID_PARAMS', `approval ${id} expired at ${new Date(found.expiresAt).toISOString()}; the client's next call asks again`);
  if (!store.decideApproval(id, action === 'grant' ? 'granted' : 'denied', by, now)) {
    throw new ManifoldError('INVALID_PARAMS', `approval ${id} was decided by someone else just now; nothing changed`);
  }
  return found;
}

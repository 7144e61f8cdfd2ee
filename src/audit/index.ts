export { AuditLog, type AuditLogOptions } from './audit-log.js';
export { createAuditMiddleware, type ResolveTarget } from './audit-middleware.js';
export { canonicalJson, isSecretKey, redactSecrets } from './canonical-json.js';
export { digestOf, recordOf, rowHash, signCheckpoint } from './chain.js';
export { type AuditSigner, loadSigningKey } from './signing-key.js';
export { type AuditProblemKind, type AuditVerification, verifyAudit } from './verify-audit.js';
export { anchorPath, readAnchor, writeAnchor } from './anchor.js';
export { recordApprovalDecision } from './approval-decision.js';

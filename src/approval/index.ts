export { ApprovalGate, type ApprovalGateOptions } from './approval-gate.js';
export { ApprovalPolicy } from './approval-policy.js';
export { type ApprovalClaims, checkApprovalState } from './approval-state.js';
export { type ApprovalAnswer, type ApprovalCall, approvalInputKey, approvalMetaKey } from './approval-texts.js';
export { argumentsDigest } from './arguments-digest.js';
export { decideApproval } from './decide-approval.js';

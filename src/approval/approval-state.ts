import type { ApprovalCall } from './approval-texts.js';

/** What an approval requestState binds: a nonce (single use), the principal, the public tool, the argument digest, the expiry. */
export interface ApprovalClaims {
  n: string;
  p: string;
  t: string;
  d: string;
  exp: number;
}

/**
 * Why a state's claims do not allow this call, or undefined when they do (the nonce is checked by the gate, which
 * spends it). `claims` undefined: the seal did not open (forged, tampered with, another gateway's).
 */
export function checkApprovalState(claims: Record<string, unknown> | undefined, call: Pick<ApprovalCall, 'principal' | 'tool' | 'digest'>, now: number): string | undefined {
  if (!claims) return 'it is not sealed by this gateway (forged, tampered with, or from a gateway process that has restarted since)';
  const { n, p, t, d, exp } = claims;
  if (typeof n !== 'string' || typeof p !== 'string' || typeof t !== 'string' || typeof d !== 'string' || typeof exp !== 'number') return 'it is not an approval state';
  if (exp <= now) return `it expired at ${new Date(exp).toISOString()}`;
  if (p !== call.principal) return 'it was issued to another principal';
  if (t !== call.tool) return `it was issued for another tool ("${t}")`;
  if (d !== call.digest) return 'it was issued for other arguments (the retry must carry the same arguments)';
  return undefined;
}

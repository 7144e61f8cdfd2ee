import { ManifoldError } from '../core/errors.js';
import type { ToolPin } from '../store/index.js';

/**
 * Where a pinned tool stands: `approved` (its definition is the approved one), `changed` (it differs from the
 * approved one), `pending` (never approved: a quarantined server's), `blocked` (by `manifold tools block`).
 */
export type PinState = 'approved' | 'changed' | 'pending' | 'blocked';

export function pinStateOf(pin: Pick<ToolPin, 'approvedHash' | 'currentHash' | 'blocked'>): PinState {
  if (pin.blocked) return 'blocked';
  if (pin.approvedHash === null) return 'pending';
  return pin.approvedHash === pin.currentHash ? 'approved' : 'changed';
}

/** What a call of a held tool is refused with: what happened, and the commands that settle it. */
export function pinRefusal(state: Exclude<PinState, 'approved'>, name: string, pin: ToolPin): ManifoldError {
  const data = { tool: name, server: pin.server, state, approvedHash: pin.approvedHash, currentHash: pin.currentHash };
  switch (state) {
    case 'changed':
      return new ManifoldError(
        'TOOL_CHANGED',
        `tool "${name}" changed since it was approved: server "${pin.server}" now describes it differently (a rug pull, or an upgrade), so it is hidden and not called. Review the change with "manifold tools diff ${name}", then accept it with "manifold tools approve ${name}" (or refuse it for good: "manifold tools block ${name}")`,
        { data }
      );
    case 'pending':
      return new ManifoldError(
        'TOOL_PENDING',
        `tool "${name}" of quarantined server "${pin.server}" (servers.${pin.server}.quarantine) is not approved yet, so it is hidden and not called. Review it with "manifold tools diff ${name}", then "manifold tools approve ${name}" (or every tool of the server: "manifold tools approve ${pin.server}")`,
        { data }
      );
    case 'blocked':
      return new ManifoldError(
        'TOOL_BLOCKED',
        `tool "${name}" is blocked${pin.decidedBy ? ` (by ${pin.decidedBy}${pin.decidedAt ? ` on ${new Date(pin.decidedAt).toISOString()}` : ''})` : ''}: it is hidden and never called. "manifold tools approve ${name}" unblocks it`,
        { data }
      );
  }
}

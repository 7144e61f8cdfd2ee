import { type AuditLog, digestOf } from '../audit/index.js';
import { errorMessage } from '../core/errors.js';
import type { ToolPin } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';

export interface PinEvent {
  /** `manifold/tools.changed` (the gateway found a change), `manifold/tools.approve`, `manifold/tools.block`. */
  method: string;
  /** `kind:name`: `local:<user>` for a decision on the command line, `gateway:pinning` for a detection. */
  principal: string;
  /** The tool's public name. */
  name: string;
  pin: ToolPin;
  previousHash?: string | null | undefined;
  now: number;
}

/** The audit row of a pin event: what was decided or found, with the hashes (the definitions stay in the pin store). */
export function pinEventRecord(event: PinEvent): Parameters<AuditLog['append']>[0] {
  const details = { hash: event.pin.currentHash, approvedHash: event.pin.approvedHash, previousHash: event.previousHash ?? null, blocked: event.pin.blocked };
  const digest = digestOf(details);
  return {
    time: event.now,
    principal: event.principal,
    session: event.principal.startsWith('gateway:') ? 'gateway' : 'cli',
    view: null,
    method: event.method,
    target: event.name,
    upstream: event.pin.tool,
    server: event.pin.server,
    argsDigest: digest.digest,
    argsSize: digest.size,
    arguments: digest.text,
    outcome: 'ok',
    error: null,
    durationMs: 0,
    resultSize: 0,
    runId: null,
    stepId: null
  };
}

/** Appends a pin event to the audit log (when there is one); a failure is logged, never thrown. */
export function auditPinEvent(audit: AuditLog | undefined, event: PinEvent, logger: Logger): void {
  if (!audit) return;
  audit.append(pinEventRecord(event)).catch(error => logger.warn(`audit: the row of ${event.method} ${event.name} was not written: ${errorMessage(error)}`));
}

import { AuditLog, loadSigningKey } from '../audit/index.js';
import type { ManifoldConfig } from '../config/index.js';
import type { PinDecision, PinStore } from '../store/index.js';
import { openAuditStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { type DefinitionChange, diffDefinitions, formatChanges } from './diff-definitions.js';
import { type NamedPin, namePins } from './pin-names.js';
import { pinEventRecord } from './audit-pin-event.js';

/**
 * Pin decisions made outside the gateway's pipeline (`manifold tools approve|block`, the web console): one code
 * path, so both record the same store rows and the same audit rows. A running gateway follows the store's
 * revision and serves (or hides) the tool within a second.
 */
export interface PinDecider {
  store: PinStore;
  config: ManifoldConfig;
  /** The config file's path (a signing key's path is relative to it). */
  configPath: string;
  /** The store file the audit rows go to. */
  storePath: string;
  logger: Logger;
}

/** Approves (the definition as it is now) or blocks the pins; returns those that changed, audited (audit.enabled). */
export function decidePins(decider: PinDecider, chosen: readonly NamedPin[], action: 'approve' | 'block', by: string, at: number): NamedPin[] {
  const decisions: PinDecision[] = chosen.map(pin => ({ server: pin.server, tool: pin.tool, decision: action, hash: action === 'approve' ? pin.currentHash : undefined, at, by }));
  const changed = namePins(decider.store.decidePins(decisions), decider.config.servers);
  auditPinDecisions(decider, changed, action, by, at);
  return changed;
}

/** One audit row per decision (audit.enabled), in the same chain as the gateway's rows. */
function auditPinDecisions(decider: PinDecider, pins: readonly NamedPin[], action: 'approve' | 'block', by: string, at: number): void {
  const options = decider.config.audit;
  if (!options.enabled || pins.length === 0) return;
  const log = new AuditLog({
    open: () => openAuditStore(decider.storePath),
    signer: options.signingKey !== undefined ? loadSigningKey(options.signingKey, decider.configPath) : undefined,
    checkpointEvery: options.checkpointEvery,
    keepDays: undefined,
    arguments: false,
    logger: decider.logger
  });
  try {
    for (const pin of pins) void log.append(pinEventRecord({ method: `manifold/tools.${action}`, principal: by, name: pin.name, pin, now: at }));
    log.flush();
  } finally {
    log.close();
  }
}

/** A pin's approved and current definitions and what changed between them (`before` undefined: never approved). */
export function pinChanges(pin: NamedPin): { before: unknown; after: unknown; changes: DefinitionChange[]; text: string } {
  const before = pin.approvedDefinition === null ? undefined : (JSON.parse(pin.approvedDefinition) as unknown);
  const after = JSON.parse(pin.currentDefinition) as unknown;
  const changes = diffDefinitions(before, after);
  return { before, after, changes, text: before === undefined ? `never approved; its definition:\n${JSON.stringify(after, null, 2)}` : formatChanges(changes) };
}

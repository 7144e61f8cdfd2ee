import { decideApproval } from '../approval/index.js';
import { recordApprovalDecision } from '../audit/index.js';
import { ManifoldError } from '../core/errors.js';
import type { GatewayCore } from '../gateway/index.js';
import { decidePins, type NamedPin, namePins, pinChanges, pinStateOf, selectPins } from '../pinning/index.js';
import { type ApprovalStore, openApprovalStore, openPinStore, type PinStore } from '../store/index.js';
import type { ApprovalItem, ApprovalProvider, ConsoleProviders, PinProvider, PinView } from './providers.js';

/** The one place the console opens the pin and approval stores (the file the CLI and the gateway use), per use. */
const openers = { pins: (path: string): PinStore => openPinStore(path), approvals: (path: string): ApprovalStore => openApprovalStore(path) };

function withStore<K extends keyof typeof openers, T>(kind: K, path: string, use: (store: ReturnType<(typeof openers)[K]>) => T): T {
  const store = openers[kind](path) as ReturnType<(typeof openers)[K]>;
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** The console admin as decisions and audit rows name them (the CLI's are `local:<user>` and `cli:<user>`). */
const consoleBy = (who: string) => `console:${who}`;

/**
 * Pins and approvals for the console, through the same functions as `manifold tools approve|block|diff` and
 * `manifold approvals grant|deny`: the same store rows, the same audit rows; the running gateway follows the
 * store's revision (pins) or reads the approval on the client's retry. None when the store is `:memory:`.
 */
export function decisionProviders(core: GatewayCore, options: { configPath: string; storePath: string }): ConsoleProviders {
  if (options.storePath === ':memory:') return {};
  const path = options.storePath;
  const providers: ConsoleProviders = {};
  if (core.pins) providers.pins = pinProvider(core, options.configPath, path);
  providers.approvals = approvalProvider(core, path);
  return providers;
}

function pinProvider(core: GatewayCore, configPath: string, path: string): PinProvider {
  const pins = (store: PinStore): NamedPin[] => namePins(store.listPins(), core.config.servers);
  const one = (store: PinStore, tool: string): NamedPin => {
    const selected = selectPins(pins(store), tool);
    if (!selected || selected.kind !== 'tool') throw new ManifoldError('INVALID_PARAMS', `no pinned tool "${tool}" in ${path} (a tool is pinned when the gateway first lists it)`);
    return selected.pins[0] as NamedPin;
  };
  const decide = (tool: string, who: string, action: 'approve' | 'block') =>
    withStore('pins', path, store => {
      decidePins({ store, config: core.config, configPath, storePath: path, logger: core.logger.child('console') }, [one(store, tool)], action, consoleBy(who), Date.now());
    });
  return {
    states: () =>
      withStore('pins', path, store => {
        const states = new Map<string, PinView>();
        for (const pin of pins(store)) {
          const view: PinView = { state: pinStateOf(pin), since: pin.changedAt ?? pin.decidedAt ?? pin.firstSeen };
          if (pin.decidedBy !== null) view.by = pin.decidedBy;
          states.set(pin.name, view);
        }
        return states;
      }),
    diff: tool =>
      withStore('pins', path, store => {
        const pin = one(store, tool);
        if (pinStateOf(pin) === 'approved') return undefined;
        const { before, after, text } = pinChanges(pin);
        return { before: before === undefined ? '' : JSON.stringify(before, null, 2), after: JSON.stringify(after, null, 2), unified: text };
      }),
    approve: (tool, who) => decide(tool, who, 'approve'),
    block: (tool, who) => decide(tool, who, 'block')
  };
}

function approvalProvider(core: GatewayCore, path: string): ApprovalProvider {
  const decide = (id: string, who: string, action: 'grant' | 'deny') => {
    const now = Date.now();
    const by = consoleBy(who);
    const approval = withStore('approvals', path, store => decideApproval(store, id, action, by, now, path));
    if (core.config.audit.enabled) recordApprovalDecision(path, approval, action, by, now);
  };
  return {
    list: () => {
      const now = Date.now();
      const rows = withStore('approvals', path, store => store.listApprovals({ now, all: true }));
      const status = (row: (typeof rows)[number]) => (row.status === 'pending' && row.expiresAt <= now ? 'expired' : row.status);
      const items: ApprovalItem[] = rows.map(row => ({ id: row.id, tool: row.tool, principal: row.principal, requestedAt: row.createdAt, arguments: row.arguments, reason: row.reason, status: status(row) }));
      // Pending first (oldest first), then the decided and expired ones (newest first, as the store lists them).
      const pending = items.filter(item => item.status === 'pending').sort((a, b) => a.requestedAt - b.requestedAt);
      return [...pending, ...items.filter(item => item.status !== 'pending').slice(0, 100)];
    },
    approve: (id, who) => decide(id, who, 'grant'),
    deny: (id, who) => decide(id, who, 'deny')
  };
}

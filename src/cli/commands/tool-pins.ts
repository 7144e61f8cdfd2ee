import { userInfo } from 'node:os';

import type { LoadedConfig } from '../../config/index.js';
import { runStorePath } from '../../gateway/index.js';
import { decidePins, type NamedPin, namePins, pinChanges, pinStateOf, selectPins } from '../../pinning/index.js';
import { openPinStore, type PinStore } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

/** The actions of `manifold tools` that work on the pins in the store (no server is started). */
export const pinActions = ['pins', 'diff', 'approve', 'block'] as const;
export type PinAction = (typeof pinActions)[number];

/** Who decides on the command line, as audit rows name principals. */
function localUser(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local:local';
  }
}

function openPins(loaded: LoadedConfig): PinStore {
  const path = runStorePath(loaded.config, loaded.path);
  if (path === ':memory:') throw new UsageError('store.path is ":memory:", which keeps no pins between processes: set store.path in the config to review and approve tools');
  return openPinStore(path);
}

const shortHash = (hash: string | null) => (hash ? hash.slice(0, 12) : '-');

/**
 * `manifold tools pins|diff|approve|block`: the pinned tool definitions in the store (docs/SECURITY.md "Pinned
 * tool definitions"). They read and write the store file only, so they work while a gateway runs; it picks up a
 * decision within a second, without a restart, and every decision is a row in the audit log.
 */
export async function runToolPins(action: PinAction, parsed: ParsedCommand, output: Output): Promise<number> {
  const [, target, ...rest] = parsed.positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const all = parsed.values.all === true;
  const options = commonOptions(parsed);
  const logger = createLogger({ level: options.logLevel ?? 'warn' });
  const loaded = loadCliConfig(options, logger);
  if (!loaded.config.security.pinning) output.err(`note: pinning is off in ${loaded.path} (security.pinning: false); the pins below are not enforced`);
  const store = openPins(loaded);
  try {
    const pins = namePins(store.listPins(), loaded.config.servers);
    switch (action) {
      case 'pins':
        return listPins(pins, target, parsed.values.json === true, output);
      case 'diff':
        return diffPin(pins, target, parsed.values.json === true, output);
      case 'approve':
      case 'block': {
        const chosen = choose(pins, action, target, all);
        const by = localUser();
        const at = Date.now();
        const changed = decidePins({ store, config: loaded.config, configPath: loaded.path, storePath: runStorePath(loaded.config, loaded.path), logger }, chosen, action, by, at);
        if (parsed.values.json === true) output.out(JSON.stringify(changed.map(pin => ({ tool: pin.name, server: pin.server, state: pinStateOf(pin), hash: pin.currentHash })), null, 2));
        else if (changed.length === 0) output.out(`nothing to ${action}: ${chosen.length === 0 ? 'no tool waits for approval' : 'already done'}`);
        else for (const pin of changed) output.out(`${action === 'approve' ? 'approved' : 'blocked'} ${pin.name} (${pin.server}, ${shortHash(pin.currentHash)})`);
        if (changed.length > 0 && !parsed.values.json) output.out('a running gateway follows within a second (its clients get list_changed)');
        return 0;
      }
    }
  } finally {
    store.close();
  }
}

/** The pins an approve or block applies to: one tool, a server's waiting tools, or with --all every waiting tool. */
function choose(pins: readonly NamedPin[], action: 'approve' | 'block', target: string | undefined, all: boolean): NamedPin[] {
  const waiting = (pin: NamedPin) => {
    const state = pinStateOf(pin);
    return state === 'changed' || state === 'pending';
  };
  if (target === undefined) {
    if (action === 'approve' && all) return pins.filter(waiting);
    throw new UsageError(action === 'approve' ? 'manifold tools approve needs a tool or a server (or --all: every changed and pending tool)' : 'manifold tools block needs a tool');
  }
  const selected = selectPins(pins, target);
  if (!selected) throw new UsageError(`no pinned tool or server "${target}" in the store (manifold tools pins lists them; a tool is pinned when a gateway first lists it)`);
  if (selected.kind === 'tool') return selected.pins;
  if (action === 'block') {
    if (!all) throw new UsageError(`"${target}" is a server: block its tools one by one, or all of them with --all`);
    return selected.pins;
  }
  // A server: its changed and pending tools (a blocked one stays blocked unless named, or with --all).
  return selected.pins.filter(pin => waiting(pin) || (all && pin.blocked));
}

function listPins(pins: readonly NamedPin[], server: string | undefined, json: boolean, output: Output): number {
  const shown = server === undefined ? pins : pins.filter(pin => pin.server === server || pin.name === server);
  if (json) {
    output.out(
      JSON.stringify(
        shown.map(pin => ({
          tool: pin.name,
          server: pin.server,
          originalName: pin.tool,
          state: pinStateOf(pin),
          approvedHash: pin.approvedHash,
          currentHash: pin.currentHash,
          firstSeen: new Date(pin.firstSeen).toISOString(),
          changedAt: pin.changedAt === null ? null : new Date(pin.changedAt).toISOString(),
          decidedAt: pin.decidedAt === null ? null : new Date(pin.decidedAt).toISOString(),
          decidedBy: pin.decidedBy
        })),
        null,
        2
      )
    );
    return 0;
  }
  if (shown.length === 0) {
    output.out('no pinned tools yet: a gateway pins each tool when it first lists it (manifold serve, manifold tools)');
    return 0;
  }
  const rows = shown.map(pin => [pin.name, pin.server, pinStateOf(pin), new Date(pin.changedAt ?? pin.firstSeen).toISOString(), shortHash(pin.currentHash), pin.decidedBy ?? '']);
  output.out(formatTable(['TOOL', 'SERVER', 'STATE', 'SINCE', 'HASH', 'DECIDED BY'], rows));
  const held = shown.filter(pin => pinStateOf(pin) !== 'approved');
  output.out(
    held.length === 0
      ? `\n${shown.length} pinned tools, all approved`
      : `\n${held.length} of ${shown.length} tools held back (hidden and refused): manifold tools diff <tool>, then manifold tools approve <tool>`
  );
  return 0;
}

function diffPin(pins: readonly NamedPin[], target: string | undefined, json: boolean, output: Output): number {
  if (target === undefined) throw new UsageError('manifold tools diff needs a tool');
  const selected = selectPins(pins, target);
  if (!selected || selected.kind !== 'tool') throw new UsageError(`no pinned tool "${target}" in the store (manifold tools pins lists them)`);
  const pin = selected.pins[0] as NamedPin;
  const { before, after, changes, text } = pinChanges(pin);
  const state = pinStateOf(pin);
  if (json) {
    output.out(JSON.stringify({ tool: pin.name, server: pin.server, originalName: pin.tool, state, approved: before === undefined ? null : { hash: pin.approvedHash, definition: before }, current: { hash: pin.currentHash, definition: after }, changes }, null, 2));
    return 0;
  }
  output.out(`${pin.name} (server ${pin.server}, tool ${pin.tool}): ${state}`);
  output.out(`approved: ${shortHash(pin.approvedHash)}${pin.decidedBy ? ` (${pin.decidedBy})` : pin.approvedHash ? ' (first seen)' : ' (never)'}   current: ${shortHash(pin.currentHash)}${pin.changedAt ? `, since ${new Date(pin.changedAt).toISOString()}` : ''}\n`);
  output.out(text);
  if (state === 'changed' || state === 'pending') output.out(`\naccept: manifold tools approve ${pin.name}    refuse: manifold tools block ${pin.name}`);
  return 0;
}

import type { Tool } from '@modelcontextprotocol/client';

import type { Catalog } from '../catalog/index.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { startToolRefresh } from './refresh-tools.js';

import type { AuditLog } from '../audit/index.js';
import { toPublicName, type ToolGate, type ToolHold } from '../catalog/index.js';
import type { ManifoldConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import type { ObservedTool, PinStore, ToolPin } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { hashTool, type PinnedDefinition } from './hash-tool.js';
import { auditPinEvent } from './audit-pin-event.js';
import { pinRefusal, type PinState, pinStateOf } from './pin-state.js';

export interface ToolPinsOptions {
  /** Opens the store on the first tools to review (a gateway without servers makes no file). */
  openStore: () => PinStore;
  servers: ManifoldConfig['servers'];
  logger: Logger;
  /** Where a detected change is recorded (`manifold/tools.changed`), when the audit log is on. */
  audit?: (() => AuditLog | undefined) | undefined;
  now?: () => number;
}

/** How often a running gateway looks for decisions made in another process (one read of the store's revision). */
export const pinPollMs = 1000;

const keyOf = (server: string, tool: string) => `${server}\u0000${tool}`;

/**
 * Pinning (docs/SECURITY.md "Pinned tool definitions"), as the catalog's gate: each server's tools are hashed
 * whole and compared with their pins. A tool seen for the first time is its own baseline (on a quarantined server:
 * pending, until approved); a definition that differs from the approved one is `changed`; those, and blocked
 * tools, are held back. Decisions made in another process (`manifold tools approve`) are picked up by `poll()`.
 */
export class ToolPins implements ToolGate {
  private readonly options: ToolPinsOptions;
  private store: PinStore | undefined;
  private pins = new Map<string, ToolPin>();
  private seenRevision = -1;
  /** Hashes by definition object: a snapshot that did not change is not hashed again. */
  private readonly hashes = new WeakMap<Tool, PinnedDefinition>();
  private readonly logger: Logger;
  private pollTimer: NodeJS.Timeout | undefined;
  private recheck: ((servers: string[]) => void) | undefined;
  private stopRefresh: (() => void) | undefined;
  private closed = false;

  constructor(options: ToolPinsOptions) {
    this.options = options;
    this.logger = options.logger.child('pinning');
  }

  review(server: string, tools: readonly Tool[]): ReadonlyMap<string, ToolHold> {
    // Shutting down (servers stop after the store closed): nothing to check, and no store to open again.
    if (this.closed) return new Map();
    const store = this.opened();
    const others = this.refresh(store);
    const approve = this.options.servers[server]?.quarantine !== true;
    const observed: ObservedTool[] = [];
    for (const tool of tools) {
      const pinned = this.pinnedOf(tool);
      const pin = this.pins.get(keyOf(server, tool.name));
      if (!pin || pin.currentHash !== pinned.hash) observed.push({ server, tool: tool.name, hash: pinned.hash, definition: pinned.definition, approve });
    }
    if (observed.length > 0) {
      const before = new Map(observed.map(tool => [tool.tool, this.pins.get(keyOf(server, tool.tool))]));
      store.observePins(observed, this.now());
      others.push(...this.reload(store));
      for (const tool of observed) this.announce(server, before.get(tool.tool), this.pins.get(keyOf(server, tool.tool)));
    }
    // Decisions made elsewhere meanwhile: the other servers they concern are asked about again (and announced).
    const elsewhere = [...new Set(others)].filter(other => other !== server);
    if (elsewhere.length > 0 && this.recheck) {
      const recheck = this.recheck;
      queueMicrotask(() => recheck(elsewhere));
    }
    const holds = new Map<string, ToolHold>();
    for (const tool of tools) {
      const pin = this.pins.get(keyOf(server, tool.name));
      if (!pin) continue;
      const state = pinStateOf(pin);
      if (state !== 'approved') holds.set(tool.name, { state, refusal: name => pinRefusal(state, name, pin) });
    }
    return holds;
  }

  /** Every pin the store holds (as of the last look at it). */
  list(): ToolPin[] {
    if (this.store) this.refresh(this.store);
    return [...this.pins.values()];
  }

  /**
   * Polls the store every `intervalMs` (one read of its revision): when a decision made elsewhere changed what is
   * held, `recheck` gets the servers concerned. Returns the function that stops it.
   */
  poll(intervalMs: number, recheck: (servers: string[]) => void): () => void {
    this.recheck = recheck;
    this.pollTimer = setInterval(() => {
      try {
        const servers = this.store ? this.refresh(this.store) : [];
        if (servers.length > 0) recheck(servers);
      } catch (error) {
        this.logger.warn(`could not read the pins: ${errorMessage(error)}`);
      }
    }, intervalMs).unref();
    return () => this.stop();
  }

  /**
   * Keeps a gateway's catalog in step: decisions made elsewhere are picked up within {@link pinPollMs}, and with
   * `refreshMs` the tools of servers that announce no changes are re-listed that often.
   */
  follow(catalog: Catalog, upstreams: ReadonlyMap<string, UpstreamConnection>, refreshMs: number): void {
    this.poll(pinPollMs, servers => catalog.recheck(servers));
    if (refreshMs > 0) this.stopRefresh = startToolRefresh(upstreams, refreshMs, this.logger);
  }

  stop(): void {
    this.stopRefresh?.();
    this.stopRefresh = undefined;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.store?.close();
    this.store = undefined;
  }

  private opened(): PinStore {
    this.store ??= this.options.openStore();
    return this.store;
  }

  private pinnedOf(tool: Tool): PinnedDefinition {
    let pinned = this.hashes.get(tool);
    if (!pinned) {
      pinned = hashTool(tool);
      this.hashes.set(tool, pinned);
    }
    return pinned;
  }

  /** Reads the pins again if the store changed since; returns the servers whose held tools changed. */
  private refresh(store: PinStore): string[] {
    if (store.revision() === this.seenRevision) return [];
    return this.reload(store);
  }

  private reload(store: PinStore): string[] {
    const revision = store.revision();
    const previous = this.pins;
    const pins = new Map<string, ToolPin>();
    for (const pin of store.listPins()) pins.set(keyOf(pin.server, pin.tool), pin);
    this.pins = pins;
    this.seenRevision = revision;
    const servers = new Set<string>();
    for (const [key, pin] of pins) {
      const before = previous.get(key);
      if (!before || pinStateOf(before) !== pinStateOf(pin) || before.currentHash !== pin.currentHash) servers.add(pin.server);
    }
    for (const [key, pin] of previous) if (!pins.has(key)) servers.add(pin.server);
    return [...servers];
  }

  /** Logs (and audits) what a review found: a changed definition, a new tool, a pending one. */
  private announce(server: string, before: ToolPin | undefined, after: ToolPin | undefined): void {
    if (!after) return;
    const name = toPublicName(server, after.tool, this.options.servers[server]?.prefix ?? true);
    const state: PinState = pinStateOf(after);
    if (!before) {
      if (state === 'pending') this.logger.warn(`tool "${name}" of quarantined server "${server}" waits for approval (manifold tools diff ${name}; manifold tools approve ${name})`);
      else this.logger.debug(`tool "${name}" pinned (first seen)`);
      return;
    }
    if (before.currentHash === after.currentHash) return;
    if (state === 'changed') {
      this.logger.warn(`tool "${name}" of server "${server}" changed since it was approved: hidden until approved (manifold tools diff ${name}; manifold tools approve ${name})`);
      auditPinEvent(this.options.audit?.(), { method: 'manifold/tools.changed', principal: 'gateway:pinning', name, pin: after, previousHash: before.currentHash, now: this.now() }, this.logger);
    } else if (state === 'approved') {
      this.logger.info(`tool "${name}" of server "${server}" is back to its approved definition`);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

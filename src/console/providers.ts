/**
 * Admin data that other parts of the gateway own and the console only shows and steers: tool pinning and the
 * approval queue. The console does not know how they work; the gateway fills these in where it creates the
 * console (`createConsole(core, { providers })`), and a page or API whose provider is absent says "not
 * available" (404 from the API). Methods may throw a `ManifoldError` whose message the console shows as is.
 */
export interface ConsoleProviders {
  pins?: PinProvider;
  approvals?: ApprovalProvider;
}

/** A tool's pin state, as the catalog shows it beside the tool. */
export interface PinView {
  /** e.g. `pinned`, `new`, `changed`, `blocked`: shown as a badge; `changed` and `new` offer approve and block. */
  state: string;
  /** When the state was last set or the change was seen (epoch ms). */
  since?: number;
  /** Who approved or blocked it. */
  by?: string;
}

/** What changed in a tool's definition since it was pinned: the two texts (description and schema as JSON), or a unified diff. */
export interface PinDiff {
  before: string;
  after: string;
  /** A unified diff of the two, when the provider makes one. */
  unified?: string;
}

export interface PinProvider {
  /** Pin states of the catalog's tools, by public name (a tool not in the map has no pin yet). */
  states(): ReadonlyMap<string, PinView>;
  /** What changed in a tool since its pin; undefined when nothing did. */
  diff(tool: string): PinDiff | undefined | Promise<PinDiff | undefined>;
  /** Accepts the tool as it is now; `by` is the admin's name (for the audit). */
  approve(tool: string, by: string): void | Promise<void>;
  /** Refuses calls of the tool until approved. */
  block(tool: string, by: string): void | Promise<void>;
}

/** One call waiting for an admin's decision. */
export interface ApprovalItem {
  id: string;
  tool: string;
  principal: string;
  /** When it was asked for (epoch ms). */
  requestedAt: number;
  /** The call's arguments as JSON text, if kept. */
  arguments?: string;
  /** Why it needs approval (the rule, a changed pin). */
  reason?: string;
  status: string;
}

export interface ApprovalProvider {
  /** The queue, oldest first (pending first, then recent decisions). */
  list(): ApprovalItem[] | Promise<ApprovalItem[]>;
  approve(id: string, by: string): void | Promise<void>;
  deny(id: string, by: string): void | Promise<void>;
}

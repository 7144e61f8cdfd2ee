/**
 * One pinned tool: what a server's tool looked like when it was approved, and what it looks like now
 * (docs/SECURITY.md "Pinned tool definitions"). Keyed by the server's name and the tool's own name there.
 */
export interface ToolPin {
  server: string;
  /** The tool's name on its server (not the public name). */
  tool: string;
  /** SHA-256 (hex) of the approved definition's canonical JSON; null: never approved (a quarantined server's). */
  approvedHash: string | null;
  /** The approved definition, canonical JSON (for `manifold tools diff`). */
  approvedDefinition: string | null;
  /** The definition the gateway saw last. */
  currentHash: string;
  currentDefinition: string;
  /** Set by `manifold tools block`; cleared by an approval. */
  blocked: boolean;
  /** Epoch ms. */
  firstSeen: number;
  /** When the current definition last became different from the one before it. */
  changedAt: number | null;
  /** When someone last approved or blocked it, and who (`local:<user>`). */
  decidedAt: number | null;
  decidedBy: string | null;
}

/** What the gateway saw of a tool: recorded by {@link PinStore.observePins}. */
export interface ObservedTool {
  server: string;
  tool: string;
  hash: string;
  definition: string;
  /** A tool seen for the first time becomes its own baseline (true) or waits for an approval (quarantine). */
  approve: boolean;
}

/** A decision of `manifold tools approve|block`. */
export interface PinDecision {
  server: string;
  tool: string;
  decision: 'approve' | 'block';
  /** Approve only this definition (the one the operator looked at); another current one is left alone. */
  hash?: string | undefined;
  at: number;
  by: string;
}

/**
 * Where pins live (tables `tool_pins`, `tool_pin_revision`; SQLite or PostgreSQL, `openPinStore`). Synchronous and small: the gateway writes
 * what it sees, the CLI writes decisions, and a revision number tells a running gateway that something changed.
 */
export interface PinStore {
  /** Every pin, or one server's, ordered by server and tool. */
  listPins(server?: string): ToolPin[];
  /**
   * Records what servers list now, in one transaction: a new tool is inserted (approved or not), a known one gets
   * its current definition updated. Never touches an approval or a block. Returns the revision after it.
   */
  observePins(tools: readonly ObservedTool[], at: number): number;
  /** Applies decisions in one transaction; returns the pins it changed. */
  decidePins(decisions: readonly PinDecision[]): ToolPin[];
  /** A number that grows on every change to the pins, by any process. */
  revision(): number;
  close(): void;
}

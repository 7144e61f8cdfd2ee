import type { ScanSeverity } from '../config/index.js';

/** One thing the scanner found in a tool definition (the shape `manifold scan --json` prints). */
export interface Finding {
  /** The server's config name. */
  server: string;
  /** The tool's public name, or `(instructions)` for the server's instructions, or the view for a toxic flow. */
  tool: string;
  /** Rule id (docs/SECURITY.md "Scanner"): E001 … E007, W001, TF001, TF002. */
  rule: string;
  severity: ScanSeverity;
  /** Where in the definition: `description`, `inputSchema.properties.path.description`, `name`, … */
  field: string;
  /** The offending text, short, with invisible and control characters escaped (`\u{e0041}`). */
  evidence: string;
}

/** A tool definition as a server lists it; anything may be missing or of the wrong type (servers are untrusted). */
export interface ScannedTool {
  /** The server's config name. */
  server: string;
  /** The name clients see (`<server>__<tool>`). */
  publicName: string;
  /** The definition as listed (name, title, description, inputSchema, outputSchema, annotations, _meta …). */
  definition: unknown;
}

/** The tools and instructions of one server. */
export interface ScannedServer {
  name: string;
  tools: readonly ScannedTool[];
  /** The server's `instructions` from initialize, when it sent any. */
  instructions?: string;
}

export const severityRank: Record<ScanSeverity, number> = { high: 3, medium: 2, low: 1 };

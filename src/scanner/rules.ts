import type { ScanSeverity } from '../config/index.js';

export interface RuleInfo {
  id: string;
  title: string;
  /** The most severe a finding of this rule is before config (some findings of a rule are milder). */
  severity: ScanSeverity;
}

/**
 * The scanner's rules (docs/SECURITY.md "Scanner" explains each, with examples). The ids follow mcp-scan's
 * where one exists (E001 prompt injection, E002 cross-server reference, E003 behaviour hijack, W001 suspicious
 * words, TF001/TF002 toxic flows); E004–E007 are Manifold's.
 */
export const scanRules = {
  E001: { id: 'E001', title: 'prompt injection: instructions aimed at the model, hidden-instruction blocks, role markers', severity: 'high' },
  E002: { id: 'E002', title: "cross-server reference (shadowing): names another server's tool", severity: 'high' },
  E003: { id: 'E003', title: "behaviour hijack: changes how the model uses other tools or the rest of the session", severity: 'high' },
  E004: { id: 'E004', title: 'hidden characters: Unicode tags, bidi controls, zero-width, variation selectors, controls', severity: 'high' },
  E005: { id: 'E005', title: 'asks to read secrets or sensitive files (~/.ssh, .env, mcp.json, credentials, cookies)', severity: 'high' },
  E006: { id: 'E006', title: 'asks to send data to a URL', severity: 'high' },
  E007: { id: 'E007', title: 'exfiltration parameter: asks for the conversation, the system prompt or secrets', severity: 'high' },
  W001: { id: 'W001', title: 'suspicious words: emphatic markers, secrecy, HTML comments', severity: 'low' },
  TF001: { id: 'TF001', title: 'toxic flow: a view exposes untrusted content, private data and a public sink together', severity: 'medium' },
  TF002: { id: 'TF002', title: 'toxic flow: a view exposes untrusted content and a destructive tool together', severity: 'low' }
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof scanRules;

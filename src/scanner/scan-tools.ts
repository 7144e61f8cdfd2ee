import type { ScanSeverity, SecurityScanOptions } from '../config/index.js';
import { globToRegExp } from '../core/glob.js';
import { createToolNameIndex, matchCrossServer, type ToolNameIndex } from './cross-server.js';
import { matchExfiltrationParameter } from './exfiltration-parameters.js';
import type { Finding, ScannedServer, ScannedTool } from './finding.js';
import { findHiddenCharacters, type HiddenRun } from './hidden-characters.js';
import { collectTextFields, type TextField } from './text-fields.js';
import { clip, matchTextRules, normalise, type TextMatch } from './text-rules.js';

/** The pseudo tool name a server's instructions are reported under. */
export const instructionsTool = '(instructions)';

export interface ScanOptions {
  /** `security.scan` (rule severities, allowlist); defaults when absent. */
  config?: Pick<SecurityScanOptions, 'rules' | 'allow'>;
  /** A server's `trust`; `trusted` lowers its findings one severity. */
  trustOf?: (server: string) => 'trusted' | 'untrusted';
}

function hiddenSeverity(run: HiddenRun, kind: TextField['kind']): ScanSeverity {
  const inName = kind === 'name' || kind === 'property-name';
  switch (run.class) {
    case 'tag':
    case 'bidi':
      return 'high';
    case 'variation-selector':
      return run.length >= 2 || inName ? 'high' : 'medium';
    case 'zero-width':
    case 'control':
      return run.length >= 3 || inName ? 'high' : 'medium';
  }
}

function hiddenFindings(field: TextField): TextMatch[] {
  const byClass = new Map<string, TextMatch>();
  for (const run of findHiddenCharacters(field.text)) {
    const severity = hiddenSeverity(run, field.kind);
    const previous = byClass.get(run.class);
    if (previous && (previous.severity === 'high' || severity !== 'high')) continue;
    byClass.set(run.class, { rule: 'E004', severity, evidence: `${run.class} characters at ${run.position}: ${run.evidence}` });
  }
  return [...byClass.values()];
}

/** The rule matches in one tool's definition, by field (before config). Never throws. */
function matchTool(tool: ScannedTool, index: ToolNameIndex): { field: string; match: TextMatch }[] {
  const fields = collectTextFields(tool.definition);
  const descriptions = new Map<string, string>();
  for (const field of fields) if (field.path.endsWith('.description')) descriptions.set(field.path.slice(0, -'.description'.length), field.text);
  const out: { field: string; match: TextMatch }[] = [];
  for (const field of fields) {
    const isName = field.kind === 'name' || field.kind === 'property-name';
    const plain = normalise(clip(field.text), false);
    const matches = [...hiddenFindings(field), ...matchTextRules(field, isName ? normalise(clip(field.text), true) : plain)];
    if (field.kind === 'property-name') {
      const parameter = matchExfiltrationParameter(field.text, descriptions.get(field.path));
      if (parameter) matches.push(parameter);
    }
    const reference = matchCrossServer(field.text, tool.server, index, plain);
    if (reference) matches.push(reference);
    for (const match of matches) out.push({ field: field.path || '(definition)', match });
  }
  return out;
}

const lowered: Record<ScanSeverity, ScanSeverity> = { high: 'medium', medium: 'low', low: 'low' };

/** Applies `security.scan.rules`, a server's trust and `security.scan.allow`: the finding as reported, or undefined. */
export function createFindingFilter(options: ScanOptions): (finding: Finding) => Finding | undefined {
  const allow = (options.config?.allow ?? []).map(entry => ({
    server: entry.server ? globToRegExp(entry.server) : undefined,
    tool: entry.tool ? globToRegExp(entry.tool) : undefined,
    rule: entry.rule ? globToRegExp(entry.rule) : undefined
  }));
  const overrides = options.config?.rules ?? {};
  return finding => {
    const override = overrides[finding.rule];
    if (override === 'off') return undefined;
    let severity = override ?? finding.severity;
    if (options.trustOf?.(finding.server) === 'trusted') severity = lowered[severity];
    if (allow.some(entry => (!entry.server || entry.server.test(finding.server)) && (!entry.tool || entry.tool.test(finding.tool)) && (!entry.rule || entry.rule.test(finding.rule)))) return undefined;
    return severity === finding.severity ? finding : { ...finding, severity };
  };
}

/**
 * Scans every tool (and the instructions) of every server: pure, synchronous, never throws on any
 * definition. Cross-server references (E002) are looked for among the servers given together.
 */
export function scanServers(servers: readonly ScannedServer[], options: ScanOptions = {}): Finding[] {
  const index = createToolNameIndex(servers);
  const filter = createFindingFilter(options);
  const findings: Finding[] = [];
  for (const server of servers) {
    const tools: ScannedTool[] = [...server.tools];
    if (typeof server.instructions === 'string' && server.instructions.length > 0)
      tools.push({ server: server.name, publicName: instructionsTool, definition: { instructions: server.instructions } });
    for (const tool of tools) {
      for (const { field, match } of matchTool(tool, index)) {
        const finding = filter({ server: server.name, tool: tool.publicName, rule: match.rule, severity: match.severity, field, evidence: match.evidence });
        if (finding) findings.push(finding);
      }
    }
  }
  return findings;
}

/** Scans one tool against the other servers' names in `index` (the gateway's load-time check). */
export function scanTool(tool: ScannedTool, index: ToolNameIndex, options: ScanOptions = {}): Finding[] {
  const filter = createFindingFilter(options);
  const findings: Finding[] = [];
  for (const { field, match } of matchTool(tool, index)) {
    const finding = filter({ server: tool.server, tool: tool.publicName, rule: match.rule, severity: match.severity, field, evidence: match.evidence });
    if (finding) findings.push(finding);
  }
  return findings;
}

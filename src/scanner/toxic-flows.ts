import type { FlowLabel, SecurityScanOptions } from '../config/index.js';
import { globToRegExp } from '../core/glob.js';
import type { Finding } from './finding.js';

/** A tool of a view, as the toxic-flow check reads it. */
export interface FlowTool {
  /** Public name (as the view lists it). */
  name: string;
  server: string;
  annotations?: { readOnlyHint?: unknown; destructiveHint?: unknown; openWorldHint?: unknown } | undefined;
}

/**
 * A tool's labels: from its annotations (only hints the server set explicitly: the spec's defaults would label
 * every unannotated tool a destructive public sink) plus the config's `security.scan.labels`.
 *   openWorldHint true + readOnlyHint true  → untrusted-content (reads what anyone can write: web, mail, issues)
 *   openWorldHint true + readOnlyHint not true → public-sink (writes where others read)
 *   openWorldHint false + readOnlyHint true → private-data (reads the user's own data)
 *   destructiveHint true (not read-only)     → destructive
 */
export function labelTool(tool: FlowTool, labels: SecurityScanOptions['labels'] = {}): Set<FlowLabel> {
  const out = new Set<FlowLabel>();
  const hints = tool.annotations ?? {};
  const readOnly = hints.readOnlyHint === true;
  if (hints.openWorldHint === true) out.add(readOnly ? 'untrusted-content' : 'public-sink');
  if (hints.openWorldHint === false && readOnly) out.add('private-data');
  if (hints.destructiveHint === true && !readOnly) out.add('destructive');
  for (const [glob, added] of Object.entries(labels)) if (globToRegExp(glob).test(tool.name)) for (const label of added) out.add(label);
  return out;
}

function names(tools: FlowTool[]): string {
  const shown = tools.slice(0, 3).map(tool => tool.name).join(', ');
  return tools.length > 3 ? `${shown} (+${tools.length - 3})` : shown;
}

/**
 * TF001: one view lists a tool that brings in untrusted content, one that reads private data and one that
 * sends data out: injected text can make the model carry the private data out. TF002: untrusted content and
 * a destructive tool. Reported under server `(view)`, tool = the view's name.
 */
export function findToxicFlows(view: string, tools: readonly FlowTool[], labels: SecurityScanOptions['labels'] = {}): Finding[] {
  const by = new Map<FlowLabel, FlowTool[]>();
  for (const tool of tools) {
    for (const label of labelTool(tool, labels)) {
      let list = by.get(label);
      if (!list) by.set(label, (list = []));
      list.push(tool);
    }
  }
  const untrusted = by.get('untrusted-content') ?? [];
  const findings: Finding[] = [];
  if (untrusted.length === 0) return findings;
  const privateData = by.get('private-data') ?? [];
  const sinks = by.get('public-sink') ?? [];
  if (privateData.length > 0 && sinks.length > 0)
    findings.push({
      server: '(view)',
      tool: view,
      rule: 'TF001',
      severity: 'medium',
      field: 'tools',
      evidence: `untrusted content: ${names(untrusted)}; private data: ${names(privateData)}; public sink: ${names(sinks)}`
    });
  const destructive = by.get('destructive') ?? [];
  if (destructive.length > 0)
    findings.push({ server: '(view)', tool: view, rule: 'TF002', severity: 'low', field: 'tools', evidence: `untrusted content: ${names(untrusted)}; destructive: ${names(destructive)}` });
  return findings;
}

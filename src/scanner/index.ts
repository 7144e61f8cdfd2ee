export { createToolNameIndex, type ToolNameIndex } from './cross-server.js';
export { type Finding, type ScannedServer, type ScannedTool, severityRank } from './finding.js';
export { findHiddenCharacters, escapeInvisible, type HiddenClass } from './hidden-characters.js';
export { type RuleId, type RuleInfo, scanRules } from './rules.js';
export { createFindingFilter, instructionsTool, type ScanOptions, scanServers, scanTool } from './scan-tools.js';
export { collectTextFields, type TextField } from './text-fields.js';
export { findToxicFlows, type FlowTool, labelTool } from './toxic-flows.js';

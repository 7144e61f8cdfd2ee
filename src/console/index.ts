export { type ServerReport, type ServersReport, diagnoseServer, disabledServers, serverStateOf, serversReport } from './data/server-reports.js';
export { type SearchReport, searchReport, type ToolReport, toolReports, type ViewReport, viewsReport } from './data/catalog-reports.js';
export { configKeys, type KeyReport, keyReports, type UsageReport, usageReport, type UsageSeries, usageSeries } from './data/record-reports.js';
export { createConsole, type CreateConsoleOptions, type WebConsole } from './create-console.js';
export { decisionProviders } from './decision-providers.js';
export { consoleKeyPath } from './console-auth.js';
export type { ApprovalItem, ApprovalProvider, ConsoleProviders, PinDiff, PinProvider, PinView } from './providers.js';

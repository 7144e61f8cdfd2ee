export { type ServerReport, type ServersReport, diagnoseServer, disabledServers, serverStateOf, serversReport } from './data/server-reports.js';
export { type SearchReport, searchReport, type ToolReport, toolReports, type ViewReport, viewsReport } from './data/catalog-reports.js';
export { configKeys, type KeyReport, keyReports, type UsageReport, usageReport, type UsageSeries, usageSeries } from './data/record-reports.js';

export { expandEnv, inputVariable } from './expand-env.js';
export { type ImportedInput, importClientConfig, type ImportOptions } from './import-client-config.js';
export { loadWorkflowFiles, parseWorkflowFile } from './load-workflow-files.js';
export {
  type CallStep,
  type MapStep,
  type ParallelStep,
  type RetryPolicy,
  type StepPolicies,
  stepIdPattern,
  type SwitchRule,
  type SwitchStep,
  type Template,
  type WorkflowAnnotations,
  type WorkflowDefinition,
  workflowFileSchema,
  workflowNamePattern,
  workflowSchema,
  type WorkflowStep,
  type AgentStep,
  type EvaluateLoop,
  type EvaluateStep,
  type InlineAgent,
  type ModelPrompt,
  type ParallelAggregate,
  type Rating,
  ratings
} from './workflow-schema.js';
export { type DiscoveryOptions, discoveryOptionsSchema, type EmbeddingsConfig, embeddingsSchema } from './discovery-schema.js';
export { type DiscoveryMode, discoveryModes, type ViewConfig, viewNamePattern, viewSchema, viewsSchema, type ViewToolOverride } from './view-schema.js';
export { defaultConfigNames, type LoadedConfig, loadConfig, resolveConfigPath, workspaceFolderOf } from './load-config.js';
export { formatIssues, normaliseClientFormats, type ParseConfigOptions, type ParsedConfig, parseConfig } from './parse-config.js';
export {
  configSchema,
  durationSchema,
  type GatewayOptions,
  isStdioServer,
  type ManifoldConfig,
  type RemoteServerConfig,
  type ServerConfig,
  serverNamePattern,
  type StdioServerConfig,
  type StoreOptions
} from './schema.js';
export { type AgentConfig, agentNamePattern, agentSchema, type ModelConfig, modelSchema } from './agent-schema.js';
export { type OrchestratorConfig, orchestratorSchema } from './orchestrator-schema.js';
export { type UpstreamOAuthConfig, upstreamOAuthSchema } from './oauth-schema.js';
export {
  type RouteConfig,
  type RouteKind,
  routeKinds,
  routeNamePattern,
  type RouterConfig,
  routerSchema,
  routersSchema
} from './router-schema.js';
export {
  type CallLimitConfig,
  callLimitSchema,
  type HttpLimitConfig,
  type LimitDimension,
  limitDimensions,
  type LimitsConfig,
  limitsSchema,
  type UpstreamLimitConfig
} from './limits-schema.js';
export { type BudgetConfig, budgetSchema, budgetsSchema, type BudgetWindow, budgetWindows, type UsageOptions, usageEnabled, usageOptionsSchema } from './budgets-schema.js';
export { type MetricsOptions, metricsOptionsSchema } from './metrics-schema.js';
export { type ConsoleOptions, consoleOptionsSchema } from './console-schema.js';
export { byteSizeSchema } from './byte-size.js';
export { type CacheOptions, cacheOptionsSchema, maxCacheTtlMs, type ServerCacheOptions, serverCacheSchema } from './cache-schema.js';
export { type ApiKeyConfig, type AuthConfig, authSchema, type JwtAuthConfig, keyHashPattern, keyNamePattern } from './auth-schema.js';
export { type AccessRule, localToolSources, ruleKinds, rulesSchema } from './rules-schema.js';
export { type CompiledRule, compileRuleExpression, type RuleContext, ruleVariables } from './rule-expression.js';
export { type AuditOptions, auditOptionsSchema } from './audit-schema.js';
export { type TracingOptions, tracingOptionsSchema } from './tracing-schema.js';
export { applyFleetEnv, type FleetOptions, fleetOptionsSchema, instanceIdPattern, type RedisOptions, redisOptionsSchema } from './fleet-schema.js';
export { type ApprovalOptions, approvalOptionsSchema } from './security-approval-schema.js';
export {
  type FlowLabel,
  flowLabels,
  type ScanSeverity,
  scanSeverities,
  securityScanSchema,
  type SecurityScanOptions,
  serverTrustSchema
} from './security-scan-schema.js';
export { type RedactConfig, redactModeNames, redactSchema } from './security-redact-schema.js';

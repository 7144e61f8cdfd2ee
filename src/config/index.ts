export { expandEnv } from './expand-env.js';
export { importClientConfig } from './import-client-config.js';
export { defaultConfigNames, type LoadedConfig, loadConfig, resolveConfigPath } from './load-config.js';
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
  type StdioServerConfig
} from './schema.js';

import { loadConfig, type LoadedConfig, type ManifoldConfig, resolveConfigPath } from '../config/index.js';
import { GatewayCore } from '../gateway/index.js';
import { createLogger, type Logger, type LogLevel } from '../telemetry/logger.js';

export interface CommonOptions {
  config?: string;
  logLevel?: LogLevel;
  /** `--log-format`; default: the config's gateway.logFormat. */
  logFormat?: 'text' | 'json';
}

/** Loads the config (--config, MANIFOLD_CONFIG, ./manifold.yaml) and reports its warnings. */
export function loadCliConfig(options: CommonOptions, logger: Logger): LoadedConfig {
  const path = resolveConfigPath(options.config, process.env);
  const loaded = loadConfig(path);
  for (const warning of loaded.warnings) logger.warn(warning);
  return loaded;
}

/**
 * Loads the config and connects to every upstream: the start of every command that needs the gateway.
 * `check` sees the config before any server is started (flags that name views, say), and may throw.
 */
export async function openGateway(
  options: CommonOptions,
  defaultLevel: LogLevel,
  hooks: { check?: (config: ManifoldConfig) => void } = {}
): Promise<{ core: GatewayCore; loaded: LoadedConfig; logger: Logger }> {
  const bootstrap = createLogger({ level: options.logLevel ?? defaultLevel, ...(options.logFormat ? { format: options.logFormat } : {}) });
  const loaded = loadCliConfig(options, bootstrap);
  hooks.check?.(loaded.config);
  const logger = createLogger({
    level: options.logLevel ?? (defaultLevel === 'info' ? loaded.config.gateway.logLevel : defaultLevel),
    format: options.logFormat ?? loaded.config.gateway.logFormat
  });
  const core = new GatewayCore({ config: loaded.config, configPath: loaded.path, logger });
  await core.start();
  return { core, loaded, logger };
}

import { ManifoldError } from '../../core/errors.js';

/** The config's `tracing:` block, as this layer sees it (src/config/tracing-schema.ts). */
export interface TracingConfig {
  exporter: 'otlp' | 'console' | 'none';
  endpoint?: string | undefined;
  serviceName?: string | undefined;
  sampleRatio: number;
}

/** What tracing runs with, once the `OTEL_*` variables and the config are combined. */
export interface TracingSettings {
  exporter: 'otlp' | 'console' | 'none';
  /** The OTLP/HTTP traces URL from the config; undefined: the exporter reads the `OTEL_EXPORTER_OTLP_*` variables. */
  url: string | undefined;
  serviceName: string;
  /** Undefined when `OTEL_TRACES_SAMPLER` is set: the SDK builds the sampler from the variables. */
  sampleRatio: number | undefined;
}

const exporters = ['otlp', 'console', 'none'] as const;

/**
 * Combines the standard variables with the config; the variables win. Tracing is on when `OTEL_TRACES_EXPORTER` is
 * `otlp` or `console`, or (unset) when an `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is given, or (neither) when the
 * config names an exporter. `OTEL_SDK_DISABLED=true` turns it off whatever else says.
 */
export function tracingSettings(
  config: TracingConfig | undefined,
  env: NodeJS.ProcessEnv = process.env
): TracingSettings {
  const envEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  let exporter: TracingSettings['exporter'] = config?.exporter ?? 'none';
  const named = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim().toLowerCase();
  if (named) {
    if (!(exporters as readonly string[]).includes(named)) {
      throw new ManifoldError(
        'CONFIG_INVALID',
        `OTEL_TRACES_EXPORTER="${env.OTEL_TRACES_EXPORTER}" is not one Manifold has: use otlp (OTLP/HTTP JSON), console (stderr) or none`
      );
    }
    exporter = named as TracingSettings['exporter'];
  } else if (envEndpoint) {
    exporter = 'otlp';
  }
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') exporter = 'none';
  return {
    exporter,
    url: envEndpoint ? undefined : config?.endpoint,
    serviceName: env.OTEL_SERVICE_NAME || config?.serviceName || 'manifold',
    sampleRatio: env.OTEL_TRACES_SAMPLER ? undefined : (config?.sampleRatio ?? 1)
  };
}

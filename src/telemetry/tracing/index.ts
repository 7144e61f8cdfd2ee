export {
  noTracing,
  type CarrierHeaders,
  type ClientSpanInfo,
  type ModelSpanInfo,
  type ServerSpanInfo,
  type TraceIds,
  type Tracing
} from './tracing.js';
export { tracingSettings, type TracingConfig, type TracingSettings } from './tracing-settings.js';
export { mcpAttributes, OtelTracing, type OtelTracingOptions } from './otel-tracing.js';
export { StderrSpanExporter } from './stderr-span-exporter.js';

import { OtelTracing } from './otel-tracing.js';
import { noTracing, type Tracing } from './tracing.js';
import { type TracingConfig, tracingSettings } from './tracing-settings.js';

/** The gateway's tracing: OpenTelemetry when the config or the `OTEL_*` variables turn it on, else `noTracing`. */
export function createTracing(config: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env): Tracing {
  const settings = tracingSettings(config, env);
  return settings.exporter === 'none' ? noTracing : new OtelTracing({ settings });
}
export { activeTraceFields } from './active-trace-ids.js';

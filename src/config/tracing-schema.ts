import * as z from 'zod/v4';

import { httpUrlSchema } from './http-url.js';

/**
 * OpenTelemetry tracing (docs/OBSERVABILITY.md "Traces"). Off unless an exporter is chosen here or by the standard
 * `OTEL_*` variables (which win over these keys): a gateway that traces nothing pays nothing for it.
 */
export const tracingOptionsSchema = z.strictObject({
  /** Where spans go: `otlp` (OTLP/HTTP JSON), `console` (one JSON line per span on stderr), `none`. */
  exporter: z.enum(['otlp', 'console', 'none']).default('none'),
  /** The OTLP/HTTP traces URL (e.g. `http://127.0.0.1:4318/v1/traces`); default: the SDK's, `http://localhost:4318/v1/traces`. */
  endpoint: httpUrlSchema(
    'expected an http(s) URL of the OTLP/HTTP traces receiver, e.g. http://127.0.0.1:4318/v1/traces'
  ).optional(),
  /** `service.name` of every span; default `manifold`. */
  serviceName: z.string().min(1).optional(),
  /** The share of new traces recorded, 0..1 (a request that arrives with a sampled parent follows its parent). */
  sampleRatio: z.number().min(0).max(1).default(1)
});

export type TracingOptions = z.infer<typeof tracingOptionsSchema>;

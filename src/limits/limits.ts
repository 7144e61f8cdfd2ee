import type { Catalog } from '../catalog/index.js';
import type { LimitsConfig } from '../config/index.js';
import type { Middleware } from '../core/pipeline.js';
import { createCallLimits } from './call-limits.js';
import { createHttpRequestLimit, type HttpRequestLimit } from './http-request-limit.js';
import { MemoryRateStore } from './memory/memory-rate-store.js';
import type { RateStore } from './rate-store.js';
import { createServerOf } from './server-of.js';
import { UpstreamGates } from './upstream-gate.js';

export interface LimitsOptions {
  config: LimitsConfig;
  catalog: Catalog;
  /** Where counts live; default this process's memory (fleet mode passes a shared one). */
  store?: RateStore;
}

/**
 * Everything `limits:` configures, built once per gateway: the pipeline stage (call limits), the per-server
 * caps the dispatcher waits on, and the HTTP face's per-principal request limit. Nothing when not configured.
 */
export class Limits {
  /** The pipeline stage; absent when there is neither a call limit nor a server cap. */
  readonly middleware: Middleware | undefined;
  /** The caps of `limits.upstreams`, which the dispatcher enters before each call to a server. */
  readonly upstreams: UpstreamGates;
  /** `limits.http`, for the HTTP face; absent when not configured. */
  readonly http: HttpRequestLimit | undefined;

  constructor(options: LimitsOptions) {
    const store = options.store ?? new MemoryRateStore();
    const { config } = options;
    this.upstreams = new UpstreamGates(config.upstreams);
    // With server caps alone the stage still runs: it answers a full queue's refusal of a tool call as a tool error.
    this.middleware =
      config.calls.length > 0 || this.upstreams.size > 0
        ? createCallLimits({ limits: config.calls, store, serverOf: createServerOf(options.catalog) })
        : undefined;
    this.http = config.http ? createHttpRequestLimit(config.http, store) : undefined;
  }
}

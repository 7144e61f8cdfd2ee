export { type CacheStatsSource, type CallOutcome, GatewayMetrics, type GatewayMetricsOptions, type LimitKind, type UpstreamOutcome } from './gateway-metrics.js';
export { createMetricsMiddleware, type MetricsMiddlewareOptions } from './metrics-middleware.js';
export { observeRunStore } from './observe-run-store.js';
export { type CountedAnswer, createTokenCounter } from './count-tokens.js';

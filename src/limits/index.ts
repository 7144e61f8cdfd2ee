export { createCallLimits, type CallLimitsOptions } from './call-limits.js';
export { createHttpRequestLimit, type HttpRefusal, type HttpRequestLimit } from './http-request-limit.js';
export {
  formatWindow,
  isLimitError,
  type LimitInfo,
  limitMetaKey,
  retryAfterSeconds,
  toLimitedToolResult
} from './limited-result.js';
export { Limits, type LimitsOptions } from './limits.js';
export { createServerOf } from './server-of.js';
export { MemoryRateStore } from './memory/memory-rate-store.js';
export { RedisRateStore } from './redis/redis-rate-store.js';
export type { RateCounter, RateDecision, RateStore } from './rate-store.js';
export { UpstreamGate, UpstreamGates } from './upstream-gate.js';

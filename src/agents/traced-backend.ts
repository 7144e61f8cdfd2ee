import type { Tracing } from '../telemetry/tracing/index.js';
import type { ModelBackend } from './model-backend.js';

/**
 * A backend whose every call is a span (`chat {model}`, with its token usage), under the span of whatever made
 * it: an agent's call, a workflow's model step, a router. Tracing off: the backend itself, untouched.
 */
export function tracedBackend(backend: ModelBackend, provider: string, tracing: Tracing | undefined): ModelBackend {
  if (!tracing?.enabled) return backend;
  return {
    name: backend.name,
    description: backend.description,
    generate: request => tracing.model({ model: backend.name, provider }, () => backend.generate(request))
  };
}

import type { Catalog } from '../catalog/index.js';
import { isManifoldError } from '../core/errors.js';
import type { GatewayRequest, Middleware } from '../core/pipeline.js';
import { isLimitError, type LimitInfo, limitMetaKey } from '../limits/index.js';
import type { CallOutcome, GatewayMetrics, LimitKind } from './gateway-metrics.js';

export interface MetricsMiddlewareOptions {
  catalog: Catalog;
  /** Whether rules are on: then a known tool or prompt answered "not found" was denied by them. */
  rules: boolean;
}

interface Target {
  /** The catalog's tool name, `unknown` for a name it does not have, `` for other methods. */
  tool: string;
  /** The server (or local source, e.g. `workflows`) that serves it, `` when unknown. */
  server: string;
  /** Whether the catalog has what the request names (a not-found answer for it is then a rules denial). */
  known: boolean;
}

const limitKinds: ReadonlySet<string> = new Set(['rate', 'inFlight', 'upstream', 'http']);

/**
 * The pipeline's outermost stage: counts each call by method, tool, server, view and outcome, times it as its
 * caller waits for it, and keeps the in-flight gauge. Outermost, so calls the rules deny and the limits refuse
 * are counted too. Labels come from the catalog only (a name it lacks is `unknown`), so what callers send
 * cannot grow the number of series.
 */
export function createMetricsMiddleware(metrics: GatewayMetrics, options: MetricsMiddlewareOptions): Middleware {
  const { catalog } = options;
  return next => async request => {
    const method = request.method;
    const target = targetOf(catalog, request);
    const view = request.downstream.view ?? 'default';
    const inFlight = metrics.inFlight;
    inFlight.set(method, (inFlight.get(method) ?? 0) + 1);
    const started = performance.now();
    let outcome: CallOutcome;
    try {
      const result = await next(request);
      const limit = result._meta?.[limitMetaKey as never] as LimitInfo | undefined;
      if (limit) {
        outcome = 'limited';
        metrics.limited.inc({ kind: limitKindOf(limit.kind) });
      } else outcome = result.isError === true ? 'tool_error' : 'ok';
      return result;
    } catch (error) {
      if (isLimitError(error)) {
        outcome = 'limited';
        metrics.limited.inc({ kind: limitKindOf((error.data?.limit as LimitInfo | undefined)?.kind ?? (error.code === 'UPSTREAM_BUSY' ? 'upstream' : 'rate')) });
      } else if (options.rules && target.known && isManifoldError(error) && (error.code === 'TOOL_NOT_FOUND' || error.code === 'PROMPT_NOT_FOUND')) {
        outcome = 'denied';
      } else outcome = 'protocol_error';
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      inFlight.set(method, (inFlight.get(method) ?? 1) - 1);
      const { tool, server } = target;
      const key = `${method}\u0000${tool}\u0000${server}\u0000${outcome!}`;
      metrics.requests.inc(`${key}\u0000${view}`, () => ({ method, tool, server, view, outcome: outcome! }));
      metrics.requestDuration.observe(key, () => ({ method, tool, server, outcome: outcome! }), seconds);
    }
  };
}

function limitKindOf(kind: string | undefined): LimitKind {
  return kind !== undefined && limitKinds.has(kind) ? (kind as LimitKind) : 'rate';
}

/** The request's tool and server as the catalog names them (never as the caller spelled an unknown one). */
function targetOf(catalog: Catalog, request: GatewayRequest): Target {
  const { params } = request;
  switch (request.method) {
    case 'tools/call': {
      const tool = typeof params.name === 'string' ? catalog.findTool(params.name) : undefined;
      return tool ? { tool: tool.name, server: tool.upstream, known: true } : { tool: 'unknown', server: '', known: false };
    }
    case 'prompts/get': {
      const prompt = typeof params.name === 'string' ? catalog.prompts.find(entry => entry.name === params.name) : undefined;
      return prompt ? { tool: '', server: prompt.upstream, known: true } : { tool: '', server: '', known: false };
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      if (typeof params.uri !== 'string') return { tool: '', server: '', known: false };
      try {
        return { tool: '', server: catalog.resolveResource(params.uri), known: true };
      } catch {
        return { tool: '', server: '', known: false };
      }
    }
    case 'completion/complete':
      return { tool: '', server: '', known: false };
  }
}

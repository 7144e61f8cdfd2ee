import type { Catalog } from '../catalog/index.js';
import { type CallOutcome, classifyError, classifyResult } from '../core/call-outcome.js';
import type { GatewayRequest, Middleware } from '../core/pipeline.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface MetricsMiddlewareOptions {
  catalog: Catalog;
}

interface Target {
  /** The catalog's tool name, `unknown` for a name it does not have, `` for other methods. */
  tool: string;
  /** The server (or local source, e.g. `workflows`) that serves it, `` when unknown. */
  server: string;
}

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
      const classified = classifyResult(result);
      outcome = classified.outcome;
      if (classified.limitKind) metrics.limited.inc({ kind: classified.limitKind });
      return result;
    } catch (error) {
      const classified = classifyError(error);
      outcome = classified.outcome;
      if (classified.limitKind) metrics.limited.inc({ kind: classified.limitKind });
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

/** The request's tool and server as the catalog names them (never as the caller spelled an unknown one). */
function targetOf(catalog: Catalog, request: GatewayRequest): Target {
  const { params } = request;
  switch (request.method) {
    case 'tools/call': {
      const tool = typeof params.name === 'string' ? catalog.findTool(params.name) : undefined;
      return tool ? { tool: tool.name, server: tool.upstream } : { tool: 'unknown', server: '' };
    }
    case 'prompts/get': {
      const prompt = typeof params.name === 'string' ? catalog.prompts.find(entry => entry.name === params.name) : undefined;
      return prompt ? { tool: '', server: prompt.upstream } : { tool: '', server: '' };
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      if (typeof params.uri !== 'string') return { tool: '', server: '' };
      try {
        return { tool: '', server: catalog.resolveResource(params.uri) };
      } catch {
        return { tool: '', server: '' };
      }
    }
    case 'completion/complete':
      return { tool: '', server: '' };
  }
}

import type { AgentConfig, RouteConfig } from '../config/index.js';
import type { DownstreamContext, GatewayResult } from '../core/pipeline.js';
import type { RouteDecision } from './classify-request.js';

// The pieces of a routed call: its input checked, a server route as an agent, the routing record, a nested context.

export interface RouterInput {
  request: string;
  arguments?: Record<string, unknown>;
}

export function parseInput(name: string, value: unknown): RouterInput | string {
  const args = (value ?? {}) as Record<string, unknown>;
  const usage = `expected {"request": "<what to do, in words>", "arguments"?: {…}}`;
  if (typeof args.request !== 'string' || args.request.trim() === '')
    return `Invalid arguments for router "${name}": ${usage}.`;
  const extra = Object.keys(args).filter(key => key !== 'request' && key !== 'arguments');
  if (extra.length > 0)
    return `Invalid arguments for router "${name}": unknown argument(s) ${extra.map(key => `"${key}"`).join(', ')}; ${usage}.`;
  const routeArguments = args.arguments;
  if (
    routeArguments !== undefined &&
    (routeArguments === null || typeof routeArguments !== 'object' || Array.isArray(routeArguments))
  )
    return `Invalid arguments for router "${name}": "arguments" must be a JSON object.`;
  return {
    request: args.request,
    ...(routeArguments !== undefined ? { arguments: routeArguments as Record<string, unknown> } : {})
  };
}

/** A server route as an agent: the router's model over only that server's tools. */
export function serverAgent(route: RouteConfig, model: string, maxTurns = 10): AgentConfig {
  return {
    model,
    servers: [route.server ?? ''],
    ...(route.tools ? { tools: route.tools } : {}),
    ...(route.instruction !== undefined ? { instruction: route.instruction } : {}),
    maxTurns
  };
}

/** How a router decided (the `routing` of its result and of a routed view's selection), without usage. */
export function routingRecord(router: string, route: string, config: RouteConfig, decision: RouteDecision, fallback: boolean) {
  const best = decision.candidates[0];
  return {
    router,
    route,
    target: targetOf(config),
    confidence: best?.confidence ?? 0,
    reasoning: best?.reasoning ?? '',
    fallback,
    decidedBy: decision.decidedBy,
    candidates: decision.candidates,
    ...(decision.bm25 ? { bm25: decision.bm25 } : {})
  };
}

export function targetOf(route: RouteConfig): { kind: 'server' | 'agent' | 'workflow'; name: string } {
  if (route.server !== undefined) return { kind: 'server', name: route.server };
  if (route.agent !== undefined) return { kind: 'agent', name: route.agent };
  return { kind: 'workflow', name: route.workflow ?? '' };
}

export function usageOf(calls: RouteDecision['calls']) {
  const inputTokens = calls.reduce((sum, call) => sum + call.inputTokens, 0);
  const outputTokens = calls.reduce((sum, call) => sum + call.outputTokens, 0);
  return { calls, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * A routed call travels as the caller's (identity, era, capabilities, cancellation, progress, requests to the
 * client), without the multi-round-trip fields of the router's own request.
 */
export function nestedContext(downstream: DownstreamContext): DownstreamContext {
  const { inputResponses: _inputResponses, requestState: _requestState, toolScope: _toolScope, ...rest } = downstream;
  return rest;
}

export function toolError(text: string): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

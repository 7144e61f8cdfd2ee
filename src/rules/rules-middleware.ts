import { type Catalog, resourceNotFoundError, type VisibleTool } from '../catalog/index.js';
import type { GatewayRequest, Middleware } from '../core/pipeline.js';
import { type Principal, principalOf } from '../core/principal.js';
import { type AccessPolicy, promptTarget, resourceTarget, toolTarget } from './access-policy.js';

/**
 * The pipeline's outermost stage: a call the caller's rules deny is refused with the very error an unknown
 * tool, prompt or resource gets (its "did you mean" naming only what the caller may see), before anything else
 * (limits, cache, the upstream) sees it. Every call passes here: a client's, a workflow step's, an agent's, with
 * the principal of whoever started it.
 */
export function createRulesMiddleware(policy: AccessPolicy, catalog: Catalog): Middleware {
  return next => async request => {
    checkRules(policy, catalog, request);
    return next(request);
  };
}

/**
 * Throws the unknown-tool (prompt, resource) error when the caller's rules deny the request, or when it names
 * nothing the caller may see (with suggestions drawn from what it may see). What the stage runs; a face that
 * looks names up before the pipeline (a view's scope check) runs it first, so its errors suggest nothing hidden.
 */
export function checkRules(policy: AccessPolicy, catalog: Catalog, request: GatewayRequest): void {
  const principal = principalOf(request.downstream);
  const { params } = request;
  switch (request.method) {
    case 'tools/call': {
      if (typeof params.name !== 'string' || params.name === '') return;
      const args = argumentsOf(params.arguments);
      catalog.getTool(params.name, tool => policy.allows(principal, toolTarget(tool, tool.name === params.name ? args : undefined)));
      return;
    }
    case 'prompts/get': {
      if (typeof params.name !== 'string' || params.name === '') return;
      const args = argumentsOf(params.arguments);
      catalog.getPrompt(params.name, prompt => policy.allows(principal, promptTarget(prompt, prompt.name === params.name ? args : undefined)));
      return;
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      if (typeof params.uri !== 'string' || params.uri === '') return;
      checkResource(policy, principal, params.uri, () => catalog.resolveResource(params.uri as string));
      return;
    }
    case 'completion/complete': {
      const ref = params.ref as { type?: string; name?: string; uri?: string } | undefined;
      if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
        catalog.getPrompt(ref.name, prompt => policy.seesPrompt(principal, prompt));
      } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
        const uri = ref.uri;
        checkResource(policy, principal, uri, () => catalog.resolveTemplate(uri) ?? catalog.resolveResource(uri));
      }
      return;
    }
  }
}

/** A resource the rules hide is "not found", as one no server has. */
function checkResource(policy: AccessPolicy, principal: Principal, uri: string, owner: () => string): void {
  if (!policy.allows(principal, resourceTarget(uri, owner()))) throw resourceNotFoundError(uri);
}

function argumentsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Whether a tool is listed to a principal: the rules with the arguments unknown. */
export function visibleTool(policy: AccessPolicy, principal: Principal): (tool: VisibleTool) => boolean {
  return tool => policy.allows(principal, toolTarget(tool));
}

import type { Catalog } from '../catalog/index.js';
import type { GatewayRequest } from '../core/pipeline.js';

/**
 * The server a request goes to, as the dispatcher will route it: a tool's, a prompt's, a resource's owner.
 * Undefined for the gateway's own tools (workflows, agents) and for a name nothing serves (the dispatcher
 * answers that one).
 */
export function createServerOf(catalog: Catalog): (request: GatewayRequest) => string | undefined {
  return request => {
    const params = request.params;
    try {
      switch (request.method) {
        case 'tools/call': {
          const tool = typeof params.name === 'string' ? catalog.findTool(params.name) : undefined;
          return tool && !tool.local ? tool.upstream : undefined;
        }
        case 'prompts/get':
          return typeof params.name === 'string' ? catalog.getPrompt(params.name).upstream : undefined;
        case 'resources/read':
        case 'resources/subscribe':
        case 'resources/unsubscribe':
          return typeof params.uri === 'string' ? catalog.resolveResource(params.uri) : undefined;
        case 'completion/complete': {
          const ref = params.ref as { type?: string; name?: string; uri?: string } | undefined;
          if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') return catalog.getPrompt(ref.name).upstream;
          if (ref?.type === 'ref/resource' && typeof ref.uri === 'string')
            return catalog.resolveTemplate(ref.uri) ?? catalog.resolveResource(ref.uri);
          return undefined;
        }
      }
    } catch {
      return undefined;
    }
  };
}

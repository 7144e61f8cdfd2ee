import type { Catalog } from '../catalog/index.js';
import type { GatewayRequest } from '../core/pipeline.js';

/**
 * Whether the catalog has what a request names (a tool, a prompt, a resource a server serves): a rules refusal of
 * such a request is a denial (`denied` in the audit log and the metrics); of a name nothing serves, a protocol error.
 */
export function targetExists(catalog: Catalog, request: GatewayRequest): boolean {
  const { params } = request;
  switch (request.method) {
    case 'tools/call':
      return typeof params.name === 'string' && catalog.findTool(params.name) !== undefined;
    case 'prompts/get':
      return typeof params.name === 'string' && catalog.prompts.some(prompt => prompt.name === params.name);
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return typeof params.uri === 'string' && resolves(() => catalog.resolveResource(params.uri as string));
    case 'completion/complete': {
      const ref = params.ref as { type?: string; name?: string; uri?: string } | undefined;
      if (ref?.type === 'ref/prompt') return catalog.prompts.some(prompt => prompt.name === ref.name);
      const uri = ref?.uri;
      return typeof uri === 'string' && resolves(() => catalog.resolveTemplate(uri) ?? catalog.resolveResource(uri));
    }
  }
}

function resolves(resolve: () => string): boolean {
  try {
    resolve();
    return true;
  } catch {
    return false;
  }
}

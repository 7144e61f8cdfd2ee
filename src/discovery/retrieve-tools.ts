import type { GatewayResult } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import type { CatalogView } from './catalog-view.js';
import { defaultRetrieveLimit, maxRetrieveLimit } from './meta-tools.js';

/**
 * Answers `retrieve_tools` for a view: the view's tools that best match the query (and, under config `rules:`,
 * that the caller may see), as their definitions with server and score; a hint when nothing matched.
 */
export async function retrieveTools(
  view: CatalogView,
  args: Record<string, unknown>,
  signal: AbortSignal,
  principal: Principal | undefined
): Promise<GatewayResult> {
  const query = typeof args.query === 'string' ? args.query.trim() : '';
  if (query === '') return toolError('retrieve_tools needs "query": what you want to do, in plain words.');
  const rawLimit = args.limit === undefined ? defaultRetrieveLimit : Number(args.limit);
  if (!Number.isInteger(rawLimit) || rawLimit < 1)
    return toolError(`retrieve_tools "limit" must be a whole number from 1 to ${maxRetrieveLimit}.`);
  const server = typeof args.server === 'string' && args.server !== '' ? args.server : undefined;
  const matches = await view.find(
    query,
    { limit: Math.min(rawLimit, maxRetrieveLimit), ...(server !== undefined ? { server } : {}), principal },
    signal
  );
  const tools = matches.map(match => ({
    ...match.view.definition,
    server: match.view.server,
    score: Number(match.score.toPrecision(4))
  }));
  const result: Record<string, unknown> = { tools };
  if (tools.length === 0) {
    result.hint =
      server !== undefined && !view.visibleTools(principal).some(tool => tool.server === server)
        ? `no server "${server}" in this view; leave "server" out to search every server`
        : 'no tool matched; try other words (the action and the object), or fewer of them';
  }
  return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
}

function toolError(text: string): GatewayResult {
  return { content: [{ type: 'text', text }], isError: true };
}

import type { Tool } from '@modelcontextprotocol/server';

import { countToolTokens, tokenEncoding } from '../../discovery/index.js';
import { type GatewayCore, viewNames, viewOf } from '../../gateway/index.js';

/** One tool as `manifold tools --json` prints it: its server and upstream name, its tokens if asked, its definition. */
export type ToolReport = { server: string; originalName: string; tokens?: number } & Tool;

/** The merged catalog as `manifold tools --json` (and `/console/api/tools`) shows it. */
export function toolReports(core: GatewayCore, withTokens: boolean): ToolReport[] {
  return core.catalog.tools.map(tool => ({
    server: tool.upstream,
    originalName: tool.originalName,
    ...(withTokens ? { tokens: countToolTokens(tool.definition) } : {}),
    ...tool.definition
  }));
}

/** One ranked tool as `manifold search --json` prints it. */
export type SearchReport = Tool & { server: string; score: number };

/** What retrieve_tools returns for a query in a view (`manifold search --json`, the console's playground). */
export async function searchReport(core: GatewayCore, viewName: string, query: string, options: { limit: number; server?: string | undefined }): Promise<SearchReport[]> {
  const view = viewOf(core, viewName);
  const matches = await view.find(query, { limit: options.limit, ...(options.server !== undefined ? { server: options.server } : {}) });
  return matches.map(match => ({ ...match.view.definition, server: match.view.server, score: Number(match.score.toPrecision(4)) }));
}

/** One view as `manifold views --json` shows it. */
export interface ViewReport {
  name: string;
  endpoint: string;
  discovery: string;
  tools: number;
  listed: number;
  listTokens: number;
  allTokens: number;
  description?: string;
}

/** Each view's endpoint, discovery mode, tools and the tokens its tools/list costs (`manifold views --json`). */
export function viewsReport(core: GatewayCore): { encoding: string; views: ViewReport[] } {
  const views = viewNames(core).map(name => {
    const view = viewOf(core, name);
    const cost = view.tokenCost();
    return {
      name,
      endpoint: name === 'default' ? '/mcp' : `/mcp/${name}`,
      discovery: view.mode,
      tools: cost.allTools,
      listed: cost.listedTools,
      listTokens: cost.listed,
      allTokens: cost.all,
      ...(view.config.description !== undefined ? { description: view.config.description } : {})
    };
  });
  return { encoding: tokenEncoding, views };
}

import type { Catalog } from '../catalog/index.js';
import type { CountedTokens } from '../core/pipeline.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/** What token accounting says an answer was (src/usage's `UsageEntry`, the part the metric reads). */
export interface CountedAnswer {
  /** The public tool name, `prompt:<name>`, `resource:<uri>`, `completion`, `list:<kind>`, or a view's own tool. */
  tool: string;
  /** The serving server (from the catalog); `''` for the gateway's own tools and lists. */
  server: string;
  /** The view; `''` for none. */
  view: string;
}

/** A view's own tools, answered outside the pipeline and counted by their name. */
const viewTools: ReadonlySet<string> = new Set(['retrieve_tools', 'call_tool', 'route']);
const listKinds: ReadonlySet<string> = new Set(['list:tools', 'list:prompts', 'list:resources', 'list:resourceTemplates']);

/**
 * The `tool` label of a counted answer: a catalog tool's name, a list (`list:tools`, …), a view's own tool; empty
 * for a prompt, a resource or a completion (the `server` label says whose); `unknown` for a name the catalog lacks.
 * So what a caller sends (a URI, a misspelt name) never grows the number of series.
 */
function toolLabel(catalog: Catalog, tool: string): string {
  if (listKinds.has(tool) || viewTools.has(tool)) return tool;
  if (tool === 'completion' || tool.startsWith('prompt:') || tool.startsWith('resource:')) return '';
  return catalog.findTool(tool)?.name ?? 'unknown';
}

/**
 * Counts tokens into `manifold_tokens_total{tool, server, view, kind}` as token accounting counts them (in its
 * batch, off the call's path): `kind` is `input` (arguments sent), `result` (answers received) or `model` (model
 * tokens an answer reported).
 */
export function createTokenCounter(metrics: GatewayMetrics, catalog: Catalog): (answer: CountedAnswer, tokens: CountedTokens) => void {
  return (answer, tokens) => {
    const tool = toolLabel(catalog, answer.tool);
    const server = answer.server;
    const view = answer.view || 'default';
    for (const kind of ['input', 'result', 'model'] as const) {
      const value = tokens[kind];
      if (value === 0) continue;
      metrics.tokens.inc(`${tool}\u0000${server}\u0000${view}\u0000${kind}`, () => ({ tool, server, view, kind }), value);
    }
  };
}

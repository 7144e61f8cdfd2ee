import type { Tool } from '@modelcontextprotocol/client';

import type { Catalog, CatalogTool } from '../catalog/index.js';
import type { AgentConfig } from '../config/index.js';
import { createNameFilter } from '../core/glob.js';
import type { ModelToolDefinition } from './model-backend.js';

/**
 * The catalog tools an agent may use, now: tools of its servers (never the gateway's own tools: workflows,
 * other agents), narrowed by its `tools` globs, each matched against the public name (`everything__echo`)
 * and the server's own name (`echo`), and by `visible`: the tools the caller's rules let it see (config
 * `rules:`), for an agent runs on the caller's behalf and is offered nothing the caller could not call.
 */
export function agentTools(agent: AgentConfig, catalog: Catalog, visible?: (tool: CatalogTool) => boolean): CatalogTool[] {
  const servers = new Set(agent.servers);
  const keep = agent.tools ? createNameFilter(agent.tools, undefined) : () => true;
  return catalog.tools.filter(
    tool => !tool.local && servers.has(tool.upstream) && (keep(tool.name) || keep(tool.originalName)) && (!visible || visible(tool))
  );
}

/** A catalog tool as the model is offered it: public name, description, input schema. */
export function toModelTool(tool: CatalogTool): ModelToolDefinition {
  const definition = tool.definition;
  return {
    name: tool.name,
    ...(definition.description !== undefined ? { description: definition.description } : {}),
    inputSchema: definition.inputSchema ?? { type: 'object', properties: {} }
  };
}

/**
 * An agent's annotations, from the tools it may call now: read-only when every one is (a model cannot do more
 * than its tools), destructive when any may be; never idempotent (a model is not deterministic); open-world.
 * Without tools (servers not connected yet) nothing is claimed: not read-only.
 */
export function agentAnnotations(tools: readonly CatalogTool[]): NonNullable<Tool['annotations']> {
  const all = tools.map(tool => tool.definition.annotations ?? {});
  const readOnly = all.length > 0 && all.every(annotations => annotations.readOnlyHint === true);
  return {
    readOnlyHint: readOnly,
    destructiveHint:
      !readOnly &&
      (all.length === 0 ||
        all.some(annotations => annotations.readOnlyHint !== true && annotations.destructiveHint !== false)),
    idempotentHint: false,
    openWorldHint: true
  };
}

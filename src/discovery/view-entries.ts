import type { Tool } from '@modelcontextprotocol/client';

import type { Catalog, CatalogTool } from '../catalog/index.js';
import type { ManifoldConfig, ViewConfig } from '../config/index.js';
import { createNameFilter, matchesAny } from '../core/glob.js';
import type { Logger } from '../telemetry/logger.js';
import type { ViewTool } from './catalog-view.js';

export interface ViewEntriesOptions {
  name: string;
  config: ViewConfig;
  catalog: Catalog;
  servers: ManifoldConfig['servers'];
  /** Names the view serves itself (its meta tools, `route`): no tool may take them. */
  reserved: ReadonlySet<string>;
  logger: Logger;
}

/**
 * The tools a view holds, in catalog order, under the names it shows them by: the catalog's tools of its servers,
 * kept by its globs, tags and `readOnly`, renamed and re-described by its `tools`. A name taken twice (or
 * reserved) falls back to the catalog's, or the tool is left out, and the error log says which.
 */
export function buildViewEntries(options: ViewEntriesOptions): { entries: ViewTool[]; byName: Map<string, ViewTool> } {
  const { config, reserved } = options;
  const keepName = createNameFilter(config.include, config.exclude);
  const wantedTags = config.tags?.map(tag => tag.toLowerCase());
  const entries: ViewTool[] = [];
  const byName = new Map<string, ViewTool>();
  for (const tool of options.catalog.tools) {
    if (config.servers !== undefined && !config.servers.includes(tool.upstream)) continue;
    if (!keepName(tool.name)) continue;
    const tags = tagsOf(tool, options.servers);
    if (wantedTags && !tags.some(tag => wantedTags.includes(tag.toLowerCase()))) continue;
    if (config.readOnly && tool.definition.annotations?.readOnlyHint !== true) continue;
    const override = config.tools[tool.name];
    let name = override?.name ?? tool.name;
    if (byName.has(name) || reserved.has(name)) {
      const fallback = tool.name;
      const free = !byName.has(fallback) && !reserved.has(fallback);
      options.logger.error(
        `view "${options.name}": tool "${tool.name}" cannot be called "${name}" (the name is taken); ${free ? `it keeps "${fallback}"` : 'it is left out of the view (rename one of them under tools:)'}`
      );
      if (!free) continue;
      name = fallback;
    }
    const definition: Tool =
      name === tool.name && override?.description === undefined
        ? tool.definition
        : {
            ...tool.definition,
            name,
            ...(override?.description !== undefined ? { description: override.description } : {})
          };
    const entry: ViewTool = { name, catalogName: tool.name, server: tool.upstream, definition, tags, catalogTool: tool };
    entries.push(entry);
    byName.set(name, entry);
  }
  return { entries, byName };
}

/** A tool's tags: its own (a local tool's), its server's, and its server's `toolTags` that match it. */
function tagsOf(tool: CatalogTool, servers: ManifoldConfig['servers']): string[] {
  const tags = [...(tool.local?.tags ?? [])];
  const server = servers[tool.upstream];
  if (server) {
    tags.push(...server.tags);
    for (const [glob, toolTags] of Object.entries(server.toolTags)) {
      if (matchesAny(tool.originalName, [glob])) tags.push(...toolTags);
    }
  }
  return tags;
}

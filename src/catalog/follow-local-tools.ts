import type { Catalog, LocalTool } from './catalog.js';

/**
 * Keeps a source's local tools (agents, orchestrators, routers) in the catalog: sets them now, and builds them
 * again whenever another source's tools change (their annotations follow the tools they use), setting them only
 * when their definitions differ. Returns the function that stops following.
 */
export function followLocalTools(catalog: Catalog, source: string, build: () => LocalTool[]): () => void {
  let lastDefinitions = '';
  const refresh = (): void => {
    const tools = build();
    const key = JSON.stringify(tools.map(tool => tool.definition));
    if (key === lastDefinitions) return;
    lastDefinitions = key;
    catalog.setLocalTools(source, tools);
  };
  refresh();
  return catalog.onChange(change => {
    if (change.upstream !== source && change.kinds.includes('tools')) refresh();
  });
}

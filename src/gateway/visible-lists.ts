import type { Principal } from '../core/principal.js';
import type { CatalogView } from '../discovery/index.js';
import { resourceTarget } from '../rules/index.js';
import type { ListKind } from '../upstream/index.js';
import type { GatewayCore } from './gateway-core.js';
import type { HttpNotifier } from './sessions.js';

/**
 * What a principal can see of one list (config `rules:`, and the view's servers), as a string of names and
 * definitions: equal strings, nothing it can see changed. Used to tell a caller of a list change only when its
 * own list changed.
 */
export function visibleListOf(core: GatewayCore, view: CatalogView | undefined, principal: Principal): (kind: ListKind) => string {
  const access = core.access;
  const held = (upstream: string) => !view || view.holdsServer(upstream);
  return kind => {
    switch (kind) {
      case 'tools':
        return (view ? view.visibleTools(principal).map(tool => tool.catalogTool) : core.catalog.tools.filter(tool => access.seesTool(principal, tool)))
          .map(tool => `${tool.name}\t${tool.descriptionHash}`)
          .join('\n');
      case 'prompts':
        return core.catalog.prompts
          .filter(prompt => held(prompt.upstream) && access.seesPrompt(principal, prompt))
          .map(prompt => JSON.stringify(prompt.definition))
          .join('\n');
      case 'resources':
        return [
          ...core.catalog.resources
            .filter(resource => held(resource.upstream) && access.seesResource(principal, resource))
            .map(resource => JSON.stringify(resource.definition)),
          ...core.catalog.resourceTemplates
            .filter(template => held(template.upstream) && access.seesTemplate(principal, template))
            .map(template => JSON.stringify(template.definition))
        ].join('\n');
    }
  };
}

/**
 * A notifier (the 2026-07-28 HTTP handler's listen streams of one principal) that passes on a list change only
 * when what the principal can see of the list changed, and a resource's update only when it may read it. Without
 * rules, the notifier itself.
 */
export function visibleNotifier(core: GatewayCore, view: CatalogView | undefined, principal: Principal, notifier: HttpNotifier): HttpNotifier {
  if (!core.access.active) return notifier;
  const visible = visibleListOf(core, view, principal);
  const last: Record<ListKind, string> = { tools: visible('tools'), prompts: visible('prompts'), resources: visible('resources') };
  const changed = (kind: ListKind): boolean => {
    const now = visible(kind);
    if (now === last[kind]) return false;
    last[kind] = now;
    return true;
  };
  return {
    toolsChanged: () => {
      if (changed('tools')) notifier.toolsChanged();
    },
    promptsChanged: () => {
      if (changed('prompts')) notifier.promptsChanged();
    },
    resourcesChanged: () => {
      if (changed('resources')) notifier.resourcesChanged();
    },
    resourceUpdated: uri => {
      if (core.access.allows(principal, resourceTarget(uri, core.resourceOwner(uri)))) notifier.resourceUpdated(uri);
    }
  };
}

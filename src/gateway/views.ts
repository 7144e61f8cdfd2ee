import { ManifoldError } from '../core/errors.js';
import type { DispatchMethod } from '../core/pipeline.js';
import { CatalogView, createOpenAiEmbedder, type Embedder, type ViewRouter } from '../discovery/index.js';
import type { GatewayCore } from './gateway-core.js';

/** One set of views per gateway, shared by all its connections (each view holds a search index). */
const registries = new WeakMap<GatewayCore, Map<string, CatalogView>>();
const embedders = new WeakMap<GatewayCore, Embedder>();

/** The gateway's embeddings client when `discovery.embeddings` is configured (one per gateway). */
function embedderOf(core: GatewayCore): Embedder | undefined {
  const config = core.config.discovery?.embeddings;
  if (!config) return undefined;
  let embedder = embedders.get(core);
  if (!embedder) {
    embedder = createOpenAiEmbedder({
      url: config.url,
      model: config.model,
      apiKey: config.apiKey,
      headers: config.headers,
      batchSize: config.batchSize
    });
    embedders.set(core, embedder);
  }
  return embedder;
}

/**
 * The view of this name: `default` is `views.default` when declared, else every tool listed. Created once
 * per gateway. Throws CONFIG_INVALID naming the declared views when there is no such view.
 */
export function viewOf(core: GatewayCore, name: string): CatalogView {
  let registry = registries.get(core);
  if (!registry) {
    registry = new Map();
    registries.set(core, registry);
  }
  let view = registry.get(name);
  if (!view) {
    view = new CatalogView({
      name,
      catalog: core.catalog,
      config: core.config,
      logger: core.logger,
      embedder: embedderOf(core),
      embeddingWeight: core.config.discovery?.embeddings?.weight ?? 1,
      router: viewRouterOf(core, core.config.views?.[name]?.router),
      access: core.access
    });
    registry.set(name, view);
  }
  return view;
}

/** A configured router as a `routed` view's router: it decides, and the view narrows its list. */
function viewRouterOf(core: GatewayCore, name: string | undefined): ViewRouter | undefined {
  if (name === undefined || !(name in core.config.routers)) return undefined;
  return {
    name,
    select: (request, args, downstream) => core.routers.select(name, request, args, downstream)
  };
}

/** A session ended: each view of the gateway drops what it kept for it. */
export function endViewSessions(core: GatewayCore, sessionId: string): void {
  for (const view of registries.get(core)?.values() ?? []) view.endSession(sessionId);
}

/** True when the config declares the view, or it is `default`. */
export function hasView(core: GatewayCore, name: string): boolean {
  return name === 'default' || Object.hasOwn(core.config.views ?? {}, name);
}

/** `default` and the declared views, in config order. */
export function viewNames(core: GatewayCore): string[] {
  return ['default', ...Object.keys(core.config.views ?? {}).filter(name => name !== 'default')];
}

/**
 * The view a connection serves: the named one, or for no name `views.default` when the config declares it.
 * `undefined` means the plain catalog (no view configured), which the server answers without a view.
 */
export function resolveServedView(core: GatewayCore, name: string | undefined): CatalogView | undefined {
  if (name === undefined) return hasDeclaredDefault(core) ? viewOf(core, 'default') : undefined;
  if (!hasView(core, name)) {
    const names = viewNames(core);
    throw new ManifoldError(
      'CONFIG_INVALID',
      `no view "${name}"; views: ${names.join(', ')} (declare it under views: in the config)`
    );
  }
  return name === 'default' && !hasDeclaredDefault(core) ? undefined : viewOf(core, name);
}

function hasDeclaredDefault(core: GatewayCore): boolean {
  return Object.hasOwn(core.config.views ?? {}, 'default');
}

/**
 * A view with `servers` holds only those servers' prompts and resources too: a request for one of another
 * server's is answered as if it did not exist. Tools are the view's own business (`CatalogView.callTool`).
 */
export function checkViewScope(
  core: GatewayCore,
  view: CatalogView,
  method: DispatchMethod,
  params: Record<string, unknown>
): void {
  if (view.config.servers === undefined) return;
  const outside = (upstream: string | undefined) => upstream !== undefined && !view.holdsServer(upstream);
  switch (method) {
    case 'tools/call':
      return;
    case 'prompts/get': {
      const name = typeof params.name === 'string' ? params.name : '';
      if (outside(core.catalog.getPrompt(name).upstream)) {
        throw new ManifoldError('PROMPT_NOT_FOUND', `unknown prompt "${name}" in view "${view.name}"`, {
          data: { prompt: name, view: view.name }
        });
      }
      return;
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = typeof params.uri === 'string' ? params.uri : '';
      if (outside(core.catalog.resolveResource(uri))) {
        throw new ManifoldError('RESOURCE_NOT_FOUND', `Resource ${uri} not found in view "${view.name}"`, {
          data: { uri, view: view.name }
        });
      }
      return;
    }
    case 'completion/complete': {
      const ref = params.ref as { type?: string; name?: string; uri?: string } | undefined;
      const owner =
        ref?.type === 'ref/prompt' && typeof ref.name === 'string'
          ? core.catalog.getPrompt(ref.name).upstream
          : ref?.type === 'ref/resource' && typeof ref.uri === 'string'
            ? (core.catalog.resolveTemplate(ref.uri) ?? core.catalog.resolveResource(ref.uri))
            : undefined;
      if (outside(owner))
        throw new ManifoldError('INVALID_PARAMS', `completion/complete: the reference is not in view "${view.name}"`);
      return;
    }
  }
}

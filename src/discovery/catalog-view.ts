import type { Tool } from '@modelcontextprotocol/client';

import type { Catalog, CatalogTool } from '../catalog/index.js';
import type { DiscoveryMode, ManifoldConfig, ViewConfig } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';
import { matchesAny } from '../core/glob.js';
import type { DownstreamContext, GatewayResult, Handler } from '../core/pipeline.js';
import { type Principal, principalOf } from '../core/principal.js';
import { type AccessPolicy, toolTarget } from '../rules/index.js';
import type { Logger } from '../telemetry/logger.js';
import { countToolListTokens } from './count-tokens.js';
import type { Embedder } from './embedder.js';
import { HybridToolSearch } from './hybrid-search.js';
import {
  callToolName,
  defaultRetrieveLimit,
  metaToolDefinitions,
  metaToolNames,
  retrieveToolsName
} from './meta-tools.js';
import { RoutedSelections, routeToolName, type ViewRouter } from './routed-selections.js';
import type { SearchableTool } from './tool-document.js';
import { ToolIndex, type ToolMatch } from './tool-index.js';
import { retrieveTools } from './retrieve-tools.js';
import { VectorIndex } from './vector-index.js';
import { buildViewEntries } from './view-entries.js';

/** A catalog tool as one view shows it: possibly renamed or re-described. */
export interface ViewTool {
  /** The name clients of the view see and call. */
  name: string;
  /** The catalog's public name (what the pipeline routes by). */
  catalogName: string;
  server: string;
  definition: Tool;
  tags: readonly string[];
  /** The catalog's entry (what the rules decide on). */
  catalogTool: CatalogTool;
}

export interface CatalogViewOptions {
  name: string;
  catalog: Catalog;
  config: ManifoldConfig;
  logger: Logger;
  /** Embeddings to fuse with BM25 (config `discovery.embeddings`); absent: BM25 only. */
  embedder?: Embedder | undefined;
  /** Weight of the embedding ranking in the fusion (BM25's is 1). */
  embeddingWeight?: number;
  /** The view's router (`discovery: routed`), adapted by the gateway. */
  router?: ViewRouter | undefined;
  /** Config `rules:`: a caller lists, finds and calls only the tools they let it see (absent: every tool). */
  access?: AccessPolicy | undefined;
}

/** What a view search takes: how many, of which server, and for whom (config `rules:`: only what it may see). */
export interface ViewSearchOptions {
  limit?: number;
  server?: string;
  principal?: Principal | undefined;
}

/** The default view when the config declares none: every tool, listed. */
const plainView: ViewConfig = { readOnly: false, tools: {}, discovery: 'all', pin: [] };

/**
 * One named slice of the catalog (config `views:`): which tools it holds, under which names, how it lists
 * them (all, search or hybrid), and the search index over exactly those tools. The index is built on the
 * first search and then kept in step with the catalog, one upstream at a time.
 */
export class CatalogView implements Disposable {
  readonly name: string;
  readonly config: ViewConfig;
  private readonly catalog: Catalog;
  private readonly servers: ManifoldConfig['servers'];
  private readonly logger: Logger;
  private entries: ViewTool[] | undefined;
  private byName = new Map<string, ViewTool>();
  private index: ToolIndex | undefined;
  private hybrid: HybridToolSearch | undefined;
  private readonly embedder: Embedder | undefined;
  private readonly embeddingWeight: number;
  private readonly unsubscribe: () => void;
  /** Each session's chosen route, in `routed` mode. */
  private readonly routed: RoutedSelections | undefined;
  private readonly access: AccessPolicy | undefined;

  constructor(options: CatalogViewOptions) {
    this.name = options.name;
    const declared = options.config.views?.[options.name];
    if (!declared && options.name !== 'default') {
      const names = Object.keys(options.config.views ?? {});
      throw new ManifoldError(
        'CONFIG_INVALID',
        `no view "${options.name}" in the config${names.length > 0 ? ` (views: ${names.join(', ')})` : ' (it declares no views:)'}`
      );
    }
    this.config = declared ?? plainView;
    this.catalog = options.catalog;
    this.servers = options.config.servers;
    this.logger = options.logger.child(`view ${options.name}`);
    this.embedder = options.embedder;
    this.embeddingWeight = options.embeddingWeight ?? 1;
    this.access = options.access?.active ? options.access : undefined;
    if (this.config.discovery === 'routed') {
      if (!options.router)
        throw new ManifoldError(
          'CONFIG_INVALID',
          `view "${this.name}" is routed by router "${this.config.router ?? ''}", which is not configured (views.${this.name}.router)`
        );
      this.routed = new RoutedSelections(options.router);
    }
    for (const server of this.config.servers ?? []) {
      if (!(server in this.servers) && server !== 'workflows')
        this.logger.warn(`view "${this.name}" names server "${server}", which is not configured`);
    }
    this.unsubscribe = this.catalog.onChange(change => {
      if (!change.kinds.includes('tools')) return;
      this.entries = undefined;
      // Re-index only the tools of the upstream that changed.
      if (this.index)
        this.index.syncServer(
          change.upstream,
          this.tools()
            .filter(tool => tool.server === change.upstream)
            .map(tool => this.toSearchable(tool))
        );
    });
  }

  get mode(): DiscoveryMode {
    return this.config.discovery;
  }

  /** Whether retrieve_tools and call_tool are served. */
  get hasMetaTools(): boolean {
    return this.config.discovery === 'search' || this.config.discovery === 'hybrid';
  }

  /** Whether the view holds this upstream's tools, prompts and resources (config `servers`; all when absent). */
  holdsServer(upstream: string): boolean {
    return this.config.servers === undefined || this.config.servers.includes(upstream);
  }

  /** Every tool the view holds (listed or not), in catalog order. */
  tools(): readonly ViewTool[] {
    if (!this.entries) this.rebuild();
    return this.entries ?? [];
  }

  findTool(name: string): ViewTool | undefined {
    if (!this.entries) this.rebuild();
    return this.byName.get(name);
  }

  /** The view's tools a principal may see (config `rules:`), in catalog order. */
  visibleTools(principal: Principal | undefined): readonly ViewTool[] {
    const tools = this.tools();
    const sees = this.seer(principal);
    return sees ? tools.filter(tool => sees(tool)) : tools;
  }

  /** A tool of the view by name, if the principal may see it: to it, any other name is unknown. */
  findVisibleTool(name: string, principal: Principal | undefined): ViewTool | undefined {
    const tool = this.findTool(name);
    if (!tool) return undefined;
    const sees = this.seer(principal);
    return !sees || sees(tool) ? tool : undefined;
  }

  /** Whether a principal sees a view tool; undefined when no rules apply (it sees all). */
  private seer(principal: Principal | undefined): ((tool: ViewTool) => boolean) | undefined {
    const access = this.access;
    if (!access || principal === undefined) return undefined;
    return tool => access.seesTool(principal, tool.catalogTool);
  }

  /**
   * The tools/list of the view: all its tools, only the meta tools, or the pinned tools and the meta tools;
   * `routed`: `route` and the tools of the route the session chose (before a choice, `route` alone; without a
   * session, where no choice can last, `route` and every tool).
   */
  listTools(sessionId?: string, principal?: Principal): Tool[] {
    const mode = this.config.discovery;
    const visible = this.visibleTools(principal);
    switch (mode) {
      case 'routed': {
        const route = this.routed?.definition();
        const chosen = this.routed?.toolsOf(sessionId);
        const tools =
          sessionId === undefined
            ? visible
            : chosen
              ? visible.filter(tool => chosen.has(tool.catalogName))
              : [];
        return [...(route ? [route] : []), ...tools.map(tool => tool.definition)];
      }
      case 'all':
        return visible.map(tool => tool.definition);
      case 'search':
        return this.metaTools(visible);
      case 'hybrid':
        return [
          ...visible.filter(tool => matchesAny(tool.name, this.config.pin)).map(tool => tool.definition),
          ...this.metaTools(visible)
        ];
    }
  }

  /** Tokens of the view's tools/list, and of the list it would be in `all` mode. */
  tokenCost(): { listed: number; listedTools: number; all: number; allTools: number } {
    const listed = this.listTools();
    const all = this.tools().map(tool => tool.definition);
    return {
      listed: countToolListTokens(listed),
      listedTools: listed.length,
      all: countToolListTokens(all),
      allTools: all.length
    };
  }

  /** Ranked tools of this view for a query by BM25F alone (synchronous; what `find` uses without embeddings). */
  search(query: string, options: ViewSearchOptions = {}): Array<ToolMatch & { view: ViewTool }> {
    const index = this.searchIndex();
    return this.withViews(index.search(query, this.searchOptions(options)));
  }

  /** The index's options: limit, server, and (with a principal under rules) only the tools it may see. */
  private searchOptions(options: ViewSearchOptions): { limit: number; server?: string; accept?: (tool: SearchableTool) => boolean } {
    const sees = this.seer(options.principal);
    return {
      limit: options.limit ?? defaultRetrieveLimit,
      ...(options.server !== undefined ? { server: options.server } : {}),
      ...(sees
        ? {
            accept: (tool: SearchableTool) => {
              const entry = this.byName.get(tool.name);
              return entry !== undefined && sees(entry);
            }
          }
        : {})
    };
  }

  /**
   * The search behind retrieve_tools and `manifold search`: BM25F, fused with embeddings when the config
   * has `discovery.embeddings` (then scores are reciprocal-rank fusion values).
   */
  async find(
    query: string,
    options: ViewSearchOptions = {},
    signal?: AbortSignal
  ): Promise<Array<ToolMatch & { view: ViewTool }>> {
    if (!this.embedder) return this.search(query, options);
    const index = this.searchIndex();
    this.hybrid ??= new HybridToolSearch(index, new VectorIndex(this.embedder), {
      weight: this.embeddingWeight,
      logger: this.logger
    });
    const matches = await this.hybrid.search(query, this.searchOptions(options), signal);
    return this.withViews(matches);
  }

  private withViews(matches: ToolMatch[]): Array<ToolMatch & { view: ViewTool }> {
    return matches.flatMap(match => {
      const view = this.byName.get(match.tool.name);
      return view ? [{ ...match, view }] : [];
    });
  }

  /**
   * Answers a tools/call made to this view: the meta tools here, any other tool of the view through the
   * pipeline under its catalog name. A tool outside the view is unknown, as it would be on its own server.
   */
  async callTool(
    params: Record<string, unknown>,
    downstream: DownstreamContext,
    pipeline: Handler
  ): Promise<GatewayResult> {
    const name = typeof params.name === 'string' ? params.name : '';
    const args = isObject(params.arguments) ? params.arguments : {};
    const principal = this.access ? principalOf(downstream) : undefined;
    if (this.routed) {
      if (name === routeToolName)
        return this.routed.route(args, downstream, catalogNames => {
          const wanted = new Set(catalogNames);
          return this.visibleTools(principal)
            .filter(tool => wanted.has(tool.catalogName))
            .map(tool => tool.name);
        });
      const refusal = this.routedRefusal(name, downstream);
      if (refusal) return refusal;
    }
    if (this.hasMetaTools && name === retrieveToolsName) return retrieveTools(this, args, downstream.signal, principal);
    if (this.hasMetaTools && name === callToolName) {
      const target = args.name;
      if (typeof target !== 'string' || target === '')
        return toolError('call_tool needs "name": the exact name of a tool that retrieve_tools returned.');
      if (args.arguments !== undefined && !isObject(args.arguments))
        return toolError('call_tool "arguments" must be an object matching the tool\'s inputSchema.');
      const callArgs = isObject(args.arguments) ? args.arguments : {};
      const tool = this.findCallable(target, principal, callArgs);
      if (!tool) {
        const held = this.heldRefusal(target, principal, callArgs);
        if (held) return toolError(held.message);
        const near = this.search(target, { limit: 3, principal }).map(match => match.tool.name);
        return toolError(
          `No tool named "${target}" in this view.${near.length > 0 ? ` Closest: ${near.join(', ')}.` : ''} Use retrieve_tools to find the exact name.`
        );
      }
      const { _meta: meta } = params as { _meta?: unknown };
      return pipeline({
        method: 'tools/call',
        params: {
          name: tool.catalogName,
          arguments: callArgs,
          ...(meta !== undefined ? { _meta: meta } : {})
        },
        downstream: { ...downstream, view: this.name }
      });
    }
    const tool = this.findCallable(name, principal, args);
    if (!tool) {
      const held = this.heldRefusal(name, principal, args);
      if (held) throw held;
      throw new ManifoldError(
        'TOOL_NOT_FOUND',
        `unknown tool "${name}" in view "${this.name}"${this.hasMetaTools ? '; use retrieve_tools to find tools' : ''}`,
        {
          data: { tool: name, view: this.name }
        }
      );
    }
    return pipeline({ method: 'tools/call', params: { ...params, name: tool.catalogName }, downstream: { ...downstream, view: this.name } });
  }

  /**
   * The view's tool of this name if the principal may call it with these arguments (config `rules:`); to it a
   * tool the rules deny is unknown, in the same words as a tool the view does not hold.
   */
  private findCallable(name: string, principal: Principal | undefined, args: Record<string, unknown>): ViewTool | undefined {
    const tool = this.findTool(name);
    if (!tool || !this.access || principal === undefined) return tool;
    return this.access.allows(principal, toolTarget(tool.catalogTool, args)) ? tool : undefined;
  }

  /**
   * Why a tool the view would hold, and the principal may call, is held back (pinning: changed, blocked), or
   * undefined: a call of it gets that refusal rather than "unknown tool".
   */
  private heldRefusal(name: string, principal: Principal | undefined, args: Record<string, unknown>): ManifoldError | undefined {
    const catalogName = Object.entries(this.config.tools).find(([, override]) => override.name === name)?.[0] ?? name;
    const held = this.catalog.findHeld(catalogName);
    if (!held || !this.holdsServer(held.tool.upstream)) return undefined;
    if (this.access && principal !== undefined && !this.access.allows(principal, toolTarget(held.tool, args))) return undefined;
    return held.hold.refusal(name);
  }

  /** In `routed` mode, why a session may not call this tool now (no route chosen, or another route's tool). */
  private routedRefusal(name: string, downstream: DownstreamContext): GatewayResult | undefined {
    if (!this.routed || downstream.requestScoped === true) return undefined;
    const tool = this.findTool(name);
    if (!tool) return undefined;
    const chosen = this.routed.toolsOf(downstream.sessionId);
    if (!chosen)
      return toolError(
        `Call "${routeToolName}" first with what you want to do: this view lists a route's tools once one is chosen.`
      );
    if (!chosen.has(tool.catalogName))
      return toolError(
        `"${name}" is not a tool of the chosen route "${this.routed.routeOf(downstream.sessionId) ?? ''}"; call "${routeToolName}" again to change route.`
      );
    return undefined;
  }

  /** A session ended: what the view kept for it (a routed view's choice) is dropped. */
  endSession(sessionId: string): void {
    this.routed?.forget(sessionId);
  }

  [Symbol.dispose](): void {
    this.unsubscribe();
  }

  private metaTools(tools: readonly ViewTool[]): Tool[] {
    return metaToolDefinitions([...new Set(tools.map(tool => tool.server))]);
  }

  private searchIndex(): ToolIndex {
    if (!this.index) {
      this.index = new ToolIndex();
      this.index.sync(this.tools().map(tool => this.toSearchable(tool)));
    } else if (!this.entries) {
      this.rebuild();
    }
    return this.index;
  }

  private toSearchable(tool: ViewTool): SearchableTool {
    const catalogTool = this.catalog.findTool(tool.catalogName);
    const description = this.servers[tool.server]?.description;
    return {
      name: tool.name,
      server: tool.server,
      definition: tool.definition,
      ...(catalogTool && catalogTool.originalName !== tool.name ? { originalName: catalogTool.originalName } : {}),
      ...(description !== undefined ? { serverDescription: description } : {}),
      tags: tool.tags
    };
  }

  private rebuild(): void {
    const { entries, byName } = buildViewEntries({
      name: this.name,
      config: this.config,
      catalog: this.catalog,
      servers: this.servers,
      reserved: new Set(this.hasMetaTools ? metaToolNames : this.config.discovery === 'routed' ? [routeToolName] : []),
      logger: this.logger
    });
    this.entries = entries;
    this.byName = byName;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toolError(text: string): GatewayResult {
  return { content: [{ type: 'text', text }], isError: true };
}

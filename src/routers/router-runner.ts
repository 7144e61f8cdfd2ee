import type { Tool } from '@modelcontextprotocol/client';

import { type AgentRunHooks, agentAnnotations, agentTools, type ModelBackend, type ModelRunResume, type ModelRunsContext, recordModelRun, runAgent, toModelTool } from '../agents/index.js';
import { followLocalTools, type Catalog, type CatalogTool, type LocalTool } from '../catalog/index.js';
import type { RouteConfig, RouterConfig, ServerConfig } from '../config/index.js';
import { errorMessage, isManifoldError } from '../core/errors.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { withRunLink } from '../store/index.js';
import { principalOf } from '../core/principal.js';
import type { AccessPolicy } from '../rules/index.js';
import type { Logger } from '../telemetry/logger.js';
import { classifyRequest, prefilterRoutes, type RouteDecision, type RouteText } from './classify-request.js';
import { nestedContext, parseInput, type RouterInput, routingRecord, serverAgent, targetOf, toolError, usageOf } from './routed-call.js';

/** The catalog source under which router tools are registered. */
export const routerSource = 'routers';

export interface RouterRunnerOptions {
  routers: Readonly<Record<string, RouterConfig>>;
  servers: Readonly<Record<string, ServerConfig>>;
  catalog: Catalog;
  /** The gateway pipeline: routed agent and workflow calls, and a server route's tool calls, go through it. */
  pipeline: Handler;
  /** Config `rules:`: an agent is offered only the tools its caller may see. */
  access?: AccessPolicy | undefined;
  /** The backend of a configured model (shared with the agents). */
  backend: (model: string) => ModelBackend;
  /** Whether a model of this name is configured (to tell a resumed run what it misses). */
  hasModel?: (model: string) => boolean;
  logger: Logger;
  /** Where each call is recorded as a run (the gateway's run store). */
  runs?: ModelRunsContext | undefined;
}

/** Why a routed call ended without an outcome (`structuredContent.reason` of its tool error). */
export type RouterFailure = 'model_output_invalid' | 'model_error' | 'cancelled' | 'route_unavailable';

/**
 * Serves each configured router as a catalog tool named by its key, input `{request, arguments?}`: it decides a
 * route (BM25 when the prefilter is sure, else the model through generateJson; below `minConfidence`, the
 * default route) and sends the request there: to an agent as its task, to a workflow with `arguments`, to a
 * server as a tool loop of the router's model over only that server's tools.
 */
export class RouterRunner {
  private readonly options: RouterRunnerOptions;
  private readonly logger: Logger;
  private unsubscribe: (() => void) | undefined;

  constructor(options: RouterRunnerOptions) {
    this.options = options;
    this.logger = options.logger.child('routers');
  }

  start(): void {
    const names = Object.keys(this.options.routers);
    if (names.length === 0) return;
    this.unsubscribe = followLocalTools(this.options.catalog, routerSource, () =>
      Object.entries(this.options.routers).map(([name, router]) => this.localTool(name, router))
    );
    this.logger.info(`${names.length} router(s): ${names.join(', ')}`);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The catalog tools a route leads to now: a server's (narrowed by its globs), or the agent's or workflow's own tool. */
  routeTools(route: RouteConfig): CatalogTool[] {
    if (route.server !== undefined) return agentTools(serverAgent(route, ''), this.options.catalog);
    const name = route.agent ?? route.workflow ?? '';
    const tool = this.options.catalog.findTool(name);
    return tool ? [tool] : [];
  }

  /**
   * Decides a route for a request without running it: the decision and the chosen route (the default when
   * the best candidate is below `minConfidence`). Throws what classification throws (MODEL_OUTPUT_INVALID …).
   */
  async decide(
    name: string,
    requestText: string,
    args: Record<string, unknown> | undefined,
    downstream: DownstreamContext,
    config?: RouterConfig
  ): Promise<{ decision: RouteDecision; route: string; fallback: boolean }> {
    const router = config ?? this.router(name);
    const texts = this.routeTexts(router);
    let decision: RouteDecision | undefined;
    let bm25: RouteDecision['bm25'];
    if (router.prefilter === 'bm25') {
      const prefiltered = prefilterRoutes(router, texts, requestText);
      decision = prefiltered.decision;
      bm25 = prefiltered.scores;
    }
    decision ??= await classifyRequest({
      name,
      router,
      backend: this.options.backend(router.model),
      texts,
      request: requestText,
      ...(args !== undefined ? { arguments: args } : {}),
      signal: downstream.signal,
      caller: downstream
    });
    if (bm25 && !decision.bm25) decision.bm25 = bm25;
    const best = decision.candidates[0];
    const fallback = best === undefined || best.confidence < router.minConfidence;
    return { decision, route: fallback ? router.default : best.route, fallback };
  }

  /**
   * Decides a route without running it, for a `routed` view: the route, the catalog names of its tools and the
   * routing record. Throws when no route could be decided (MODEL_OUTPUT_INVALID keeps the raw text in its data).
   */
  async select(
    name: string,
    requestText: string,
    args: Record<string, unknown> | undefined,
    downstream: DownstreamContext
  ): Promise<{ route: string; tools: string[]; routing: Record<string, unknown> }> {
    const { decision, route, fallback } = await this.decide(name, requestText, args, downstream);
    const config = this.router(name).routes[route] as RouteConfig;
    return {
      route,
      tools: this.routeTools(config).map(tool => tool.name),
      routing: { ...routingRecord(name, route, config, decision, fallback), usage: usageOf(decision.calls) }
    };
  }

  /**
   * Runs a router for a request as a recorded, journaled run (its catalog tool's handler), or goes on with a
   * recorded one (`resume`: with the config it started with, its journal replayed).
   */
  call(name: string, request: GatewayRequest, resume?: ModelRunResume<RouterConfig>): Promise<GatewayResult> {
    const router = resume?.config ?? this.options.routers[name];
    if (!router) return Promise.resolve(toolError(`unknown router "${name}"`));
    return recordModelRun(this.options.runs, this.logger, {
      kind: 'router',
      name,
      args: { ...(request.params.arguments as object) },
      definition: { router: name, config: router },
      resume,
      principal: principalOf(request.downstream),
      execute: hooks => this.run(name, request, hooks, router)
    });
  }

  /** What a recorded run of a router needs now and is missing (its model, its routes' servers, agents, workflows), or undefined. */
  missingFor(name: string, router: RouterConfig): string | undefined {
    const missing: string[] = [];
    if (this.options.hasModel && !this.options.hasModel(router.model)) missing.push(`model "${router.model}" is not configured (models.${router.model})`);
    for (const [route, config] of Object.entries(router.routes)) {
      const target = targetOf(config);
      const present = target.kind === 'server' ? this.options.servers[target.name] !== undefined : this.options.catalog.findTool(target.name) !== undefined;
      if (!present) missing.push(`route "${route}" leads to ${target.kind} "${target.name}", which is not configured (${target.kind}s.${target.name})`);
    }
    return missing.length > 0 ? `router "${name}" cannot run with the config now: its ${missing.join('; its ')}` : undefined;
  }

  /**
   * Runs a router for a request (`config`: the one a resumed run started with). With hooks, the decision is one
   * journaled unit (`route`), a server route's tool loop is journaled like an agent's (`routed.turn:…`), and an
   * agent or workflow route's run is linked under the id `<run>.routed`, so a resumed router goes on with it.
   */
  async run(name: string, request: GatewayRequest, hooks?: AgentRunHooks, config?: RouterConfig): Promise<GatewayResult> {
    const router = config ?? this.options.routers[name];
    if (!router) return toolError(`unknown router "${name}"`);
    const input = parseInput(name, request.params.arguments);
    if (typeof input === 'string') return toolError(input);
    const started = performance.now();
    const downstream = request.downstream;
    const fail = (reason: RouterFailure, text: string, extra: Record<string, unknown> = {}) => ({
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: { router: name, reason, ...extra }
    });
    let decided;
    try {
      const decide = () => this.decide(name, input.request, input.arguments, downstream, router);
      decided = hooks
        ? await hooks.unit({ key: 'route', path: 'route', kind: 'route', tool: 'model' }, decide, outcome => ({ ok: true, detail: `route "${outcome.route}"${outcome.fallback ? ' (default)' : ''} by ${outcome.decision.decidedBy}` }))
        : await decide();
    } catch (error) {
      const data = isManifoldError(error) ? error.data : undefined;
      const reason: RouterFailure = !isManifoldError(error)
        ? 'model_error'
        : error.code === 'MODEL_OUTPUT_INVALID'
          ? 'model_output_invalid'
          : error.code === 'CANCELLED'
            ? 'cancelled'
            : 'model_error';
      return fail(reason, `Router "${name}" could not choose a route: ${errorMessage(error)}`, {
        ...(data?.raw !== undefined ? { raw: data.raw, why: data.why } : {}),
        usage: usageOf((data?.calls as RouteDecision['calls'] | undefined) ?? [])
      });
    }
    const { decision, route: routeName, fallback } = decided;
    const route = router.routes[routeName] as RouteConfig;
    const routing = routingRecord(name, routeName, route, decision, fallback);
    const classification = usageOf(decision.calls);
    let routed: GatewayResult;
    try {
      routed = await this.dispatch(name, router, routeName, route, input, request, hooks);
    } catch (error) {
      return fail(
        'route_unavailable',
        `Router "${name}" chose route "${routeName}" (${routing.target.kind} "${routing.target.name}"), which failed: ${errorMessage(error)}`,
        { ...routing, usage: { classification, totalTokens: classification.totalTokens } }
      );
    }
    const routedStructured = routed.structuredContent as { usage?: { totalTokens?: number } } | undefined;
    const routedTokens = routedStructured?.usage?.totalTokens ?? 0;
    const summary = `router ${name}: ${routeName}${fallback ? ' (default)' : ''} by ${decision.decidedBy}, ${classification.totalTokens + routedTokens} tokens, ${Math.round(performance.now() - started)} ms`;
    if (routed.isError === true) this.logger.warn(summary);
    else this.logger.debug(summary);
    return {
      ...(routed.isError === true ? { isError: true } : {}),
      content: Array.isArray(routed.content) ? routed.content : [],
      structuredContent: {
        ...routing,
        usage: {
          classification,
          ...(routedStructured?.usage ? { routed: routedStructured.usage } : {}),
          totalTokens: classification.totalTokens + routedTokens
        },
        ...(routed.structuredContent !== undefined ? { result: routed.structuredContent } : {})
      }
    };
  }

  private router(name: string): RouterConfig {
    const router = this.options.routers[name];
    if (!router) throw new Error(`unknown router "${name}"`);
    return router;
  }

  private async dispatch(
    name: string,
    router: RouterConfig,
    routeName: string,
    route: RouteConfig,
    input: RouterInput,
    request: GatewayRequest,
    hooks: AgentRunHooks | undefined
  ): Promise<GatewayResult> {
    const nested = nestedContext(request.downstream);
    const tool = route.agent ?? route.workflow;
    // The routed agent or workflow run is recorded under an id of this run's: resumed, this run goes on with it.
    // Its row in the audit log carries this run and the route (`route <name>`).
    const context = hooks && tool !== undefined ? withRunLink({ ...nested, run: { id: hooks.runId, step: `route ${routeName}` } }, { runId: `${hooks.runId}.routed`, tool, force: hooks.force }) : nested;
    if (route.agent !== undefined) {
      return this.options.pipeline({
        method: 'tools/call',
        params: { name: route.agent, arguments: { task: input.request } },
        downstream: context
      });
    }
    if (route.workflow !== undefined) {
      return this.options.pipeline({
        method: 'tools/call',
        params: { name: route.workflow, arguments: input.arguments ?? {} },
        downstream: context
      });
    }
    const agent = serverAgent(route, router.model, router.maxTurns);
    return runAgent({
      name: `${name}/${routeName}`,
      agent,
      backend: this.options.backend(router.model),
      tools: agentTools(agent, this.options.catalog, this.options.access?.toolFilter(principalOf(request.downstream))).map(toModelTool),
      task: input.request,
      request,
      pipeline: this.options.pipeline,
      hooks: hooks?.scoped({ path: `route ${routeName}`, key: 'routed' })
    });
  }

  /** What the classifier and BM25 read about each route: its description, or its target's. */
  private routeTexts(router: RouterConfig): RouteText[] {
    return Object.entries(router.routes).map(([route, config]) => {
      const target = targetOf(config);
      return { route, target: `${target.kind} ${target.name}`, description: this.describe(config) };
    });
  }

  private describe(route: RouteConfig): string {
    if (route.description !== undefined) return route.description;
    if (route.server !== undefined) {
      const tools = this.routeTools(route);
      const own = this.options.servers[route.server]?.description;
      const names = tools.map(tool => tool.originalName);
      return (
        [
          own,
          names.length > 0
            ? `tools: ${names.slice(0, 30).join(', ')}${names.length > 30 ? ` and ${names.length - 30} more` : ''}`
            : undefined
        ]
          .filter(Boolean)
          .join('; ') || `the tools of server ${route.server}`
      );
    }
    const tool = this.options.catalog.findTool(route.agent ?? route.workflow ?? '');
    return (
      tool?.definition.description ??
      `${route.agent !== undefined ? 'agent' : 'workflow'} ${route.agent ?? route.workflow}`
    );
  }

  private localTool(name: string, router: RouterConfig): LocalTool {
    const routes = Object.entries(router.routes);
    const reachable = routes.flatMap(([, route]) => this.routeTools(route));
    const definition: Tool = {
      name,
      description:
        router.description ??
        `Router: sends a request, in words, to the one of ${routes.length} routes that fits it (${routes
          .map(([route, config]) => `${route}: ${targetOf(config).kind} ${targetOf(config).name}`)
          .join('; ')}), and answers with that route's result.`,
      inputSchema: {
        type: 'object',
        properties: {
          request: { type: 'string', description: 'What to do, in words, with everything needed to know.' },
          arguments: {
            type: 'object',
            description:
              'Arguments for a workflow route (passed to the workflow as they are); other routes ignore them.'
          }
        },
        required: ['request'],
        additionalProperties: false
      },
      annotations: agentAnnotations(reachable)
    };
    // Recorded and journaled in the run store: resumable after a restart.
    return { definition, call: request => this.call(name, request), tags: ['router', 'model'] };
  }
}

import * as z from 'zod/v4';

import { agentNamePattern, checkNames } from './agent-schema.js';
import { declaredNames, type ReferenceIssue, toolNameClashes, unknownModel } from './references.js';

/** Route names: what the model answers with, so short identifiers (letters, digits, `-`, `_`). */
export const routeNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The kinds of place a route sends a request to. */
export const routeKinds = ['server', 'agent', 'workflow'] as const;
export type RouteKind = (typeof routeKinds)[number];

const routeFields = {
  /** What the route is for: the model (and the BM25 prefilter) read it to choose. */
  description: z.string().optional(),
  /** Server routes only: globs that narrow the server's tools (public `fs__read_*` or own `read_*` names). */
  tools: z.array(z.string().min(1)).optional(),
  /** Server routes only: the system prompt of the tool loop run over the server's tools. */
  instruction: z.string().optional()
};

const routeBase = z.strictObject({
  server: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
  workflow: z.string().min(1).optional(),
  ...routeFields
});

function checkRoute(route: z.infer<typeof routeBase>, context: z.core.$RefinementCtx): void {
  const targets = routeKinds.filter(kind => route[kind] !== undefined);
  if (targets.length !== 1) {
    context.addIssue({
      code: 'custom',
      message: `a route names exactly one of server, agent or workflow (this one names ${targets.length === 0 ? 'none' : targets.join(' and ')})`
    });
  }
  if (route.server === undefined) {
    for (const key of ['tools', 'instruction'] as const) {
      if (route[key] !== undefined)
        context.addIssue({ code: 'custom', path: [key], message: 'only a server route takes it; remove it' });
    }
  }
}

/** One route: exactly one of `server`, `agent`, `workflow`. */
const routeSchema = routeBase.superRefine(checkRoute);

/** A route in the list form: its name defaults to its target's. */
const listedRouteSchema = routeBase.extend({ name: z.string().optional() }).superRefine(checkRoute);

export type RouteConfig = z.infer<typeof routeSchema>;

/**
 * A router (`routers.<name>`): a catalog tool named by its key that asks a model which of its routes fits a
 * request (`{route, confidence, reasoning}`), and sends the request there. docs/AGENTS.md "Route requests".
 */
export const routerSchema = z
  .strictObject({
    /** A key of `models`: the model that classifies (and runs the tool loop of a server route). */
    model: z.string().min(1),
    /** The routes, by name (`{github: {server: github, description: …}}`), or a list (`[{server: github}]`). */
    routes: z.union([
      z.record(z.string(), routeSchema),
      z.array(listedRouteSchema).min(1, 'declare at least one route')
    ]),
    /** The route taken when the model's confidence is below `minConfidence`. */
    default: z.string().min(1),
    /** Below this confidence (0-1) the model's choice is not taken: the default route is. */
    minConfidence: z.number().min(0).max(1).default(0.5),
    /** How many ranked candidates the model returns (the first is taken; all are in the result). */
    topK: z.number().int().min(1).max(10).default(1),
    /** `bm25`: score the routes' text against the request first, and ask the model only when BM25 is not sure. */
    prefilter: z.enum(['bm25', 'none']).default('none'),
    /** BM25 is sure when the best route scores at least this many times the second best (and above zero). */
    prefilterMargin: z.number().min(1).default(2),
    /** What the classifier is told beyond the routes (the domain, how to weigh them). */
    instruction: z.string().optional(),
    /** The most model calls of a server route's tool loop. */
    maxTurns: z.number().int().min(1).max(1000).default(10),
    /** The tool's description (what clients and their models read to decide to call it). */
    description: z.string().optional()
  })
  .transform((router, context) => {
    const routes: Record<string, RouteConfig> = {};
    if (Array.isArray(router.routes)) {
      router.routes.forEach((listed, index) => {
        const { name, ...route } = listed;
        const key = name ?? route.server ?? route.agent ?? route.workflow ?? '';
        if (key in routes) {
          context.addIssue({
            code: 'custom',
            path: ['routes', index],
            message: `a second route named "${key}"; give one a "name"`
          });
        }
        routes[key] = route;
      });
    } else Object.assign(routes, router.routes);
    for (const name of Object.keys(routes)) {
      if (!routeNamePattern.test(name))
        context.addIssue({
          code: 'custom',
          path: ['routes', name],
          message: `route name "${name}" must use letters, digits, "-" and "_", at most 64 characters`
        });
    }
    if (!(router.default in routes)) {
      context.addIssue({
        code: 'custom',
        path: ['default'],
        message: `"${router.default}" is not one of the routes (${Object.keys(routes)
          .map(name => `"${name}"`)
          .join(', ')}); name the route to take when the model is not sure`
      });
    }
    return { ...router, routes };
  });

export const routersSchema = z
  .record(z.string(), routerSchema)
  .default({})
  .superRefine(checkNames('router', agentNamePattern));

export type RouterConfig = z.output<typeof routerSchema>;

/**
 * The references of routers: their model, and each route's server, agent or workflow must be declared; a
 * router may not share its name with an agent, a workflow or an orchestrator (all are tools named by their key). Workflows of
 * `workflowDirs` are read after this check: a route to one is checked when the router runs.
 */
export function checkRouterReferences(config: {
  models: Record<string, unknown>;
  agents: Record<string, unknown>;
  servers: Record<string, unknown>;
  workflows: Record<string, unknown>;
  workflowDirs: readonly string[];
  routers: Record<string, RouterConfig>;
  orchestrators?: Record<string, unknown>;
  views: Record<string, { router?: string | undefined }>;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const [name, router] of Object.entries(config.routers)) {
    issues.push(
      ...toolNameClashes(['routers', name], name, [
        ['an agent', config.agents],
        ['a workflow', config.workflows],
        ['an orchestrator', config.orchestrators ?? {}]
      ])
    );
    issues.push(...unknownModel(['routers', name, 'model'], router.model, config.models));
    for (const [routeName, route] of Object.entries(router.routes)) {
      const path = ['routers', name, 'routes', routeName];
      if (route.server !== undefined && !(route.server in config.servers))
        issues.push({
          path: [...path, 'server'],
          message: `unknown server "${route.server}"; declared servers: ${declaredNames(config.servers)}`
        });
      if (route.agent !== undefined && !(route.agent in config.agents))
        issues.push({
          path: [...path, 'agent'],
          message: `unknown agent "${route.agent}"; declared agents: ${declaredNames(config.agents)}`
        });
      if (route.workflow !== undefined && config.workflowDirs.length === 0 && !(route.workflow in config.workflows))
        issues.push({
          path: [...path, 'workflow'],
          message: `unknown workflow "${route.workflow}"; declared workflows: ${declaredNames(config.workflows)}`
        });
    }
  }
  for (const [name, view] of Object.entries(config.views)) {
    if (view.router !== undefined && !(view.router in config.routers))
      issues.push({
        path: ['views', name, 'router'],
        message: `unknown router "${view.router}"; declared routers: ${declaredNames(config.routers)}`
      });
  }
  return issues;
}

import type { Tool } from '@modelcontextprotocol/client';

import type { DownstreamContext, GatewayResult } from '../core/pipeline.js';

/** The meta tool of a `routed` view. */
export const routeToolName = 'route';

/** The most sessions whose choice a routed view remembers; the oldest choice is forgotten first. */
const maxSessions = 10_000;

/** What a routed view asks of its router (the gateway adapts the configured router to it). */
export interface ViewRouter {
  /** The router's name (`routers.<name>`). */
  readonly name: string;
  /**
   * Decides a route for a request without running it: the route's name, the catalog names of its tools (a
   * server route's tools, or the agent's or workflow's own tool) and the routing record (route, confidence,
   * reasoning, candidates, usage). Throws when no route could be decided (the model's answer was invalid).
   */
  select(
    request: string,
    args: Record<string, unknown> | undefined,
    downstream: DownstreamContext
  ): Promise<{ route: string; tools: string[]; routing: Record<string, unknown> }>;
}

/**
 * The per-session state of a `routed` view: which route each session chose, so its tools/list holds `route`
 * and that route's tools only. Choosing again replaces the choice.
 */
export class RoutedSelections {
  private readonly chosen = new Map<string, { route: string; tools: ReadonlySet<string> }>();

  constructor(readonly router: ViewRouter) {}

  /** The catalog names the session may see and call, or undefined before it chose a route. */
  toolsOf(sessionId: string | undefined): ReadonlySet<string> | undefined {
    return sessionId === undefined ? undefined : this.chosen.get(sessionId)?.tools;
  }

  /** Forgets a session's choice (the session ended). */
  forget(sessionId: string): void {
    this.chosen.delete(sessionId);
  }

  routeOf(sessionId: string): string | undefined {
    return this.chosen.get(sessionId)?.route;
  }

  definition(): Tool {
    return {
      name: routeToolName,
      description: `Say what you want to do, in words: router "${this.router.name}" picks the route that fits, and this tool list narrows to that route's tools (notifications/tools/list_changed). Call it again to change route.`,
      inputSchema: {
        type: 'object',
        properties: {
          request: { type: 'string', description: 'What you want to do, in words.' },
          arguments: { type: 'object', description: 'Arguments you mean to pass, if any (shown to the router).' }
        },
        required: ['request'],
        additionalProperties: false
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true }
    };
  }

  /**
   * Answers a `route` call: decides, remembers the choice for the session (only the view's own tools among the
   * route's), tells the session its tool list changed, and returns the routing record with the tool names.
   */
  async route(
    args: Record<string, unknown>,
    downstream: DownstreamContext,
    toViewNames: (catalogNames: readonly string[]) => string[]
  ): Promise<GatewayResult> {
    const request = typeof args.request === 'string' ? args.request.trim() : '';
    if (request === '') return toolError('route needs "request": what you want to do, in words.');
    const extra = args.arguments;
    if (extra !== undefined && (extra === null || typeof extra !== 'object' || Array.isArray(extra)))
      return toolError('route "arguments" must be an object.');
    let selected;
    try {
      selected = await this.router.select(request, extra as Record<string, unknown> | undefined, downstream);
    } catch (error) {
      return toolError(`Router "${this.router.name}" could not choose a route: ${(error as Error).message}`);
    }
    const tools = toViewNames(selected.tools);
    if (tools.length === 0) {
      return toolError(
        `Router "${this.router.name}" chose route "${selected.route}", but this view holds none of its tools (${selected.tools.join(', ') || 'none listed: is its server down?'}); the tool list is unchanged.`
      );
    }
    if (downstream.requestScoped !== true) {
      this.chosen.delete(downstream.sessionId);
      this.chosen.set(downstream.sessionId, { route: selected.route, tools: new Set(selected.tools) });
      if (this.chosen.size > maxSessions) this.chosen.delete(this.chosen.keys().next().value as string);
      await downstream.notify({ method: 'notifications/tools/list_changed' }).catch(() => {});
    }
    const structured = { ...selected.routing, tools };
    return {
      content: [
        {
          type: 'text',
          text:
            downstream.requestScoped === true
              ? `Route "${selected.route}": its tools are ${tools.join(', ')} (this request has no session, so the tool list does not narrow).`
              : `Route "${selected.route}": your tool list now holds ${tools.join(', ')}.`
        }
      ],
      structuredContent: structured
    };
  }
}

function toolError(text: string): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

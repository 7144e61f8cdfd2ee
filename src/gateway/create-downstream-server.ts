import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { ResultSchema } from '@modelcontextprotocol/core';
import type { ClientCapabilities, LoggingLevel, ServerContext } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY, ProtocolError, Server } from '@modelcontextprotocol/server';

import { isManifoldError, ManifoldError, toManifoldError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { type CacheHint, combineCacheHints } from '../upstream/index.js';
import { type CatalogView, metaToolInstructions } from '../discovery/index.js';
import type { GatewayCore } from './gateway-core.js';
import { checkViewScope } from './views.js';
import { visibleListOf } from './visible-lists.js';
import { resourceNotFoundError } from '../catalog/index.js';
import { checkRules, resourceTarget } from '../rules/index.js';
import type { DispatchMethod, DownstreamContext, GatewayRequest } from '../core/pipeline.js';
import { type Principal, principalOf } from '../core/principal.js';
import { type DownstreamSession, logSeverity } from './sessions.js';

/** The span target of a request: the tool or prompt it names, the resource it reads. */
function targetOf(method: DispatchMethod, params: Record<string, unknown>): string | undefined {
  const key = method === 'tools/call' || method === 'prompts/get' ? 'name' : method.startsWith('resources/') ? 'uri' : undefined;
  const value = key ? params[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Runs a request and writes its outcome and duration (debug). */
async function logged<T>(logger: Logger, method: string, target: string | undefined, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const name = target ? `${method} ${target}` : method;
  try {
    const result = await run();
    const isError = (result as { isError?: unknown } | null)?.isError === true;
    logger.debug(`${name}: ${isError ? 'tool error' : 'ok'}`, { ms: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    logger.debug(`${name}: ${error instanceof Error ? error.message : String(error)}`, { ms: Math.round(performance.now() - started) });
    throw error;
  }
}

/** How long a relayed request to the client (an elicitation a person answers) may take. */
const clientRequestTimeoutMs = 10 * 60_000;

export interface DownstreamServerOptions {
  /** Register the instance as a lasting session (stdio, legacy HTTP session) for unsolicited notifications. */
  session: boolean;
  /** The view this connection serves (its tools/list and tools/call); absent: the whole catalog. */
  view?: CatalogView | undefined;
  /** Who is calling, as the HTTP face authenticated them; absent: the local user (stdio, HTTP without `auth:`). */
  principal?: Principal | undefined;
}

/**
 * Builds the MCP server one downstream connection talks to: a low-level `Server` whose handlers answer
 * lists from the catalog and send everything else through the pipeline.
 */
export function createDownstreamServer(core: GatewayCore, options: DownstreamServerOptions): { server: Server; session: DownstreamSession | undefined } {
  const server = new Server(
    { name: core.info.name, version: core.info.version },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        logging: {}
      },
      instructions: options.view?.hasMetaTools
        ? `${core.instructions(principalOf(options))}\n\n${metaToolInstructions}`
        : core.instructions(principalOf(options))
    }
  );
  const session: DownstreamSession | undefined = options.session
    ? {
        id: randomUUID(),
        server,
        logLevel: undefined,
        subscriptions: new Set(),
        era: undefined,
        ...(options.principal ? { principal: options.principal } : {})
      }
    : undefined;
  const logger = core.logger;

  /** The principal of one request: the connection's (the local user's when none was given). */
  const callerOf = (_ctx: ServerContext): Principal => principalOf(options);
  const access = core.access;

  const contextFor = (ctx: ServerContext): DownstreamContext => {
    const modern = ctx.mcpReq.envelope !== undefined;
    if (session && session.era === undefined) session.era = modern ? 'modern' : 'legacy';
    const capabilities = modern
      ? ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)
      : server.getClientCapabilities();
    // Legacy too: the SDK's shim re-enters a legacy request with the upstream's state after pushing its requests.
    const requestState = ctx.mcpReq.requestState<string>();
    const logLevel = modern
      ? ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY] as LoggingLevel | undefined)
      : session?.logLevel;
    return {
      era: modern ? 'modern' : 'legacy',
      principal: callerOf(ctx),
      ...(session ? { sessionId: session.id } : { sessionId: `request:${randomUUID()}`, requestScoped: true }),
      signal: ctx.mcpReq.signal,
      clientCapabilities: capabilities,
      progressToken: ctx.mcpReq._meta?.progressToken,
      ...(logLevel ? { logLevel } : {}),
      notify: notification => ctx.mcpReq.notify(notification),
      log: (level: LoggingLevel, data: unknown, loggerName?: string) => {
        if (modern) {
          void ctx.mcpReq.log(level, data, loggerName).catch(() => {});
          return;
        }
        const threshold = session?.logLevel;
        if (threshold !== undefined && logSeverity[level] < logSeverity[threshold]) return;
        void ctx.mcpReq
          .notify({ method: 'notifications/message', params: { level, data, ...(loggerName ? { logger: loggerName } : {}) } })
          .catch(() => {});
      },
      ...(modern
        ? {}
        : {
            requestClient: async (method: string, params: Record<string, unknown>, signal: AbortSignal) =>
              (await ctx.mcpReq.send({ method, params }, ResultSchema, { signal, timeout: clientRequestTimeoutMs }))
          }),
      ...(ctx.mcpReq.inputResponses ? { inputResponses: ctx.mcpReq.inputResponses } : {}),
      ...(requestState !== undefined ? { requestState } : {}),
      ...(options.view ? { view: options.view.name, toolScope: (name: string) => options.view?.findVisibleTool(name, callerOf(ctx))?.catalogName } : {})
    };
  };

  // A SERVER span per downstream request (config `tracing:`), outside everything else: it sees refused calls too.
  const requestLogger = logger.child('request');
  const traced = <T>(method: string, target: string | undefined, params: Record<string, unknown>, ctx: ServerContext, work: () => Promise<T>): Promise<T> => {
    // At debug level, one line per request, written inside its span (a JSON line then carries its trace id).
    const run = requestLogger.isEnabled('debug') ? () => logged(requestLogger, method, target, work) : work;
    if (!core.tracing.enabled) return run();
    const headers = ctx.http?.req?.headers;
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const protocolVersion = envelope ? envelope[PROTOCOL_VERSION_META_KEY] : method === 'initialize' ? params.protocolVersion : server.getNegotiatedProtocolVersion();
    return core.tracing.server(
      {
        method,
        target,
        params,
        ...(headers ? { headers: { traceparent: headers.get('traceparent') ?? undefined, tracestate: headers.get('tracestate') ?? undefined } } : {}),
        protocolVersion: typeof protocolVersion === 'string' ? protocolVersion : undefined,
        sessionId: session?.id,
        requestId: ctx.mcpReq.id
      },
      run
    );
  };

  const dispatch = (method: DispatchMethod, params: Record<string, unknown>, ctx: ServerContext) =>
    traced(method, targetOf(method, params), params, ctx, () => dispatchUntraced(method, params, ctx));

  const dispatchUntraced = async (method: DispatchMethod, params: Record<string, unknown>, ctx: ServerContext) => {
    try {
      const downstream = contextFor(ctx);
      if (options.view) {
        // The view's scope check looks names up: the caller's rules first, so its errors suggest nothing hidden.
        if (access.active) checkRules(access, core.catalog, { method, params, downstream });
        checkViewScope(core, options.view, method, params);
      }
      return await core.pipeline({ method, params, downstream });
    } catch (error) {
      const wire = toWireError(error, logger);
      throw method === 'resources/read' ? resourceNotFound(wire, params.uri) : wire;
    }
  };

  const paramsOf = (request: { params?: unknown }): Record<string, unknown> => (request.params ?? {}) as Record<string, unknown>;

  // A view answers tools/call itself (meta tools, renamed tools) and sends real calls through the same pipeline.
  const view = options.view;
  const viewCall = (view: CatalogView, params: Record<string, unknown>, ctx: ServerContext) =>
    traced('tools/call', targetOf('tools/call', params), params, ctx, async () => {
      try {
        // The pipeline counts the calls that travel it; a view's own tools (retrieve_tools) are counted here.
        let piped = false;
        const pipeline = core.usage ? (request: GatewayRequest) => ((piped = true), core.pipeline(request)) : core.pipeline;
        const result = await view.callTool(params, contextFor(ctx), pipeline);
        if (!piped) core.usage?.recordAnswer({ principal: callerOf(ctx).name, view: view.name }, String(params.name), result, params.arguments);
        return result;
      } catch (error) {
        throw toWireError(error, logger);
      }
    });

  // A merged list is fresh only as long as every upstream's part (min ttlMs), and private if any part is (or rules
  // filter it per caller).
  const hintFor = (ctx: ServerContext, kind: 'tools' | 'prompts' | 'resources' | 'resourceTemplates'): Partial<CacheHint> => {
    if (ctx.mcpReq.envelope === undefined) return {};
    const hints: CacheHint[] = [];
    for (const upstream of core.upstreams.values()) {
      const hint = upstream.state.kind === 'stopped' ? undefined : upstream.snapshot.cacheHints?.[kind];
      if (hint) hints.push(hint);
    }
    const combined = combineCacheHints(hints);
    if (!combined) return {};
    // Under rules a list is the caller's own: never one to share.
    return access.active ? { ...combined, cacheScope: 'private' } : combined;
  };
  // Under rules, a session is told of a list change only when what it can see of the list changed.
  if (session && access.active) {
    session.visibleList = visibleListOf(core, view, principalOf(options));
    session.lastVisible = { tools: session.visibleList('tools'), prompts: session.visibleList('prompts'), resources: session.visibleList('resources') };
  }

  // A list answer is counted (its tokens, off the hot path) like any answer a client receives.
  const counted = <T extends Record<string, unknown>>(principal: Principal, kind: string, answer: T): T => {
    core.usage?.recordAnswer({ principal: principal.name, view: view?.name ?? '' }, `list:${kind}`, answer);
    return answer;
  };

  // Every list holds only what the caller's rules let it see (config `rules:`; without rules, everything).
  server.setRequestHandler('tools/list', (request, ctx) => traced('tools/list', undefined, paramsOf(request), ctx, async () => {
    const principal = callerOf(ctx);
    return counted(principal, 'tools', {
      tools: view
        ? view.listTools(session?.id, principal)
        : core.catalog.tools.filter(tool => access.seesTool(principal, tool)).map(tool => tool.definition),
      ...hintFor(ctx, 'tools')
    });
  }));
  server.setRequestHandler('prompts/list', (request, ctx) => traced('prompts/list', undefined, paramsOf(request), ctx, async () => {
    const principal = callerOf(ctx);
    return counted(principal, 'prompts', {
      prompts: core.catalog.prompts
        .filter(prompt => (!view || view.holdsServer(prompt.upstream)) && access.seesPrompt(principal, prompt))
        .map(prompt => prompt.definition),
      ...hintFor(ctx, 'prompts')
    });
  }));
  server.setRequestHandler('resources/list', (request, ctx) => traced('resources/list', undefined, paramsOf(request), ctx, async () => {
    const principal = callerOf(ctx);
    return counted(principal, 'resources', {
      resources: core.catalog.resources
        .filter(resource => (!view || view.holdsServer(resource.upstream)) && access.seesResource(principal, resource))
        .map(resource => resource.definition),
      ...hintFor(ctx, 'resources')
    });
  }));
  server.setRequestHandler('resources/templates/list', (request, ctx) => traced('resources/templates/list', undefined, paramsOf(request), ctx, async () => {
    const principal = callerOf(ctx);
    return counted(principal, 'resourceTemplates', {
      resourceTemplates: core.catalog.resourceTemplates
        .filter(template => (!view || view.holdsServer(template.upstream)) && access.seesTemplate(principal, template))
        .map(template => template.definition),
      ...hintFor(ctx, 'resourceTemplates')
    });
  }));

  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- forwarded results are raw upstream JSON */
  server.setRequestHandler('tools/call', ((request: { params?: unknown }, ctx: ServerContext) =>
    view ? viewCall(view, paramsOf(request), ctx) : dispatch('tools/call', paramsOf(request), ctx)) as any);
  server.setRequestHandler('prompts/get', ((request: { params?: unknown }, ctx: ServerContext) =>
    dispatch('prompts/get', paramsOf(request), ctx)) as any);
  server.setRequestHandler('resources/read', ((request: { params?: unknown }, ctx: ServerContext) =>
    dispatch('resources/read', paramsOf(request), ctx)) as any);
  server.setRequestHandler('completion/complete', ((request: { params?: unknown }, ctx: ServerContext) =>
    dispatch('completion/complete', paramsOf(request), ctx)) as any);
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */

  server.setRequestHandler('resources/subscribe', async (request, ctx) => {
    if (session) {
      try {
        if (view) checkViewScope(core, view, 'resources/subscribe', paramsOf(request));
        // A session's subscription does not travel the pipeline: its rules are checked here.
        const uri = request.params.uri;
        if (access.active && !access.allows(callerOf(ctx), resourceTarget(uri, core.resourceOwner(uri)))) throw resourceNotFoundError(uri);
      } catch (error) {
        throw toWireError(error, logger);
      }
    }
    if (session) await core.sessions.subscribe(session, request.params.uri);
    else await dispatch('resources/subscribe', paramsOf(request), ctx);
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
    if (session) core.sessions.unsubscribe(session, request.params.uri);
    else await dispatch('resources/unsubscribe', paramsOf(request), ctx);
    return {};
  });
  server.setRequestHandler('logging/setLevel', (request, ctx) =>
    traced('logging/setLevel', undefined, paramsOf(request), ctx, async () => {
      if (session) core.sessions.setLogLevel(session, request.params.level);
      return {};
    })
  );
  // The SDK's own handlers (the handshake, pings, the 2026 discovery) are SERVER spans too, named by their method.
  if (core.tracing.enabled) traceProtocolHandlers(server, traced);

  // The one place a client's roots reach upstreams: its own sessions with perClient servers are told they changed.
  server.setNotificationHandler('notifications/roots/list_changed', () => {
    if (session) core.clientRootsChanged(session.id);
  });

  return { server, session };
}

type StoredHandler = (request: unknown, ctx: ServerContext) => Promise<Record<string, unknown>>;

/**
 * Wraps the handlers the SDK's `Server` installs itself (`initialize`, `ping`, `server/discover`) in a SERVER span:
 * the stored handler (validation and all) runs inside it, unchanged.
 */
function traceProtocolHandlers(
  server: Server,
  traced: <T>(method: string, target: string | undefined, params: Record<string, unknown>, ctx: ServerContext, work: () => Promise<T>) => Promise<T>
): void {
  const handlers = server as unknown as {
    _getRequestHandler(method: string): StoredHandler | undefined;
    setRequestHandler(method: string, handler: (request: unknown, ctx: ServerContext) => Promise<Record<string, unknown>>): void;
  };
  for (const method of ['initialize', 'ping', 'server/discover']) {
    const original = handlers._getRequestHandler(method);
    if (!original) continue;
    handlers.setRequestHandler(method, (request, ctx) => traced(method, undefined, ((request as { params?: unknown }).params ?? {}) as Record<string, unknown>, ctx, () => original(request, ctx)));
  }
}

/**
 * A missing resource is -32602 with `data.uri` (SEP-2164; 2026-07-28 forbids -32002, which servers before it
 * used). An upstream's -32002, or its -32602 without the URI, is answered that way.
 */
export function resourceNotFound(error: Error, uri: unknown): Error {
  if (!(error instanceof ProtocolError) || typeof uri !== 'string') return error;
  const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<string, unknown>;
  if (error.code === -32002 || (error.code === -32602 && data.uri === undefined && /not found/i.test(error.message))) {
    return new ProtocolError(-32602, error.message, { ...data, uri });
  }
  return error;
}

/** Translates a local failure to a JSON-RPC error at the edge; upstream protocol errors pass unchanged. */
export function toWireError(error: unknown, logger: Logger): Error {
  if (error instanceof ProtocolError) return error;
  if (isProtocolErrorLike(error)) return new ProtocolError(error.code, error.message, error.data);
  const local = isManifoldError(error) ? error : toManifoldError(error);
  if (local.code === 'INTERNAL') logger.error(`internal error: ${local.message}`, { stack: (local.cause as Error | undefined)?.stack });
  return new ProtocolError(local.jsonRpcCode, local.message, { code: local.code, ...local.data });
}

function isProtocolErrorLike(error: unknown): error is { code: number; message: string; data?: unknown } {
  return (
    typeof error === 'object' &&
    error !== null &&
    !(error instanceof ManifoldError) &&
    typeof (error as { code?: unknown }).code === 'number' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

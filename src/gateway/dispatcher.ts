import type { LoggingMessageNotificationParams } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';

import type { Catalog, LocalTool } from '../catalog/index.js';
import { ManifoldError } from '../core/errors.js';
import type { UpstreamGates } from '../limits/index.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { noTracing, type Tracing } from '../telemetry/tracing/index.js';
import type { InflightRegistry } from './inflight.js';
import { type PerClientUpstreams, sharedLease } from './per-client-upstreams.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';

/** Told of each request sent to an upstream: its server, method, seconds and how it ended. */
export type UpstreamCallObserver = (server: string, method: string, seconds: number, outcome: 'ok' | 'tool_error' | 'error') => void;

interface Route {
  upstream: UpstreamConnection;
  params: Record<string, unknown>;
  describe: string;
  /** The upstream's own name of the tool or prompt, or the resource URI: the CLIENT span's target. */
  target?: string;
  /** For a tool call: whether it is harmless to run twice, by the tool's annotations as the catalog has them (config corrections included). */
  resendable?: boolean;
}

/** A tool the gateway serves itself (a workflow): it runs here, with the caller's context. */
interface LocalRoute {
  local: LocalTool;
}

/**
 * The last stage of the pipeline: finds the upstream that serves a request, rewrites public names to the
 * upstream's own, and forwards with the client's cancellation, progress and capabilities, to the shared
 * session or, for a `perClient` server, the caller's own. Nothing else in Manifold calls an upstream.
 */
export function createDispatcher(
  catalog: Catalog,
  upstreams: ReadonlyMap<string, UpstreamConnection>,
  inflight: InflightRegistry,
  /** The sessions of perClient servers; absent, every server is served by its shared connection. */
  sessions?: PerClientUpstreams,
  /** Servers' concurrency caps (`limits.upstreams`): a call waits its turn before it is sent. */
  gates?: UpstreamGates,
  /** Told how long each upstream request took, from sending it to its answer (metrics' upstream time). */
  onUpstreamCall?: UpstreamCallObserver,
  /** A CLIENT span per upstream request, its context sent in `_meta` (and the HTTP headers of a remote server). */
  tracing: Tracing = noTracing
): Handler {
  const upstreamNamed = (name: string): UpstreamConnection => {
    const upstream = upstreams.get(name);
    if (!upstream) throw new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${name}" is not configured`);
    return upstream;
  };

  const route = (request: GatewayRequest): Route | LocalRoute => {
    const { params } = request;
    switch (request.method) {
      case 'tools/call': {
        const name = requireString(params, 'name', 'tools/call');
        const tool = catalog.getTool(name);
        if (tool.local) return { local: tool.local };
        const annotations = tool.definition.annotations;
        return {
          upstream: upstreamNamed(tool.upstream),
          params: { ...params, name: tool.originalName },
          describe: `tool "${name}"`,
          target: tool.originalName,
          resendable: annotations?.readOnlyHint === true || annotations?.idempotentHint === true
        };
      }
      case 'prompts/get': {
        const name = requireString(params, 'name', 'prompts/get');
        const prompt = catalog.getPrompt(name);
        return {
          upstream: upstreamNamed(prompt.upstream),
          params: { ...params, name: prompt.originalName },
          describe: `prompt "${name}"`,
          target: prompt.originalName
        };
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = requireString(params, 'uri', request.method);
        return { upstream: upstreamNamed(catalog.resolveResource(uri)), params, describe: `resource ${uri}`, target: uri };
      }
      case 'completion/complete': {
        const ref = params.ref as { type?: string; name?: string; uri?: string } | undefined;
        if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
          const prompt = catalog.getPrompt(ref.name);
          return {
            upstream: upstreamNamed(prompt.upstream),
            params: { ...params, ref: { ...ref, name: prompt.originalName } },
            describe: `completion for prompt "${ref.name}"`
          };
        }
        if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
          const owner = catalog.resolveTemplate(ref.uri) ?? catalog.resolveResource(ref.uri);
          return { upstream: upstreamNamed(owner), params, describe: `completion for ${ref.uri}` };
        }
        throw new ManifoldError('INVALID_PARAMS', 'completion/complete needs ref {type: "ref/prompt", name} or {type: "ref/resource", uri}');
      }
    }
  };

  const forward = (request: GatewayRequest, routed: Route): Promise<GatewayResult> => {
    const forwarded = withForwardedMeta(routed.params, request.downstream, routed.upstream);
    // Tracing off: nothing is built for it.
    if (!tracing.enabled) return send(request, routed, forwarded);
    return tracing.client(
      {
        method: request.method,
        target: routed.target,
        server: routed.upstream.name,
        params: forwarded,
        protocolVersion: routed.upstream.state.kind === 'ready' ? routed.upstream.state.protocolVersion : undefined
      },
      traced => send(request, routed, traced)
    );
  };

  const send = async (request: GatewayRequest, routed: Route, forwarded: Record<string, unknown>): Promise<GatewayResult> => {
    const { upstream, describe, resendable } = routed;
    const downstream = request.downstream;
    // The caller's own session with a perClient server (opened now if it has none), else the shared one.
    const lease = sessions ? sessions.lease(upstream, downstream) : sharedLease(upstream);
    const leave = inflight.enter(lease.relayKey, downstream);
    // Progress is relayed in order, and all of it before the result (which ends the client's response stream).
    let relayed: Promise<void> = Promise.resolve();
    const sent = onUpstreamCall ? performance.now() : 0;
    let outcome: 'ok' | 'tool_error' | 'error' = 'error';
    try {
      const result = await lease.connection.request(request.method, forwarded, {
        describe,
        ...(resendable !== undefined ? { resendable } : {}),
        signal: downstream.signal,
        resetTimeoutOnProgress: true,
        allowInputRequired: true,
        // Log messages of this request alone, where the upstream's protocol lets them be told apart.
        ...(downstream.logLevel ? { onLog: (log: LoggingMessageNotificationParams) => downstream.log(log.level, log.data, log.logger) } : {}),
        ...(downstream.progressToken !== undefined
          ? {
              onprogress: progress => {
                const notification = { method: 'notifications/progress', params: { ...progress, progressToken: downstream.progressToken } };
                relayed = relayed.then(() => downstream.notify(notification)).catch(() => {});
              }
            }
          : {})
      });
      outcome = result.isError === true ? 'tool_error' : 'ok';
      await relayed;
      return stripUpstreamIdentity(result);
    } finally {
      onUpstreamCall?.(upstream.name, request.method, (performance.now() - sent) / 1000, outcome);
      leave();
      lease.release();
    }
  };

  return async (request: GatewayRequest): Promise<GatewayResult> => {
    const routed = route(request);
    if ('local' in routed) return routed.local.call(request);
    // A capped server (limits.upstreams): wait for a turn; a full queue refuses, a cancelled call leaves the queue.
    const gate = gates?.get(routed.upstream.name);
    if (!gate) return forward(request, routed);
    const leaveGate = await gate.enter(request.downstream.signal);
    try {
      return await forward(request, routed);
    } finally {
      leaveGate();
    }
  };
}

function requireString(params: Record<string, unknown>, key: string, method: string): string {
  const value = params[key];
  if (typeof value !== 'string' || value === '') {
    throw new ManifoldError('INVALID_PARAMS', `${method} needs params.${key} (a string)`);
  }
  return value;
}

/**
 * What the upstream must see of the client: on a modern upstream, the client's own capabilities (so the
 * server asks only for what the client can give) and any multi-round-trip answers being retried.
 */
function withForwardedMeta(params: Record<string, unknown>, downstream: DownstreamContext, upstream: UpstreamConnection): Record<string, unknown> {
  const { _meta: meta, ...rest } = params as { _meta?: Record<string, unknown> };
  const out: Record<string, unknown> = { ...rest };
  const nextMeta: Record<string, unknown> = { ...meta };
  delete nextMeta.progressToken;
  if (upstream.era === 'modern') {
    nextMeta[CLIENT_CAPABILITIES_META_KEY] = downstream.clientCapabilities ?? {};
    // A modern server logs only for requests that ask (the level of a legacy session counts as asking).
    if (downstream.logLevel) nextMeta[LOG_LEVEL_META_KEY] = downstream.logLevel;
    if (downstream.inputResponses) out.inputResponses = downstream.inputResponses;
    if (downstream.requestState !== undefined) out.requestState = downstream.requestState;
  }
  if (Object.keys(nextMeta).length > 0) out._meta = nextMeta;
  return out;
}

/** An upstream's own identity must not leak through the gateway. */
function stripUpstreamIdentity(result: GatewayResult): GatewayResult {
  const meta = result._meta as Record<string, unknown> | undefined;
  if (!meta || !(SERVER_INFO_META_KEY in meta)) return result;
  const { [SERVER_INFO_META_KEY]: _dropped, ...rest } = meta;
  return { ...result, _meta: rest };
}

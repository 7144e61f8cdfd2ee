import type { LoggingMessageNotificationParams } from '@modelcontextprotocol/server';
import { ProtocolError } from '@modelcontextprotocol/server';

import type { Logger } from '../telemetry/logger.js';
import type { ServerRequestMethod, UpstreamRelay } from '../upstream/index.js';
import type { DownstreamContext } from './pipeline.js';
import type { SessionRegistry } from './sessions.js';

const capabilityFor: Record<ServerRequestMethod, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots'
};

/**
 * Knows which downstream requests are in flight on which upstream, so that what an upstream sends during
 * a call (requests to the client, log messages) reaches the client whose call caused it. Legacy MCP has no
 * request id on such messages: with several calls in flight on one upstream, the most recent one whose
 * client can answer is chosen.
 */
export class InflightRegistry implements UpstreamRelay {
  private readonly byUpstream = new Map<string, DownstreamContext[]>();

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly logger: Logger
  ) {}

  /** Registers a call; returns the function that ends it. */
  enter(upstream: string, context: DownstreamContext): () => void {
    let list = this.byUpstream.get(upstream);
    if (!list) {
      list = [];
      this.byUpstream.set(upstream, list);
    }
    list.push(context);
    return () => {
      const current = this.byUpstream.get(upstream);
      if (!current) return;
      const index = current.lastIndexOf(context);
      if (index >= 0) current.splice(index, 1);
      if (current.length === 0) this.byUpstream.delete(upstream);
    };
  }

  count(upstream: string): number {
    return this.byUpstream.get(upstream)?.length ?? 0;
  }

  async onServerRequest(
    upstream: string,
    method: ServerRequestMethod,
    params: Record<string, unknown>,
    signal: AbortSignal
  ): Promise<Record<string, unknown>> {
    const capability = capabilityFor[method];
    const candidates = (this.byUpstream.get(upstream) ?? []).filter(context => !context.signal.aborted);
    // A modern context that takes requests is the input-required bridge: it decides about capabilities itself.
    const target = candidates.findLast(context => context.requestClient && (context.era === 'modern' || context.clientCapabilities?.[capability]));
    if (target?.requestClient) {
      this.logger.debug(`relaying ${method} from "${upstream}" to the calling client`);
      return target.requestClient(method, params, signal);
    }
    if (method === 'roots/list' && candidates.length === 0) {
      // Not during a call (e.g. after roots/list_changed): ask a connected client that has roots.
      const roots = await this.sessions.listRootsFromAnySession(signal);
      if (roots) return roots;
      return { roots: [] };
    }
    const why =
      candidates.length === 0
        ? 'no client call to this server is in flight'
        : candidates.some(context => context.clientCapabilities?.[capability])
          ? 'the calling client is connected over MCP 2026-07-28, where servers cannot send requests to clients'
          : `the calling client did not declare the "${capability}" capability`;
    throw new ProtocolError(-32603, `Manifold cannot relay ${method} from server "${upstream}": ${why}`);
  }

  onLog(upstream: string, params: LoggingMessageNotificationParams): void {
    const candidates = this.byUpstream.get(upstream);
    const logger = params.logger ?? upstream;
    const target = candidates?.[candidates.length - 1];
    if (target) {
      target.log(params.level, params.data, logger);
      return;
    }
    this.sessions.broadcastLog({ ...params, logger });
  }

  onResourceUpdated(upstream: string, uri: string): void {
    this.logger.debug(`resource updated on "${upstream}": ${uri}`);
    this.sessions.resourceUpdated(uri);
  }
}

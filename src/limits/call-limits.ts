import type { CallLimitConfig, LimitDimension } from '../config/index.js';
import { globToRegExp } from '../core/glob.js';
import type { DispatchMethod, GatewayRequest, GatewayResult, Handler, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { inFlightLimited, isLimitError, type LimitInfo, rateLimited, toLimitedToolResult } from './limited-result.js';
import type { RateCounter, RateStore } from './rate-store.js';

/** The methods limits count: calls that do work upstream (subscriptions are bookkeeping, lists are local). */
const limitedMethods: ReadonlySet<DispatchMethod> = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
  'completion/complete'
]);

interface CompiledLimit {
  name: string;
  principal: RegExp;
  server: RegExp | undefined;
  tool: RegExp | undefined;
  by: readonly LimitDimension[];
  requests: number | undefined;
  perMs: number | undefined;
  inFlight: number | undefined;
  counter: RateCounter | undefined;
  /** Calls in progress per bucket key (only for limits with `inFlight`). */
  running: Map<string, number>;
}

export interface CallLimitsOptions {
  limits: readonly CallLimitConfig[];
  store: RateStore;
  /** The server that serves a request; undefined for the gateway's own tools and for names nothing serves. */
  serverOf: (request: GatewayRequest) => string | undefined;
}

/** What a request is for, in messages and bucket keys: the tool's public name, `prompt "x"`, `resource <uri>`. */
function targetOf(request: GatewayRequest): string {
  const params = request.params;
  switch (request.method) {
    case 'tools/call':
      return String(params.name);
    case 'prompts/get':
      return `prompt "${String(params.name)}"`;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return `resource ${String(params.uri)}`;
    case 'completion/complete':
      return 'completion';
  }
}

/**
 * The pipeline stage of `limits.calls` (docs/CONFIG.md "Limit calls"). Every call that matches a limit counts
 * against its bucket (per principal, server or tool, as its `by` says): requests per window (in a RateStore)
 * and calls in progress (released when the call ends, however it ends). A refused tool call is answered with a
 * tool error the model can act on; other methods with a RATE_LIMITED JSON-RPC error. Refusals from further in
 * (a server's full queue) are answered the same way.
 */
export function createCallLimits(options: CallLimitsOptions): Middleware {
  const limits: CompiledLimit[] = options.limits.map((limit, index) => ({
    name: limit.name ?? `limits.calls[${index}]`,
    principal: globToRegExp(limit.principal),
    server: limit.server === undefined ? undefined : globToRegExp(limit.server),
    tool: limit.tool === undefined ? undefined : globToRegExp(limit.tool),
    by: limit.by,
    requests: limit.requests,
    perMs: limit.per,
    inFlight: limit.inFlight,
    counter:
      limit.requests !== undefined && limit.per !== undefined
        ? options.store.counter({ id: `call-limit-${index}`, requests: limit.requests, windowMs: limit.per })
        : undefined,
    running: new Map()
  }));

  return (next: Handler): Handler =>
    async (request: GatewayRequest): Promise<GatewayResult> => {
      try {
        if (limits.length === 0 || !limitedMethods.has(request.method)) return await next(request);
        const principal = principalOf(request.downstream).name;
        const target = targetOf(request);
        const server = options.serverOf(request);
        const matched = limits.filter(
          limit =>
            limit.principal.test(principal) &&
            (limit.tool === undefined || (request.method === 'tools/call' && limit.tool.test(target))) &&
            (limit.server === undefined || (server !== undefined && limit.server.test(server)))
        );
        if (matched.length === 0) return await next(request);
        const keys = matched.map(limit => bucketKey(limit.by, principal, server, target));
        const describe = (limit: CompiledLimit): Omit<LimitInfo, 'kind'> => ({
          name: limit.name,
          principal,
          target,
          ...(server !== undefined ? { server } : {})
        });

        // In progress first (synchronous, so concurrent calls are counted exactly), then the windows.
        const entered: number[] = [];
        const leave = () => {
          for (const index of entered) release(matched[index] as CompiledLimit, keys[index] as string);
        };
        for (const [index, limit] of matched.entries()) {
          if (limit.inFlight === undefined) continue;
          const key = keys[index] as string;
          const running = limit.running.get(key) ?? 0;
          if (running >= limit.inFlight) {
            leave();
            throw inFlightLimited({ kind: 'inFlight', ...describe(limit), inFlight: limit.inFlight });
          }
          limit.running.set(key, running + 1);
          entered.push(index);
        }
        const taken: number[] = [];
        try {
          for (const [index, limit] of matched.entries()) {
            if (!limit.counter) continue;
            const key = keys[index] as string;
            const decision = await limit.counter.take(key);
            if (!decision.allowed) {
              // The call does not run: the windows that counted it give the request back.
              await Promise.all(
                taken.map(async taker => (matched[taker] as CompiledLimit).counter?.giveBack(keys[taker] as string))
              );
              throw rateLimited(
                { kind: 'rate', ...describe(limit), requests: limit.requests as number, perMs: limit.perMs as number },
                decision.msBeforeNext
              );
            }
            taken.push(index);
          }
          return await next(request);
        } finally {
          leave();
        }
      } catch (error) {
        if (request.method === 'tools/call' && isLimitError(error)) return toLimitedToolResult(error);
        throw error;
      }
    };
}

function release(limit: CompiledLimit, key: string): void {
  const running = (limit.running.get(key) ?? 1) - 1;
  if (running <= 0) limit.running.delete(key);
  else limit.running.set(key, running);
}

function bucketKey(
  by: readonly LimitDimension[],
  principal: string,
  server: string | undefined,
  target: string
): string {
  if (by.length === 0) return '*';
  return by
    .map(dimension => {
      switch (dimension) {
        case 'principal':
          return `p:${principal}`;
        case 'server':
          return `s:${server ?? ''}`;
        case 'tool':
          return `t:${target}`;
      }
    })
    .join('\u0000');
}

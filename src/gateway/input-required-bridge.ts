import { randomUUID } from 'node:crypto';

import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { MissingRequiredClientCapabilityError, ProtocolError } from '@modelcontextprotocol/server';

import type { Logger } from '../telemetry/logger.js';
import type { ServerRequestMethod } from '../upstream/index.js';
import type { DispatchMethod, DownstreamContext, GatewayRequest, GatewayResult, Handler, Middleware } from '../core/pipeline.js';
import { gatewayStatePrefix, StateSeal } from '../core/state-seal.js';

/** Methods whose results may be `input_required` (SEP-2322). */
const bridgedMethods = new Set<DispatchMethod>(['tools/call', 'prompts/get', 'resources/read']);

const capabilityFor: Record<ServerRequestMethod, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots'
};

const keyPrefix: Record<ServerRequestMethod, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots'
};

/** Every gateway-minted requestState starts with this; anything else belongs to the upstream. */
export { gatewayStatePrefix } from '../core/state-seal.js';

export interface InputRequiredBridgeOptions {
  logger: Logger;
  /** How long a parked call waits for the client's retry before it is abandoned. */
  ttlMs?: number;
  /** Requests a server pushes within this quiet window go out in one input_required round. */
  burstMs?: number;
  /** The gateway's seal (shared with the approval gate); default: one of its own. */
  seal?: StateSeal;
}

interface Push {
  key: string;
  method: ServerRequestMethod;
  params: Record<string, unknown>;
  resolve(result: Record<string, unknown>): void;
  reject(error: unknown): void;
}

type Outcome = { result: GatewayResult } | { error: unknown };

/** One upstream call running across several downstream requests (rounds). */
class ParkedFlow {
  readonly id = randomUUID();
  readonly abort = new AbortController();
  readonly pending = new Map<string, Push>();
  round = 0;
  outcome: Outcome | undefined;
  attached: DownstreamContext | undefined;
  expiry: NodeJS.Timeout | undefined;
  private counter = 0;
  private lastPushAt = 0;
  private wake: (() => void) | undefined;

  constructor(readonly binding: string) {}

  /** An upstream's request to the client, made while this call runs: it waits for the client's retry. */
  push(method: ServerRequestMethod, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const key = `${keyPrefix[method]}_${++this.counter}`;
      this.pending.set(key, { key, method, params, resolve, reject });
      this.lastPushAt = Date.now();
      signal.addEventListener(
        'abort',
        () => {
          if (this.pending.delete(key)) reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
        },
        { once: true }
      );
      this.poke();
    });
  }

  answer(key: string, result: Record<string, unknown>): void {
    const push = this.pending.get(key);
    if (!push) return;
    this.pending.delete(key);
    push.resolve(result);
  }

  refuse(key: string, error: unknown): void {
    const push = this.pending.get(key);
    if (!push) return;
    this.pending.delete(key);
    push.reject(error);
  }

  finish(outcome: Outcome): void {
    this.outcome = outcome;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Resolves with what to answer the attached request: the call's end, or the requests pushed in a burst. */
  async next(burstMs: number, signal: AbortSignal): Promise<'done' | 'input'> {
    for (;;) {
      if (this.outcome) return 'done';
      if (signal.aborted) throw signal.reason;
      const quietFor = Date.now() - this.lastPushAt;
      if (this.pending.size > 0 && quietFor >= burstMs) return 'input';
      await new Promise<void>(resolve => {
        const timer = this.pending.size > 0 ? setTimeout(resolve, burstMs - quietFor) : undefined;
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

/**
 * Lets a 2026-07-28 client use a server that sends requests to the client (sampling, elicitation, roots) the
 * 2025 way. Such a client cannot receive requests; the gateway parks the upstream call with its pushed
 * requests, answers the client with an `input_required` result whose `requestState` is a sealed, expiring
 * handle on the parked call, and resumes the call when the client retries with `inputResponses`. A flow
 * nobody comes back for is abandoned after `ttlMs`: elicitations are declined, other requests refused, and
 * the upstream call cancelled.
 *
 * Runs for every modern request that may answer `input_required`; it does nothing unless the upstream pushes
 * (a modern upstream's own `input_required` passes through untouched, its `requestState` raw).
 */
export class InputRequiredBridge {
  private readonly flows = new Map<string, ParkedFlow>();
  private readonly sealer: StateSeal;
  private readonly ttlMs: number;
  private readonly burstMs: number;
  private readonly logger: Logger;

  constructor(options: InputRequiredBridgeOptions) {
    this.logger = options.logger;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.burstMs = options.burstMs ?? 30;
    this.sealer = options.seal ?? new StateSeal();
  }

  /** Parked calls waiting for a retry (for tests and doctor). */
  get parked(): number {
    return this.flows.size;
  }

  readonly middleware: Middleware = (next: Handler): Handler => async (request: GatewayRequest) => {
    const downstream = request.downstream;
    if (downstream.era !== 'modern' || !bridgedMethods.has(request.method)) return next(request);
    if (downstream.requestState?.startsWith(gatewayStatePrefix)) return this.resume(request);
    return this.start(request, next);
  };

  private start(request: GatewayRequest, next: Handler): Promise<GatewayResult> {
    const downstream = request.downstream;
    const flow = new ParkedFlow(bindingOf(request));
    const context: DownstreamContext = {
      ...downstream,
      signal: flow.abort.signal,
      requestClient: (method, params, signal) => {
        if (!(method in capabilityFor)) return Promise.reject(new ProtocolError(-32601, `Manifold does not relay ${method}`));
        return flow.push(method as ServerRequestMethod, params, signal);
      },
      notify: notification => {
        const current = flow.attached;
        if (!current) return Promise.resolve();
        if (notification.method !== 'notifications/progress') return current.notify(notification);
        // Progress goes to whichever request of the flow is waiting, under that request's own token.
        if (current.progressToken === undefined) return Promise.resolve();
        return current.notify({ ...notification, params: { ...notification.params, progressToken: current.progressToken } });
      },
      log: (level, data, logger) => flow.attached?.log(level, data, logger)
    };
    flow.attached = downstream;
    void next({ ...request, downstream: context }).then(
      result => flow.finish({ result }),
      (error: unknown) => flow.finish({ error })
    );
    return this.answer(flow, downstream);
  }

  private resume(request: GatewayRequest): Promise<GatewayResult> {
    const downstream = request.downstream;
    const claims = this.open(downstream.requestState ?? '');
    const flow = claims ? this.flows.get(claims.flow) : undefined;
    if (!claims || !flow || flow.round !== claims.round || flow.binding !== bindingOf(request)) {
      // In a fleet, a parked call lives in the instance that parked it: a retry balanced to another lands here.
      throw new ProtocolError(
        -32602,
        'requestState is not valid: tampered with, for another request, already used, expired, or made by another gateway instance ' +
          '(in a fleet a parked call lives in the instance that parked it): call the tool again without requestState',
        { reason: 'invalid_request_state' }
      );
    }
    if (flow.attached) throw new ProtocolError(-32602, 'requestState is already being retried by another request', { reason: 'invalid_request_state' });
    clearTimeout(flow.expiry);
    this.flows.delete(flow.id);
    const responses = downstream.inputResponses ?? {};
    for (const [key, response] of Object.entries(responses)) {
      // Keys the gateway did not ask for are ignored (SEP-2322); a malformed answer counts as missing.
      if (flow.pending.has(key) && typeof response === 'object' && response !== null && !Array.isArray(response)) {
        flow.answer(key, response as Record<string, unknown>);
      }
    }
    flow.attached = downstream;
    return this.answer(flow, downstream);
  }

  /** Waits with the attached request for the call's end or its next pushed requests, and answers it. */
  private async answer(flow: ParkedFlow, downstream: DownstreamContext): Promise<GatewayResult> {
    const onAbort = () => this.cancel(flow, 'the client cancelled');
    downstream.signal.addEventListener('abort', onAbort, { once: true });
    try {
      let what = await flow.next(this.burstMs, downstream.signal);
      while (what === 'input' && this.refuseUnaskedRoots(flow, downstream.clientCapabilities ?? {})) {
        what = await flow.next(this.burstMs, downstream.signal);
      }
      if (what === 'done') {
        const outcome = flow.outcome as Outcome;
        flow.attached = undefined;
        for (const key of flow.pending.keys()) flow.refuse(key, new ProtocolError(-32603, 'the call ended'));
        if ('error' in outcome) throw outcome.error;
        return outcome.result;
      }
      return this.park(flow, downstream.clientCapabilities ?? {});
    } finally {
      downstream.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A 2025 server asks for roots on its own schedule (after it starts, when roots change), not because the call
   * needs them: when a client without roots is the one in flight, the server is told no and the call goes on,
   * instead of failing an unrelated call with -32021.
   */
  private refuseUnaskedRoots(flow: ParkedFlow, capabilities: ClientCapabilities): boolean {
    if (capabilities.roots) return false;
    const asks = [...flow.pending.values()];
    if (asks.length === 0 || asks.some(push => push.method !== 'roots/list')) return false;
    for (const push of asks) flow.refuse(push.key, new ProtocolError(-32601, 'the client did not declare the "roots" capability'));
    return true;
  }

  private park(flow: ParkedFlow, capabilities: ClientCapabilities): GatewayResult {
    const asks = [...flow.pending.values()];
    const undeclared = asks.filter(push => !capabilities[capabilityFor[push.method]]);
    const declared = asks.filter(push => capabilities[capabilityFor[push.method]]);
    if (declared.length === 0) {
      // The server needs something this client cannot give: say so, as a 2026-07-28 server would.
      const required: ClientCapabilities = {};
      for (const push of undeclared) required[capabilityFor[push.method]] = {};
      this.cancel(flow, 'the client lacks a capability the server asked for');
      throw new MissingRequiredClientCapabilityError(
        { requiredCapabilities: required },
        `the server asked for ${undeclared.map(push => push.method).join(', ')}, which this client did not declare`
      );
    }
    for (const push of undeclared) {
      // Asked together with something the client can give: a form it cannot show is declined, the rest refused.
      if (push.method === 'elicitation/create') flow.answer(push.key, { action: 'decline' });
      else flow.refuse(push.key, new ProtocolError(-32601, `the client did not declare the "${capabilityFor[push.method]}" capability`));
    }
    flow.round++;
    flow.attached = undefined;
    this.flows.set(flow.id, flow);
    flow.expiry = setTimeout(() => this.abandon(flow), this.ttlMs);
    flow.expiry.unref();
    return {
      resultType: 'input_required',
      inputRequests: Object.fromEntries(declared.map(push => [push.key, { method: push.method, params: push.params }])),
      requestState: this.seal(flow)
    };
  }

  private abandon(flow: ParkedFlow): void {
    if (this.flows.get(flow.id) !== flow) return;
    this.logger.info(`abandoned an ${flow.binding} call that waited ${Math.round(this.ttlMs / 1000)} s for the client's input; cancelling it upstream`);
    this.cancel(flow, 'abandoned: the client did not come back with the input');
  }

  private cancel(flow: ParkedFlow, reason: string): void {
    this.flows.delete(flow.id);
    clearTimeout(flow.expiry);
    for (const push of [...flow.pending.values()]) {
      if (push.method === 'elicitation/create') flow.answer(push.key, { action: 'decline' });
      else flow.refuse(push.key, new ProtocolError(-32603, `Manifold: ${reason}`));
    }
    if (!flow.abort.signal.aborted) flow.abort.abort(new ProtocolError(-32800, `Manifold: ${reason}`));
  }

  private seal(flow: ParkedFlow): string {
    return this.sealer.seal(gatewayStatePrefix, 'manifold.requestState', { f: flow.id, r: flow.round, exp: Date.now() + this.ttlMs });
  }

  private open(state: string): { flow: string; round: number } | undefined {
    const claims = this.sealer.open(gatewayStatePrefix, 'manifold.requestState', state);
    if (!claims || typeof claims.f !== 'string' || typeof claims.r !== 'number' || typeof claims.exp !== 'number' || claims.exp < Date.now()) return undefined;
    return { flow: claims.f, round: claims.r };
  }

  /** Abandons every parked call (gateway shutdown). */
  close(): void {
    for (const flow of [...this.flows.values()]) this.cancel(flow, 'the gateway is shutting down');
  }
}

/** A retry must be the same request: same method and the same tool, prompt or resource. */
function bindingOf(request: GatewayRequest): string {
  const { params } = request;
  const target = request.method === 'resources/read' ? params.uri : params.name;
  return `${request.method} ${typeof target === 'string' ? target : ''}`;
}

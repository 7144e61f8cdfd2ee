import { randomBytes, randomUUID } from 'node:crypto';

import type { Catalog, CatalogTool } from '../catalog/index.js';
import type { ApprovalOptions, ServerConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { approvalStatePrefix, gatewayStatePrefix, type StateSeal } from '../core/state-seal.js';
import type { ApprovalStore, AuditRecord } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { argumentsDigest } from './arguments-digest.js';
import { ApprovalPolicy } from './approval-policy.js';
import { type ApprovalAnswer, type ApprovalCall, approvalElicitation, approvalInputKey, queuedResult, refusedResult } from './approval-texts.js';
import { checkApprovalState, type ApprovalClaims } from './approval-state.js';

export interface ApprovalGateOptions {
  options: ApprovalOptions;
  servers: Readonly<Record<string, Pick<ServerConfig, 'trust'>>>;
  catalog: Catalog;
  /** The gateway's seal (the input_required bridge's too). */
  seal: StateSeal;
  /** The approval queue (the store file), opened on first use. */
  store: () => ApprovalStore;
  /** Writes a decision to the audit log (method `manifold/approval`); absent: audit is off. */
  record?: (record: Omit<AuditRecord, 'seq'>) => void;
  logger: Logger;
  now?: () => number;
}

/** The purpose the gate's states are sealed for (never opens as the bridge's, nor the other way round). */
const sealPurpose = 'manifold.approval';

/** Most remembered states (issued ones, upstream continuations, decided steps); past it the oldest go first. */
const maxRemembered = 10_000;

/**
 * The approval gate (docs/SECURITY.md "Approval before destructive calls"), a pipeline stage after rules, limits
 * and usage, before the cache: a `tools/call` the policy picks waits for a person. A client that declared
 * elicitation is asked: pushed an `elicitation/create` (2025, and any call made inside a call, such as a workflow
 * step, through its caller's channel) or answered `input_required` with a sealed, single-use requestState (a
 * 2026-07-28 request). Any other client gets a tool error naming a queued approval that `manifold approvals grant`
 * decides; its retry of the same call then runs once. Every decision goes to the audit log.
 */
export class ApprovalGate {
  readonly policy: ApprovalPolicy;
  private readonly options: ApprovalGateOptions;
  /** Nonces of states handed out and not yet used, with their expiry: a state works once. */
  private readonly issued = new Map<string, number>();
  /** Upstream requestStates an approved call answered with: its retry continues without asking again. */
  private readonly continuations = new Map<string, { binding: string; expiresAt: number }>();
  /** Decisions per workflow (or agent) run step: a retried step is not asked again. */
  private readonly steps = new Map<string, { answer: ApprovalAnswer; expiresAt: number }>();
  private opened: ApprovalStore | undefined;

  constructor(options: ApprovalGateOptions) {
    this.options = options;
    this.policy = new ApprovalPolicy(options.options, options.servers, options.logger);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get expiryMs(): number {
    return this.options.options.expiry;
  }

  readonly middleware: Middleware = (next: Handler): Handler => async (request: GatewayRequest) => {
    if (request.method !== 'tools/call' || typeof request.params.name !== 'string') return next(request);
    const downstream = request.downstream;
    const state = downstream.requestState;
    // The bridge's state continues a call that passed here (the bridge checks its seal, and its parked flow exists
    // only for such a call; it runs with the arguments it was started with).
    if (state?.startsWith(gatewayStatePrefix)) return next(request);
    const tool = this.options.catalog.findTool(request.params.name);
    if (!tool) return next(request);
    const args = argumentsOf(request.params.arguments);
    const principal = principalOf(downstream);
    const reason = this.policy.reasonFor(principal, tool, args);
    if (reason === undefined) return state?.startsWith(approvalStatePrefix) ? next(withoutState(request)) : next(request);
    const call = callOf(`${principal.kind}:${principal.name}`, tool, args, reason);

    if (state?.startsWith(approvalStatePrefix)) return this.resume(request, call, next);
    if (state !== undefined) {
      // A server's own state: the retry of a call approved before, or a state nobody handed out for it.
      if (this.takeContinuation(state, call)) return this.proceed(request, call, next);
      throw new ManifoldError(
        'INVALID_PARAMS',
        `requestState was not handed out for an approved call of "${call.tool}" (server "${call.server}"), which needs approval; call the tool again without requestState to be asked`,
        { data: { reason: 'invalid_approval_state' } }
      );
    }
    const step = stepKey(downstream, call);
    const decided = step !== undefined ? this.steps.get(step) : undefined;
    if (decided && decided.expiresAt > this.now()) {
      return decided.answer === 'accept' ? this.proceed(request, call, next) : refusedResult(call, decided.answer, 'decided earlier in this run');
    }
    const elicits = downstream.clientCapabilities?.elicitation !== undefined;
    if (elicits && downstream.requestClient) return this.ask(request, call, next, step);
    // input_required answers the client's own request; a call made inside another (a step, an agent's tool call)
    // without its caller's channel cannot hand it up, so it is queued.
    if (elicits && downstream.era === 'modern' && !downstream.run) return this.inputRequired(call, downstream);
    return this.queue(request, call, next);
  };

  /** Runs the approved call; a server's input_required state it answers with is remembered for the retry. */
  private async proceed(request: GatewayRequest, call: ApprovalCall, next: Handler): Promise<GatewayResult> {
    const result = await next(request);
    if (result.resultType === 'input_required' && typeof result.requestState === 'string') {
      remember(this.continuations, result.requestState, { binding: bindingOf(call), expiresAt: this.now() + this.expiryMs });
    }
    return result;
  }

  private takeContinuation(state: string, call: ApprovalCall): boolean {
    const known = this.continuations.get(state);
    if (!known) return false;
    this.continuations.delete(state);
    return known.binding === bindingOf(call) && known.expiresAt > this.now();
  }

  /** 2025 push (or a call inside a call): one `elicitation/create` through the caller's channel. */
  private async ask(request: GatewayRequest, call: ApprovalCall, next: Handler, step: string | undefined): Promise<GatewayResult> {
    const downstream = request.downstream;
    const started = performance.now();
    let answer: ApprovalAnswer;
    let detail = '';
    try {
      const signal = AbortSignal.any([downstream.signal, AbortSignal.timeout(this.expiryMs)]);
      const response = await (downstream.requestClient as NonNullable<DownstreamContext['requestClient']>)('elicitation/create', approvalElicitation(call), signal);
      answer = response.action === 'accept' || response.action === 'decline' ? response.action : 'cancel';
    } catch (error) {
      if (downstream.signal.aborted) throw error;
      answer = 'cancel';
      detail = `the client could not be asked: ${errorMessage(error).split('\n')[0] ?? ''}`;
    }
    this.record(downstream, call, answer, `${answer} (elicitation)`, performance.now() - started);
    if (step !== undefined) remember(this.steps, step, { answer, expiresAt: this.now() + this.expiryMs });
    return answer === 'accept' ? this.proceed(request, call, next) : refusedResult(call, answer, detail);
  }

  /** 2026-07-28: the elicitation inside an `input_required` result, with a sealed, single-use state. */
  private inputRequired(call: ApprovalCall, _downstream: DownstreamContext): GatewayResult {
    const nonce = randomUUID();
    const expiresAt = this.now() + this.expiryMs;
    remember(this.issued, nonce, expiresAt);
    const claims: ApprovalClaims = { n: nonce, p: call.principal, t: call.tool, d: call.digest, exp: expiresAt };
    return {
      resultType: 'input_required',
      inputRequests: { [approvalInputKey]: { method: 'elicitation/create', params: approvalElicitation(call) } },
      requestState: this.options.seal.seal(approvalStatePrefix, sealPurpose, { ...claims })
    };
  }

  /** The retry of a 2026-07-28 request with the gate's state: checked, spent, and the answer applied. */
  private async resume(request: GatewayRequest, call: ApprovalCall, next: Handler): Promise<GatewayResult> {
    const downstream = request.downstream;
    const claims = this.options.seal.open(approvalStatePrefix, sealPurpose, downstream.requestState ?? '');
    const refusal = checkApprovalState(claims, call, this.now()) ?? (this.issued.delete(String(claims?.n)) ? undefined : 'it was used already (a state works once) or was not issued by this gateway process');
    if (refusal !== undefined) {
      this.options.logger.warn(`approval state refused for "${call.tool}" (principal ${call.principal}): ${refusal}`);
      throw new ManifoldError(
        'INVALID_PARAMS',
        `the approval requestState for "${call.tool}" (server "${call.server}") is refused: ${refusal}; call the tool again without requestState to be asked again`,
        { data: { reason: 'invalid_approval_state' } }
      );
    }
    const response = downstream.inputResponses?.[approvalInputKey] as { action?: unknown } | undefined;
    // No answer to the gate's request (the client sent other keys): asked again, with a new state.
    if (typeof response !== 'object' || response === null) return this.inputRequired(call, downstream);
    const answer: ApprovalAnswer = response.action === 'accept' || response.action === 'decline' ? response.action : 'cancel';
    this.record(downstream, call, answer, `${answer} (input_required)`, 0);
    if (answer !== 'accept') return refusedResult(call, answer, '');
    // The gate's fields go no further: the upstream sees a fresh call.
    return this.proceed(withoutState(request), call, next);
  }

  /** No elicitation: a queued approval (`manifold approvals`), and the retry that finds it decided. */
  private async queue(request: GatewayRequest, call: ApprovalCall, next: Handler): Promise<GatewayResult> {
    const store = this.store();
    const now = this.now();
    const open = store.findOpenApproval(call.principal, call.tool, call.digest, now);
    if (open?.status === 'granted' || open?.status === 'denied') {
      // Spent exactly once: of two retries at once, one runs.
      if (store.useApproval(open.id, now)) {
        const answer = open.status === 'granted' ? 'accept' : 'decline';
        this.record(request.downstream, call, answer, `${open.status === 'granted' ? 'grant' : 'deny'} ${open.id} used (by ${open.decidedBy ?? 'the CLI'})`, 0);
        return open.status === 'granted' ? this.proceed(request, call, next) : refusedResult(call, 'denied', '');
      }
    }
    if (open?.status === 'pending') return queuedResult(call, open.id, open.expiresAt, now);
    const id = randomBytes(6).toString('hex');
    store.addApproval({
      id,
      principal: call.principal,
      tool: call.tool,
      server: call.server,
      argsDigest: call.digest,
      arguments: call.argsText.length > 16_384 ? `${call.argsText.slice(0, 16_384)}…` : call.argsText,
      reason: call.reason,
      status: 'pending',
      createdAt: now,
      expiresAt: now + this.expiryMs
    });
    this.record(request.downstream, call, 'cancel', `pending ${id} (queued: the client cannot be asked)`, 0);
    this.options.logger.info(`approval ${id} waits: "${call.tool}" (server "${call.server}") for ${call.principal}; manifold approvals grant ${id}`);
    return queuedResult(call, id, now + this.expiryMs, now);
  }

  private store(): ApprovalStore {
    if (!this.opened) {
      this.opened = this.options.store();
      this.opened.pruneApprovals(this.now() - 24 * 60 * 60_000);
    }
    return this.opened;
  }

  private record(downstream: DownstreamContext, call: ApprovalCall, answer: ApprovalAnswer, decision: string, waitedMs: number): void {
    if (!this.options.record) return;
    this.options.record({
      time: this.now(),
      principal: call.principal,
      session: downstream.sessionId,
      view: downstream.view ?? null,
      method: 'manifold/approval',
      target: call.tool,
      upstream: call.upstream,
      server: call.server,
      argsDigest: call.digest,
      argsSize: Buffer.byteLength(call.argsText),
      arguments: null,
      outcome: answer === 'accept' ? 'ok' : 'denied',
      error: decision,
      durationMs: Math.round(waitedMs * 1000) / 1000,
      resultSize: 0,
      runId: downstream.run?.id ?? null,
      stepId: downstream.run?.step ?? null
    });
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
    this.issued.clear();
    this.continuations.clear();
    this.steps.clear();
  }
}

/** The request without the gate's requestState and input responses: the stages after it see a fresh call. */
function withoutState(request: GatewayRequest): GatewayRequest {
  const { requestState: _state, inputResponses: _responses, ...downstream } = request.downstream;
  return { ...request, downstream };
}

function argumentsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function callOf(principal: string, tool: CatalogTool, args: Record<string, unknown>, reason: string): ApprovalCall {
  const { digest, text } = argumentsDigest(args);
  return { principal, tool: tool.name, server: tool.upstream, upstream: tool.originalName, args, digest, argsText: text, reason };
}

function bindingOf(call: ApprovalCall): string {
  return `${call.principal}\0${call.tool}\0${call.digest}`;
}

/** A workflow (or agent) step's call: its run, its step and the call itself; undefined outside a run. */
function stepKey(downstream: DownstreamContext, call: ApprovalCall): string | undefined {
  if (!downstream.run?.step) return undefined;
  return `${downstream.run.id}\0${downstream.run.step}\0${bindingOf(call)}`;
}

/** Sets a key in a bounded map (insertion order: the oldest goes first when full). */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxRemembered) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

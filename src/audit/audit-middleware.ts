import { isManifoldError, ManifoldError } from '../core/errors.js';
import type { GatewayRequest, GatewayResult, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { defaultRedactor, type Redactor, safeRedactText, safeRedactValue } from '../redaction/index.js';
import type { AuditOutcome, AuditRecord } from '../store/index.js';
import type { AuditLog } from './audit-log.js';
import { redactSecrets } from './canonical-json.js';
import { digestOf } from './chain.js';

/** Where a limited tool result names its limit (src/limits' limitMetaKey; the audit layer does not import limits). */
const limitMetaKey = 'manifold/limit';

/** Who serves a request's target: its name on the server, and the server. */
export type ResolveTarget = (request: GatewayRequest) => { upstream: string | null; server: string | null };

/** Errors a wrapped stage refused with before passing the request on (the rules stage's denials). */
const refusals = new WeakSet<object>();

/**
 * Wraps a stage so that an error it throws before calling the next stage counts as `denied` in the audit log: the
 * rules stage, whose refusal is the unknown-tool error (indistinguishable, to the caller, from a real unknown tool).
 */
export function markRefusals(stage: Middleware): Middleware {
  return next => {
    const passed = new WeakSet<GatewayRequest>();
    const inner = stage(request => {
      passed.add(request);
      return next(request);
    });
    return async request => {
      try {
        return await inner(request);
      } catch (error) {
        if (!passed.has(request) && typeof error === 'object' && error !== null) refusals.add(error);
        throw error;
      }
    };
  };
}

function targetOf(request: GatewayRequest): string | null {
  const { params } = request;
  if (typeof params.name === 'string') return params.name;
  if (typeof params.uri === 'string') return params.uri;
  const ref = params.ref as { name?: unknown; uri?: unknown } | undefined;
  if (typeof ref?.name === 'string') return ref.name;
  if (typeof ref?.uri === 'string') return ref.uri;
  return null;
}

function argumentsOf(request: GatewayRequest): unknown {
  const { params } = request;
  if (request.method === 'completion/complete') return { argument: params.argument, context: params.context };
  return params.arguments ?? {};
}

function outcomeOfResult(result: GatewayResult, redactor: Redactor): { outcome: AuditOutcome; error: string | null } {
  if (result.isError !== true) return { outcome: 'ok', error: null };
  const meta = result._meta as Record<string, unknown> | undefined;
  if (meta?.[limitMetaKey] !== undefined) return { outcome: 'limited', error: 'RATE_LIMITED' };
  const content = result.content as { type?: string; text?: string }[] | undefined;
  const text = content?.find(part => part.type === 'text')?.text;
  // Redacted whole, then cut: a secret cut in two would not be recognised.
  return { outcome: 'tool_error', error: text ? safeRedactText(text, redactor).slice(0, 200) : null };
}

function outcomeOfError(error: unknown): { outcome: AuditOutcome; error: string } {
  const code = isManifoldError(error) ? error.code : ((error as { code?: unknown })?.code !== undefined ? String((error as { code: unknown }).code) : 'INTERNAL');
  if (typeof error === 'object' && error !== null && refusals.has(error)) return { outcome: 'denied', error: code };
  if (code === 'RATE_LIMITED' || code === 'UPSTREAM_BUSY') return { outcome: 'limited', error: code };
  return { outcome: 'protocol_error', error: code };
}

function redactTarget(target: string | null, redactor: Redactor): string | null {
  return target === null ? null : safeRedactText(target, redactor);
}

/**
 * The pipeline's outermost stage: one audit row per request, committed (hash-chained; group commit with the
 * rows of calls that finish in the same turn) after the request is answered and before the answer goes back, whatever
 * the answer (a denial, a limit, an error). A row that cannot be written fails the request with `audit.onFailure:
 * withhold` (no answered call goes unrecorded); by default the answer is served and the failure logged.
 */
export function createAuditMiddleware(log: AuditLog, resolve: ResolveTarget): Middleware {
  const unrecorded = new UnrecordedCalls();
  // Secrets and PII in arguments, targets and error texts are redacted, always; a redactor that throws writes its marker.
  const redactor = log.options.redactor ?? defaultRedactor;
  return next => async request => {
    const started = Date.now();
    const startedAt = performance.now();
    let result: GatewayResult | undefined;
    let failure: unknown;
    let threw = false;
    try {
      result = await next(request);
    } catch (error) {
      failure = error;
      threw = true;
    }
    const outcome = threw ? outcomeOfError(failure) : outcomeOfResult(result as GatewayResult, redactor);
    const args = digestOf(argumentsOf(request));
    const principal = principalOf(request.downstream);
    const { downstream } = request;
    let where: { upstream: string | null; server: string | null };
    try {
      where = resolve(request);
    } catch {
      where = { upstream: null, server: null };
    }
    const record: Omit<AuditRecord, 'seq'> = {
      time: started,
      principal: `${principal.kind}:${principal.name}`,
      session: downstream.sessionId,
      view: downstream.view ?? null,
      method: request.method,
      target: redactTarget(targetOf(request), redactor),
      upstream: where.upstream,
      server: where.server,
      argsDigest: args.digest,
      argsSize: args.size,
      arguments: log.options.arguments ? JSON.stringify(safeRedactValue(redactSecrets(argumentsOf(request)), redactor)) : null,
      outcome: outcome.outcome,
      error: outcome.error,
      durationMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
      resultSize: threw ? 0 : Buffer.byteLength(JSON.stringify(result)),
      runId: downstream.run?.id ?? null,
      stepId: downstream.run?.step ?? null
    };
    try {
      await log.append(record);
    } catch (error) {
      const what = `the audit log could not record this ${request.method} (${record.target ?? ''}): ${(error as Error).message}`;
      if (log.options.onFailure === 'withhold') {
        throw new ManifoldError('INTERNAL', `${what}; the answer is withheld (audit.onFailure: withhold). Check the store (store.path) is writable`, { cause: error });
      }
      unrecorded.report(log, what);
    }
    if (threw) throw failure;
    return result as GatewayResult;
  };
}

/** Calls answered without a row (audit.onFailure: serve): logged as an error at once, then at most once a minute. */
class UnrecordedCalls {
  private count = 0;
  private lastLoggedAt = Number.NEGATIVE_INFINITY;

  report(log: AuditLog, what: string): void {
    this.count++;
    const now = Date.now();
    if (now - this.lastLoggedAt < 60_000) return;
    log.options.logger.error(
      `${what}; answered without a row (${this.count} call(s) unrecorded so far). Check the store (store.path) is writable, or set audit.onFailure: withhold to refuse such calls`
    );
    this.lastLoggedAt = now;
  }
}

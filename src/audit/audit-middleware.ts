import { classifyError, classifyResult } from '../core/call-outcome.js';
import { ManifoldError } from '../core/errors.js';
import type { CountedTokens, GatewayRequest, GatewayResult, Middleware } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import { defaultRedactor, type Redactor, safeRedactText, safeRedactValue } from '../redaction/index.js';
import type { AuditRecord, AuditRow } from '../store/index.js';
import type { AuditLog } from './audit-log.js';
import { redactSecrets } from './canonical-json.js';
import { digestOf } from './chain.js';

/** Who serves a request's target: its name on the server, and the server. */
export type ResolveTarget = (request: GatewayRequest) => { upstream: string | null; server: string | null };

function targetOf(request: GatewayRequest): string | null {
  const { params } = request;
  if (typeof params.name === 'string') return params.name;
  if (typeof params.uri === 'string') return params.uri;
  const ref = params.ref as { name?: unknown; uri?: unknown } | undefined;
  if (typeof ref?.name === 'string') return ref.name;
  if (typeof ref?.uri === 'string') return ref.uri;
  return null;
}

/** The run a call made (a workflow's, an agent's result: `_meta["manifold/run-id"]`). */
function runIdOf(result: GatewayResult | undefined): string | undefined {
  const runId = (result?._meta as Record<string, unknown> | undefined)?.['manifold/run-id'];
  return typeof runId === 'string' ? runId : undefined;
}

function argumentsOf(request: GatewayRequest): unknown {
  const { params } = request;
  if (request.method === 'completion/complete') return { argument: params.argument, context: params.context };
  return params.arguments ?? {};
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
    // With token accounting on, the call's tokens come later (counted in a batch): a `tokens` row then names this one.
    let tokens: CountedTokens | undefined;
    let written: AuditRow | undefined;
    if (log.options.tokens) {
      request = {
        ...request,
        onTokens: counted => {
          tokens = counted;
          if (written) log.appendTokens(written, counted);
        }
      };
    }
    try {
      result = await next(request);
    } catch (error) {
      failure = error;
      threw = true;
    }
    const outcome = threw ? classifyError(failure) : classifyResult(result as GatewayResult, text => safeRedactText(text, redactor));
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
      // A step's call carries its run and step; a call that is a run itself (a workflow, an agent, an orchestrator,
      // a router called directly) the run it made.
      runId: downstream.run?.id ?? runIdOf(result) ?? null,
      stepId: downstream.run?.step ?? null
    };
    try {
      written = await log.append(record);
      if (tokens) log.appendTokens(written, tokens);
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

import { isManifoldError } from './errors.js';
import type { GatewayRequest, GatewayResult, Middleware } from './pipeline.js';

/**
 * How a call through the pipeline ended, as the audit log's `outcome` and the metrics' `outcome` label both say it
 * (docs/OBSERVABILITY.md): one classification, so a row and a counter never disagree.
 */
export type CallOutcome = 'ok' | 'tool_error' | 'protocol_error' | 'denied' | 'limited';

/** What refused a limited call: `limits.calls` rate or in-flight limits, a full server queue, `limits.http`, a token budget. */
export type LimitKind = 'rate' | 'inFlight' | 'upstream' | 'http' | 'budget';

export interface ClassifiedOutcome {
  outcome: CallOutcome;
  /** The error code (`RATE_LIMITED`, `BUDGET_EXCEEDED`, `TOOL_NOT_FOUND`, …) or a tool error's first text (200 characters); null when ok. */
  error: string | null;
  /** For `limited`: what refused it. */
  limitKind?: LimitKind;
}

/** Where a refused tool call's result names its limit (src/limits) or its budget (src/usage). */
const limitMetaKey = 'manifold/limit';
const budgetMetaKey = 'manifold/budget';
const limitKinds: ReadonlySet<string> = new Set(['rate', 'inFlight', 'upstream', 'http', 'budget']);

const ok: ClassifiedOutcome = { outcome: 'ok', error: null };

/** Errors a wrapped stage refused with before passing the request on, for something that exists (the rules' denials). */
const refusals = new WeakSet<object>();

/**
 * Wraps a stage so that an error it throws before calling the next stage, for a request whose target `exists`,
 * classifies as `denied`: the rules stage, whose refusal is the unknown-tool error (the same, to the caller, as a
 * real unknown tool). A name nothing serves stays a protocol error, rules or not.
 */
export function markRefusals(stage: Middleware, exists: (request: GatewayRequest) => boolean): Middleware {
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
        if (!passed.has(request) && typeof error === 'object' && error !== null && exists(request)) refusals.add(error);
        throw error;
      }
    };
  };
}

function limitKindOf(kind: unknown, fallback: LimitKind): LimitKind {
  return typeof kind === 'string' && limitKinds.has(kind) ? (kind as LimitKind) : fallback;
}

/** An answer's outcome: ok, a limit's or a budget's refusal (a tool error carrying `_meta["manifold/limit"|"manifold/budget"]`), or a tool error. */
/** `clean`: applied to a tool error's text before it is cut (the audit log redacts it whole: a secret cut in two would not be recognised). */
export function classifyResult(result: GatewayResult, clean?: (text: string) => string): ClassifiedOutcome {
  if (result.isError !== true) return ok;
  const meta = result._meta as Record<string, unknown> | undefined;
  const limit = meta?.[limitMetaKey] as { kind?: unknown } | undefined;
  if (limit !== undefined) return { outcome: 'limited', error: 'RATE_LIMITED', limitKind: limitKindOf(limit.kind, 'rate') };
  if (meta?.[budgetMetaKey] !== undefined) return { outcome: 'limited', error: 'BUDGET_EXCEEDED', limitKind: 'budget' };
  const content = result.content as { type?: string; text?: string }[] | undefined;
  const text = Array.isArray(content) ? content.find(part => part.type === 'text')?.text : undefined;
  return { outcome: 'tool_error', error: text ? (clean ? clean(text) : text).slice(0, 200) : null };
}

/** A thrown error's outcome: denied (marked by {@link markRefusals}), limited (a limit, a full queue, a budget), else a protocol error. */
export function classifyError(error: unknown): ClassifiedOutcome {
  const code = isManifoldError(error)
    ? error.code
    : (error as { code?: unknown } | null)?.code !== undefined
      ? String((error as { code: unknown }).code)
      : 'INTERNAL';
  if (typeof error === 'object' && error !== null && refusals.has(error)) return { outcome: 'denied', error: code };
  switch (code) {
    case 'RATE_LIMITED':
      return { outcome: 'limited', error: code, limitKind: limitKindOf(isManifoldError(error) ? (error.data?.limit as { kind?: unknown } | undefined)?.kind : undefined, 'rate') };
    case 'UPSTREAM_BUSY':
      return { outcome: 'limited', error: code, limitKind: 'upstream' };
    case 'BUDGET_EXCEEDED':
      return { outcome: 'limited', error: code, limitKind: 'budget' };
    default:
      return { outcome: 'protocol_error', error: code };
  }
}

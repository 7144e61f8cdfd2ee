import { errorMessage, isManifoldError } from '../core/errors.js';
import type { GatewayResult } from '../core/pipeline.js';
import type { StepInFlight } from '../store/index.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { serverOf } from './check-workflow-tools.js';
import { clip, clipStart, isPlainObject } from './json-text.js';
import { errorTextOf } from './to-step-value.js';

/** The `_meta` key that carries a run's id on a workflow's result (a nested workflow's failure is told by it). */
export const runIdMetaKey = 'manifold/run-id';

/** Why a step failed: the `reason` of a failed run's error (docs/WORKFLOWS.md, "Read a failed run"). */
export type FailureReason = 'tool-error' | 'timeout' | 'deadline' | 'cancelled' | 'unavailable' | 'not-found' | 'rejected' | 'expression' | 'output' | 'interrupted' | 'error' | 'model-error' | 'model-output' | 'max-refinements';

/** Why a step failed, where, and what the caller can do about it. */
export interface Failure {
  step: string;
  tool?: string | undefined;
  reason: FailureReason;
  message: string;
  hint: string;
  retryable: boolean;
  /** A model's answer that was not the JSON asked for, as it came (model steps). */
  raw?: string | undefined;
}

export class StepFailed extends Error {
  readonly failure: Failure;
  /** What a composite step had finished when it failed (map items in order, parallel branches by name). */
  readonly partial: unknown;
  constructor(failure: Failure, partial?: unknown) {
    super(failure.message);
    this.failure = failure;
    this.partial = partial;
  }
}

/** Why the run's signal aborted. */
export class RunStopped extends Error {
  readonly reason: 'cancelled' | 'deadline';
  constructor(reason: 'cancelled' | 'deadline', message: string) {
    super(message);
    this.reason = reason;
  }
}

export class StepTimeout extends Error {}

/**
 * An error result that is the server refusing the arguments: the MCP SDKs' `Input validation error: …`, or
 * a JSON-RPC invalid-params error (-32602) turned into a result.
 */
const refusedArguments = /^(?:MCP error -32602\b|Input validation error\b)/;
/** JSON-RPC codes that say the caller, not the server, is at fault. */
const invalidParams = -32602;
const methodNotFound = -32601;

/**
 * An error result as a step failure: a nested workflow's failure (its inner step, reason and hint), the server
 * refusing the arguments (`rejected`: a retry with the same arguments cannot help), or the tool failing
 * (`tool-error`, retryable).
 */
export function classifyErrorResult(result: GatewayResult, label: string, tool: string, runId: string): StepFailed {
  const nested = nestedFailure(result, label, tool);
  if (nested) return nested;
  const text = errorTextOf(result);
  if (refusedArguments.test(text)) {
    // MCP SDKs answer a schema violation with an error result, not a JSON-RPC error: a refusal all the same.
    return new StepFailed({
      step: label,
      tool,
      reason: 'rejected',
      message: `the server refused the arguments: ${clip(text, 500)}`,
      hint: 'fix the step\'s "with" to match the tool\'s input schema',
      retryable: false
    });
  }
  return new StepFailed({
    step: label,
    tool,
    reason: 'tool-error',
    message: `the tool reported an error: ${clip(text, 500)}`,
    hint: `check the arguments the step passed (manifold runs ${runId} shows them), or give the step a fallback or onError: continue`,
    retryable: true
  });
}

/**
 * A thrown error as a step failure: a server down or closing (`unavailable`, retryable), a tool not found (or
 * not listed because its server is not connected), the server refusing the request (JSON-RPC invalid params
 * or method not found: `rejected`), any other JSON-RPC error (`tool-error`, retryable: -32603 Internal error is
 * the tool failing, not the caller), anything else (`error`).
 */
export function classifyError(error: unknown, label: string, tool: string | undefined, runId: string, upstreams: ReadonlyMap<string, UpstreamConnection> | undefined): StepFailed {
  if (isManifoldError(error)) {
    switch (error.code) {
      case 'UPSTREAM_UNAVAILABLE':
      case 'UPSTREAM_CLOSED':
      case 'UPSTREAM_TIMEOUT':
      case 'SPAWN_FAILED':
        return new StepFailed({ step: label, tool, reason: 'unavailable', message: error.message, hint: 'the server is down or slow: try again later (manifold doctor shows the servers)', retryable: true });
      case 'TOOL_NOT_FOUND': {
        // Not listed because its server is down (or still starting): that is not a typo in the workflow.
        const server = tool && upstreams ? serverOf(tool, upstreams) : undefined;
        if (server && server.state.kind !== 'ready') {
          const why = server.state.kind === 'failed' ? `failed: ${server.state.reason}` : server.state.kind;
          return new StepFailed({
            step: label,
            tool,
            reason: 'unavailable',
            message: `tool "${tool}" is not available: its server "${server.name}" is not connected (${why})`,
            hint: 'the server is down or still starting: try again later (manifold doctor shows the servers)',
            retryable: true
          });
        }
        return new StepFailed({ step: label, tool, reason: 'not-found', message: error.message, hint: 'fix the tool name in the workflow (manifold workflows check lists such problems)', retryable: false });
      }
      case 'INVALID_PARAMS':
        return new StepFailed({ step: label, tool, reason: 'rejected', message: error.message, hint: 'fix the step\'s "with" to match the tool\'s input schema', retryable: false });
      default:
        return new StepFailed({ step: label, tool, reason: 'error', message: error.message, hint: 'see the gateway log for details, and try again', retryable: error.retryable });
    }
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === invalidParams || code === methodNotFound) {
    // The server refused the request (bad arguments, a method it does not have): the caller's fault, a retry
    // with the same arguments cannot help.
    return new StepFailed({
      step: label,
      tool,
      reason: 'rejected',
      message: `the server refused the call: ${errorMessage(error)}`,
      hint: 'check the step\'s "with" against the tool\'s input schema',
      retryable: false
    });
  }
  if (typeof code === 'number') {
    // Any other JSON-RPC error (-32603 Internal error, a server's own codes) is the tool failing, as an error
    // result would be: retried where the retry policy allows.
    return new StepFailed({
      step: label,
      tool,
      reason: 'tool-error',
      message: `the tool failed with a JSON-RPC error: ${errorMessage(error)}`,
      hint: `the server failed (not the arguments): try again later, or give the step a retry, fallback or onError: continue (manifold runs ${runId} shows the call)`,
      retryable: true
    });
  }
  return new StepFailed({ step: label, tool, reason: 'error', message: errorMessage(error), hint: 'see the gateway log for details, and try again', retryable: false });
}

/**
 * The failure of a workflow called as a step (its result carries a run id and `structuredContent.error`): the
 * inner step, reason and hint instead of the inner run's whole text, and the inner finished steps as the
 * step's partial result.
 */
function nestedFailure(result: GatewayResult, label: string, tool: string): StepFailed | undefined {
  const runId = (result._meta as Record<string, unknown> | undefined)?.[runIdMetaKey];
  const content = result.structuredContent as { error?: Partial<Failure>; partial_results?: unknown } | undefined;
  const inner = content?.error;
  if (typeof runId !== 'string' || !isPlainObject(inner) || typeof inner.step !== 'string' || typeof inner.message !== 'string') return undefined;
  const reason = typeof inner.reason === 'string' ? inner.reason : 'error';
  return new StepFailed(
    {
      step: label,
      tool,
      reason,
      message: `workflow "${tool}" failed at step "${inner.step}"${typeof inner.tool === 'string' ? ` (tool "${inner.tool}")` : ''}: ${clipStart(inner.message, 500)}`,
      // The inner hint names the run to look at; if it does not, name the inner run.
      hint: typeof inner.hint === 'string' && inner.hint.includes('manifold runs ') ? inner.hint : `${inner.hint ?? ''}${inner.hint ? '; ' : ''}the inner run: manifold runs ${runId}`,
      retryable: reason === 'tool-error' || reason === 'timeout' || reason === 'unavailable'
    },
    content?.partial_results
  );
}

/** A resumed run that stops at a call found in flight that is not safe to make again. */
export function interruptedFailure(error: StepInFlight, label: string, tool: string | undefined, runId: string): StepFailed {
  return new StepFailed({
    step: label,
    tool,
    reason: 'interrupted',
    message: error.message,
    hint: `check whether it took effect; then "manifold runs resume ${runId} --force" (or runs_resume with force: true) calls it again, or leave the run as it is`,
    retryable: false
  });
}

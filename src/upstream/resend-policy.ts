import type { Tool } from '@modelcontextprotocol/client';
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';

import { ManifoldError } from '../core/errors.js';

/**
 * How a request was lost with its connection: `not-sent` never reached the server (nothing to undo, safe to
 * send again); `maybe-run` was sent and the connection closed before the answer (the server may have acted).
 */
export type ConnectionLoss = 'not-sent' | 'maybe-run';

export function connectionLossOf(error: unknown): ConnectionLoss | undefined {
  // ProcessTransport refuses to write to a process that is gone.
  if (error instanceof ManifoldError && error.code === 'UPSTREAM_CLOSED') return 'not-sent';
  if (!(error instanceof SdkError)) return undefined;
  switch (error.code) {
    case SdkErrorCode.NotConnected:
      return 'not-sent';
    case SdkErrorCode.ConnectionClosed:
    case SdkErrorCode.SendFailed:
      return 'maybe-run';
    default:
      return undefined;
  }
}

/** Requests that change nothing on the server (by the protocol's own definition), so sending one twice is harmless. */
const readMethods = new Set(['resources/read', 'prompts/get', 'completion/complete', 'resources/subscribe', 'resources/unsubscribe']);

/**
 * Whether a request lost with its connection may be sent once more when the server is back: one that never
 * reached the server always; one that may have run only when it has no effects: a read, or a call of a tool
 * marked `readOnlyHint` or `idempotentHint`. `toolResendable` is that judgement made by the caller (from the
 * annotations as the config corrects them); absent, the tool's annotations as the server lists them decide.
 */
export function mayResend(method: string, params: Record<string, unknown>, tools: readonly Tool[], loss: ConnectionLoss, toolResendable?: boolean): boolean {
  if (loss === 'not-sent') return true;
  if (method !== 'tools/call') return readMethods.has(method);
  if (toolResendable !== undefined) return toolResendable;
  const annotations = tools.find(tool => tool.name === params.name)?.annotations;
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
}

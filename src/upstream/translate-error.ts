import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

import { errorMessage, ManifoldError } from '../core/errors.js';

/**
 * An error from one request to server `server` as the gateway reports it: timeouts and closed connections
 * become typed ManifoldErrors that name the call and what to do; a JSON-RPC error from the server passes
 * through unchanged.
 */
export function translateUpstreamError(
  error: unknown,
  server: string,
  describe: string,
  timeoutMs: number,
  /** For a call lost with its connection: whether it was sent once more after the restart. */
  resend: 'not-allowed' | 'failed-again' | undefined = undefined
): unknown {
  const where = `${describe} on server "${server}"`;
  const auth = authFailureIn(error);
  if (auth) return new ManifoldError(auth.code, `${where} failed: ${auth.message}`, { cause: error, data: { server } });
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.RequestTimeout:
        return new ManifoldError('UPSTREAM_TIMEOUT', `${where} did not answer within ${timeoutMs} ms (raise servers.${server}.timeout if it needs longer)`, {
          cause: error,
          data: { server, timeoutMs }
        });
      case SdkErrorCode.ConnectionClosed:
      case SdkErrorCode.NotConnected:
      case SdkErrorCode.SendFailed:
        return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: ${closedDuringCall(resend)}`, { cause: error, data: { server } });
      default:
        if (error instanceof SdkHttpError) {
          return new ManifoldError('UPSTREAM_ERROR', `${where} failed: HTTP ${error.status}: ${error.message}`, {
            cause: error,
            data: { server, status: error.status }
          });
        }
        return new ManifoldError('UPSTREAM_ERROR', `${where} failed: ${error.message}`, { cause: error, data: { server } });
    }
  }
  if (error instanceof ManifoldError && error.code === 'UPSTREAM_CLOSED') {
    const message = resend === 'failed-again' ? closedDuringCall(resend) : `${error.message} (it is being restarted; try again)`;
    return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: ${message}`, { cause: error, data: { server } });
  }
  // ProtocolError from the upstream (a JSON-RPC error) passes through unchanged.
  return error;
}

/** Why a connect attempt failed, with the HTTP status and the server's last stderr lines where there are any. */
export function describeConnectFailure(error: unknown, stderr: readonly string[]): string {
  // Getting a token failed: that is the reason, whichever request of the handshake it happened on.
  const auth = authFailureIn(error);
  if (auth) return auth.message;
  let reason = errorMessage(error);
  if (error instanceof SdkHttpError) reason = `HTTP ${error.status}${error.statusText ? ' ' + error.statusText : ''}: ${reason}`;
  if (stderr.length > 0) reason += ` (last stderr: ${stderr.slice(-3).join(' | ')})`;
  return reason;
}

/** A 2025 HTTP session the server no longer knows (404): re-initialise and send once more. */
export function isSessionExpired(error: unknown): boolean {
  return error instanceof SdkHttpError && error.status === 404;
}

function closedDuringCall(resend: 'not-allowed' | 'failed-again' | undefined): string {
  switch (resend) {
    case 'not-allowed':
      return "the server's connection closed during the call, so it may have run; it was not sent again, since the tool is not marked readOnlyHint or idempotentHint (the server is being restarted; call again if that is safe)";
    case 'failed-again':
      return "the server's connection closed during the call, and again when it was sent once more after the restart";
    case undefined:
      return "the server's connection closed during the call (it is being restarted; try again)";
  }
}

/** An OAuth failure toward the server (login required, token endpoint refused) in an error's cause chain. */
export function authFailureIn(error: unknown): ManifoldError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current instanceof ManifoldError && (current.code === 'UPSTREAM_AUTH_REQUIRED' || current.code === 'UPSTREAM_AUTH_FAILED')) return current;
    current = current.cause;
  }
  return undefined;
}

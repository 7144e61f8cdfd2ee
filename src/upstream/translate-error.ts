import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

import { errorMessage, ManifoldError } from '../core/errors.js';

/**
 * An error from one request to server `server` as the gateway reports it: timeouts and closed connections
 * become typed ManifoldErrors that name the call and what to do; a JSON-RPC error from the server passes
 * through unchanged.
 */
export function translateUpstreamError(error: unknown, server: string, describe: string, timeoutMs: number): unknown {
  const where = `${describe} on server "${server}"`;
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
        return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: the server's connection closed during the call (it is being restarted; try again)`, {
          cause: error,
          data: { server }
        });
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
    return new ManifoldError('UPSTREAM_CLOSED', `${where} failed: ${error.message}`, { cause: error, data: { server } });
  }
  // ProtocolError from the upstream (a JSON-RPC error) passes through unchanged.
  return error;
}

/** Why a connect attempt failed, with the HTTP status and the server's last stderr lines where there are any. */
export function describeConnectFailure(error: unknown, stderr: readonly string[]): string {
  let reason = errorMessage(error);
  if (error instanceof SdkHttpError) reason = `HTTP ${error.status}${error.statusText ? ' ' + error.statusText : ''}: ${reason}`;
  if (stderr.length > 0) reason += ` (last stderr: ${stderr.slice(-3).join(' | ')})`;
  return reason;
}

/** A 2025 HTTP session the server no longer knows (404): re-initialise and send once more. */
export function isSessionExpired(error: unknown): boolean {
  return error instanceof SdkHttpError && error.status === 404;
}

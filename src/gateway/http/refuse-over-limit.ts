import type { ServerResponse } from 'node:http';

import { errorTable } from '../../core/errors.js';
import type { HttpRequestLimit } from '../../limits/index.js';
import type { Principal } from '../../core/principal.js';

/**
 * The HTTP face's stage of `limits.http`: counts the request against its principal's window (known once
 * its credentials are checked) and, when the
 * window is full, answers 429 with `Retry-After` (seconds) and a JSON-RPC error naming the limit. Returns
 * whether the request may go on.
 */
export function createHttpLimitStage(
  limit: HttpRequestLimit
): (principal: Principal, res: ServerResponse) => Promise<boolean> {
  return async (principal, res) => {
    const refusal = await limit(principal);
    if (!refusal) return true;
    res.writeHead(errorTable.RATE_LIMITED.http, {
      'content-type': 'application/json',
      'retry-after': String(refusal.retryAfterSeconds)
    });
    res.end(
      JSON.stringify({
        jsonrpc: '2.0',
        error: {
          code: errorTable.RATE_LIMITED.jsonRpc,
          message: refusal.message,
          data: { code: 'RATE_LIMITED', limit: refusal.limit, retryAfterMs: refusal.retryAfterMs }
        },
        id: null
      })
    );
    return false;
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';

import type { Principal } from '../../core/principal.js';
import { header } from './read-json-body.js';

/**
 * One 2026-07-28 request through the SDK's web-standard handler, with the body already parsed. The SDK's
 * toNodeHandler() would serialise the parsed body again into the Request; the handler reads the parsed body
 * it is given, so the Request carries none. The response is written back as toNodeHandler() does: headers,
 * then the body chunk by chunk with write backpressure, stopping when the client goes away.
 */
export async function serveModernRequest(handler: McpHttpHandler, req: IncomingMessage, res: ServerResponse, body: unknown, principal?: Principal): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || name === 'content-length' || name === 'transfer-encoding' || name === 'content-encoding') continue;
    // The caller's credential stops at the authenticator: nothing past it (handlers, upstream calls) can read it.
    if (name === 'authorization' || name === 'x-api-key') continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const request = new Request(`http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`, { method: 'POST', headers, signal: abort.signal });
  let response: Response;
  try {
    response = await handler.fetch(request, { parsedBody: body, ...(principal ? { authInfo: toAuthInfo(principal) } : {}) });
  } catch {
    const id = (body as { id?: unknown } | null)?.id;
    response = Response.json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: typeof id === 'string' || typeof id === 'number' ? id : null }, { status: 500 });
  }
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of response.headers) responseHeaders[name] = value;
  res.writeHead(response.status, responseHeaders);
  if (response.body === null) {
    finished = true;
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (abort.signal.aborted) break;
      if (!res.write(chunk)) {
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done);
            abort.signal.removeEventListener('abort', done);
            resolve();
          };
          res.on('drain', done);
          abort.signal.addEventListener('abort', done);
        });
      }
    }
  } catch {
    // The stream failed or the client went away: end what was sent.
  }
  finished = true;
  res.end();
}

/**
 * The principal as the SDK's AuthInfo, the one per-request value its handler passes to the server factory. It
 * carries no secret: `token` is empty (the client's credential never travels further than the authenticator).
 */
export function toAuthInfo(principal: Principal): AuthInfo {
  return { token: '', clientId: principal.name, scopes: [...(principal.scopes ?? [])], extra: { principal } };
}

/** The principal a request's AuthInfo carries (set by {@link toAuthInfo}), if any. */
export function principalOfAuthInfo(authInfo: AuthInfo | undefined): Principal | undefined {
  return authInfo?.extra?.principal as Principal | undefined;
}

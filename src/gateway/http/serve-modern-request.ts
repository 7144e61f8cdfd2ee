import type { IncomingMessage, ServerResponse } from 'node:http';

import type { McpHttpHandler } from '@modelcontextprotocol/server';

import { header } from './read-json-body.js';

/**
 * One 2026-07-28 request through the SDK's web-standard handler, with the body already parsed. The SDK's
 * toNodeHandler() would serialise the parsed body again into the Request; the handler reads the parsed body
 * it is given, so the Request carries none. The response is written back as toNodeHandler() does: headers,
 * then the body chunk by chunk with write backpressure, stopping when the client goes away.
 */
export async function serveModernRequest(handler: McpHttpHandler, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || name === 'content-length' || name === 'transfer-encoding' || name === 'content-encoding') continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const request = new Request(`http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`, { method: 'POST', headers, signal: abort.signal });
  let response: Response;
  try {
    response = await handler.fetch(request, { parsedBody: body });
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

import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** One keep-alive pool per scheme for every upstream of the process (sockets are reused across calls). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Statuses whose responses have no body (fetch's "null body status"), and HEAD. */
const bodyless = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` over node:http for the SDK's HTTP client transports, which take a fetch of the caller's choosing.
 * Node's built-in fetch (undici) costs about 0.5 ms more per request than node:http on loopback (measured
 * in docs/PERFORMANCE.md), on every call to an HTTP upstream. This covers what those transports use: string
 * or URL input, method, headers, a string body, an AbortSignal, streamed response bodies (SSE), compressed
 * bodies, and `redirect: 'manual'` (the SDK follows redirects itself; a 3xx is returned as it is). Any other
 * use (a Request input, a stream body, `redirect: 'follow'`) goes to the built-in fetch unchanged.
 */
export const nodeFetch: typeof fetch = (input, init) => {
  const body = init?.body;
  if (input instanceof Request || (body !== undefined && body !== null && typeof body !== 'string') || (init?.redirect ?? 'follow') === 'follow') {
    return fetch(input, init);
  }
  const url = input instanceof URL ? input : new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));

  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
  if (body !== undefined && body !== null) headers['content-length'] = String(Buffer.byteLength(body));
  const method = (init?.method ?? 'GET').toUpperCase();

  return new Promise<Response>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http });
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      const reason = abortReason(signal);
      req.destroy(reason);
      response?.destroy(reason);
      reject(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const release = () => signal?.removeEventListener('abort', onAbort);
    req.on('error', error => {
      release();
      reject(new TypeError('fetch failed', { cause: error }));
    });
    req.on('response', res => {
      response = res;
      res.on('close', release);
      try {
        resolve(toResponse(res, method));
      } catch (error) {
        // A status a Response cannot carry (outside 200-599, e.g. a broken upstream's 600): fail this request,
        // never the process.
        res.destroy();
        release();
        reject(new TypeError('fetch failed', { cause: error }));
      }
    });
    req.end(body ?? undefined);
  });
};

/** The web Response of a node:http response: all header values, the body streamed (decompressed). */
function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let index = 0; index < res.rawHeaders.length; index += 2) headers.append(res.rawHeaders[index]!, res.rawHeaders[index + 1]!);
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? '', headers };
  if (bodyless.has(status) || method === 'HEAD') {
    res.resume();
    return new Response(null, init);
  }
  const decoded = decode(res, res.headers['content-encoding']);
  if (decoded !== res) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return new Response(Readable.toWeb(decoded) as ReadableStream<Uint8Array>, init);
}

/** The body, decompressed as its Content-Encoding says (as fetch does). */
function decode(res: IncomingMessage, encoding: string | undefined): Readable {
  const codec = encoding?.trim().toLowerCase();
  const decoder = codec === 'gzip' || codec === 'x-gzip' ? createGunzip() : codec === 'deflate' ? createInflate() : codec === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.on('error', error => decoder.destroy(error));
  // A body cancelled part-way ends its response too (else the socket stays paused and is never reused).
  decoder.on('close', () => {
    if (!res.complete) res.destroy();
  });
  return res.pipe(decoder);
}

/** Why the signal aborted, as an Error (fetch rejects with the reason; a non-Error one is wrapped). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'This operation was aborted', 'AbortError');
}

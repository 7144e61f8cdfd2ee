/** One raw HTTP request (node:http, so that Host, Origin and malformed paths go out exactly as written). */
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function rawHttp(url: string, options: { method: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) };
    const req = request(
      { host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port, path: options.path ?? `${target.pathname}${target.search}`, method: options.method, headers },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          body += chunk;
          // An SSE stream does not end: its first event is enough.
          if (res.headers['content-type']?.startsWith('text/event-stream') && body.includes('\n\n')) req.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.on('end', done);
        res.on('close', done);
      }
    );
    // The server may answer (413) and close before the whole body is written.
    req.on('error', error => ((error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(options.body);
  });
}

/** Opens a GET stream (an SSE endpoint), reads until `pattern` matches, closes it and returns the first group. */
export function rawHttpStream(url: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    const req = request(url, { method: 'GET' }, res => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        const found = pattern.exec(body);
        if (found) {
          clearTimeout(timer);
          req.destroy();
          resolve(found[1] ?? found[0]);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${url}: no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(body.slice(0, 500))}`));
    }, timeoutMs);
    req.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

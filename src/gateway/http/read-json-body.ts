import type { IncomingMessage } from 'node:http';

import { errorMessage } from '../../core/errors.js';

/** A request body past the limit; answered 413. */
export class BodyTooLargeError extends Error {}

/** Reads a POSTed body and parses it as JSON; throws BodyTooLargeError past `limit` bytes, or a parse error. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Parse error: the body is not JSON (${errorMessage(error)})`);
  }
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

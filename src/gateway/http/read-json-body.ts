import type { IncomingMessage, ServerResponse } from 'node:http';

import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { tooLargeMessage } from '../json-rpc-frames.js';
import { sendJsonRpcError } from './http-responses.js';

/** A request body past the limit; answered 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/** Reads a POSTed body and parses it as JSON; throws BodyTooLargeError past `limit` bytes, or a parse error. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Parse error: the body is not JSON (${errorMessage(error)})`);
  }
}

/**
 * A POSTed JSON-RPC body, or undefined once the request is answered: 413 with a JSON-RPC error (-32600) past
 * `gateway.maxMessageBytes` (logged at warn), 400 (-32700) when it is not JSON. The connection and the
 * session go on either way.
 */
export async function readJsonRpcBody(req: IncomingMessage, res: ServerResponse, limit: number, logger: Logger): Promise<{ body: unknown } | undefined> {
  try {
    return { body: await readJsonBody(req, limit) };
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const declared = Number(header(req, 'content-length'));
      const bytes = Number.isFinite(declared) && declared > limit ? declared : undefined;
      logger.warn(`${req.method} ${req.url}: refused a message ${bytes === undefined ? 'larger than' : `of ${bytes} bytes, over`} gateway.maxMessageBytes (${limit} bytes)`);
      sendJsonRpcError(res, 413, -32600, tooLargeMessage(bytes, limit));
    } else {
      sendJsonRpcError(res, 400, -32700, errorMessage(error));
    }
    return undefined;
  }
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

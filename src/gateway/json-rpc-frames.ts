import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';

/** A batch larger than this is refused (as the SDK's HTTP transport does). */
export const maxBatchSize = 100;

/** What one frame (a POST body, a stdio line) carries, or why it is refused and the id to refuse it with. */
export type Frame =
  | { ok: true; messages: JSONRPCMessage[]; batch: boolean }
  | { ok: false; code: number; message: string; id: RequestId | null };

/**
 * One parsed frame as the JSON-RPC messages it carries, by the same rules on every face (stdio lines, 2025
 * Streamable HTTP and legacy HTTP+SSE POSTs): one message, or a batch of 1 to 100 (batches are accepted in
 * every 2025-era session, as the SDK's HTTP transport accepts them; docs/ARCHITECTURE.md). JSON that is not
 * JSON-RPC is refused whole with -32600 Invalid Request (JSON-RPC 2.0; -32700 is for text that is not JSON),
 * with the request's id when it has one.
 */
export function toJsonRpcMessages(value: unknown): Frame {
  if (Array.isArray(value)) {
    if (value.length === 0) return { ok: false, code: -32600, message: 'Invalid Request: an empty batch', id: null };
    if (value.length > maxBatchSize) return { ok: false, code: -32600, message: `Invalid Request: Batch must not exceed ${maxBatchSize} messages`, id: null };
  }
  const messages: JSONRPCMessage[] = [];
  for (const raw of Array.isArray(value) ? value : [value]) {
    const parsed = JSONRPCMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const what = 'not a JSON-RPC message (jsonrpc "2.0" with a method, or an id with a result or an error)';
      return Array.isArray(value)
        ? { ok: false, code: -32600, message: `Invalid Request: the batch contains a message that is ${what}`, id: null }
        : { ok: false, code: -32600, message: `Invalid Request: ${what}`, id: idOf(value) };
    }
    messages.push(parsed.data);
  }
  return { ok: true, messages, batch: Array.isArray(value) };
}

/** The id of a would-be request, if it has a usable one. */
export function idOf(value: unknown): RequestId | null {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** A JSON-RPC error response. */
export function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage;
}

/** The message a client gets for a frame over `gateway.maxMessageBytes`. */
export function tooLargeMessage(bytes: number | undefined, limit: number): string {
  const size = bytes === undefined ? 'larger than' : `${bytes} bytes, over`;
  return `Invalid Request: the message is ${size} the limit of ${limit} bytes (gateway.maxMessageBytes); send a smaller one, or raise gateway.maxMessageBytes in the config`;
}

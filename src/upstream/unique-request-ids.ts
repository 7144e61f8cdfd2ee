import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';

type Id = string | number;

/**
 * Wraps a transport so that the requests it sends carry ids from a counter shared by every transport wrapped
 * with it, and answers come back under the ids their client gave them. A client made for one request starts
 * counting at 0 like any other; without this, every such request (and an input_required retry, which MUST
 * have a new id) would go out as id 0.
 */
export function withUniqueRequestIds(inner: Transport, nextId: () => number): Transport {
  const originals = new Map<Id, Id>();
  let onmessage: Transport['onmessage'];
  inner.onmessage = (message: JSONRPCMessage, extra?: unknown) => {
    const wire = message as { id?: Id; method?: unknown };
    if (wire.method === undefined && wire.id !== undefined && originals.has(wire.id)) {
      const id = originals.get(wire.id) as Id;
      originals.delete(wire.id);
      message = { ...message, id };
    }
    (onmessage as ((message: JSONRPCMessage, extra?: unknown) => void) | undefined)?.(message, extra);
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'onmessage') return onmessage;
      if (property === 'send') {
        return (message: JSONRPCMessage, options?: unknown) => {
          const request = message as { id?: Id; method?: unknown };
          if (typeof request.method === 'string' && request.id !== undefined) {
            const id = nextId();
            originals.set(id, request.id);
            message = { ...message, id };
          }
          return (target.send as (message: JSONRPCMessage, options?: unknown) => Promise<void>).call(target, message, options);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set(target, property, value, receiver) {
      if (property === 'onmessage') {
        onmessage = value as Transport['onmessage'];
        return true;
      }
      return Reflect.set(target, property, value, receiver);
    }
  });
}

/**
 * JSON-RPC frames for the face fuzzers: arbitrary and mutated messages, batches and garbage, and the check every
 * answer must pass (a JSON-RPC response with a result or a typed error, or a notification/request of the server's).
 */
import fc from 'fast-check';

const methods = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'server/discover',
  'tasks/get',
  'tasks/list',
  'tasks/cancel',
  'sampling/createMessage',
  'roots/list',
  'elicitation/create',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/message'
];

const id = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 10 }),
  fc.constant(null),
  fc.double(),
  fc.jsonValue({ maxDepth: 1 })
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });

const params = fc.oneof(
  jsonValue,
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('echo__echo', 'echo__missing', ''), fc.string({ maxLength: 20 })),
      arguments: fc.oneof(fc.record({ message: fc.oneof(fc.string({ maxLength: 30 }), jsonValue) }), jsonValue),
      uri: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })),
      protocolVersion: fc.constantFrom('2025-06-18', '2025-11-25', '2026-07-28', '1999-01-01', ''),
      level: fc.constantFrom('debug', 'info', 'emergency', 'nope'),
      cursor: fc.string({ maxLength: 10 }),
      requestId: id,
      _meta: fc.oneof(
        jsonValue,
        fc.record({ progressToken: id, traceparent: fc.string({ maxLength: 60 }) }, { requiredKeys: [] })
      ),
      capabilities: jsonValue,
      clientInfo: jsonValue,
      ref: jsonValue,
      argument: jsonValue
    },
    { requiredKeys: [] }
  )
);

/** A JSON-RPC-shaped message: each member present or not, well- or ill-typed. */
export const message = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), jsonValue),
    id,
    method: fc.oneof(fc.constantFrom(...methods), fc.string({ maxLength: 20 }), jsonValue),
    params,
    result: jsonValue,
    error: fc.oneof(jsonValue, fc.record({ code: fc.integer(), message: fc.string({ maxLength: 20 }) }))
  },
  { requiredKeys: [] }
);

/** A well-formed request, the seed of the mutations. */
const validRequest = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: fc.integer({ min: 1, max: 1000 }),
  method: fc.constantFrom(...methods),
  params
});

/** Splices a few characters into, or cuts, a text. */
function splice(text: string, at: number, cut: number, insert: string): string {
  const start = at % (text.length + 1);
  return text.slice(0, start) + insert + text.slice(start + (cut % 8));
}

/** One frame's text (no newline in it when `oneLine`: a stdio line). */
export function frame(oneLine: boolean): fc.Arbitrary<string> {
  const text = fc.oneof(
    { weight: 4, arbitrary: message.map(value => JSON.stringify(value)) },
    { weight: 3, arbitrary: validRequest.map(value => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.array(message, { minLength: 0, maxLength: 4 }).map(value => JSON.stringify(value)) },
    { weight: 1, arbitrary: jsonValue.map(value => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(validRequest, fc.nat(), fc.nat(), fc.string({ maxLength: 4 }))
        .map(([value, at, cut, insert]) => splice(JSON.stringify(value), at, cut, insert))
    }
  );
  return oneLine ? text.map(value => value.replace(/[\r\n]/g, ' ')) : text;
}

/** Why a message is not a valid answer of the gateway's, or undefined when it is one. */
export function invalidAnswer(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty batch answer';
    for (const item of value) {
      const why = invalidAnswer(item);
      if (why) return `in a batch: ${why}`;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return 'not an object';
  const record = value as Record<string, unknown>;
  if (record.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  if ('method' in record) return typeof record.method === 'string' ? undefined : 'a method that is not a string';
  if (!('id' in record)) return 'a response without id';
  if ('result' in record === 'error' in record) return 'a response needs a result or an error, not both or neither';
  if ('error' in record) {
    const error = record.error as { code?: unknown; message?: unknown } | null;
    if (!error || !Number.isInteger(error.code) || typeof error.message !== 'string')
      return 'an error without an integer code and a message';
  }
  return undefined;
}

/** Parses one answer text (a JSON line, a JSON body, an SSE event's data) and checks it. */
export function checkAnswerText(text: string, where: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: an answer that is not JSON: ${text.slice(0, 300)}`);
  }
  const why = invalidAnswer(value);
  if (why) throw new Error(`${where}: ${why}: ${text.slice(0, 300)}`);
}

import { ManifoldError } from '../core/errors.js';
import type { GatewayRequest, GatewayResult, Middleware } from '../core/pipeline.js';
import { markerOf } from './redaction-rules.js';
import { type Redactor, safeRedactText } from './redactor.js';

/** What a server's `redact:` asks for (config `security.redact`, `servers.<name>.redact`), normalised. */
export interface RedactModes {
  /** Redact what the server answers: tool results' content and structured content, prompt messages, resource text. */
  results: boolean;
  /** Redact what is sent to the server: tool and prompt arguments. */
  arguments: boolean;
  /** Refuse a call whose arguments carry a high-confidence secret (a private key, a cloud or API key, a JWT…). */
  block: boolean;
}

export interface RedactionStageOptions {
  redactor: Redactor;
  /** The modes for a request: its server's `redact:`, else `security.redact`. */
  modesOf: (request: GatewayRequest) => RedactModes;
  /** Where a refusal says to look (e.g. `servers.github.redact`). */
  configKeyOf: (request: GatewayRequest) => string;
}

/** The members of an answer that carry data (not `_meta`, `isError`, a sealed `requestState`…). */
const dataMembers: Record<string, readonly string[]> = {
  'tools/call': ['content', 'structuredContent'],
  'prompts/get': ['description', 'messages'],
  'resources/read': ['contents']
};

function targetOf(request: GatewayRequest): string {
  const { name, uri } = request.params;
  return typeof name === 'string' ? name : typeof uri === 'string' ? uri : request.method;
}

function toolError(text: string): GatewayResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * The redaction stage (docs/SECURITY.md "Redaction"): per server, arguments are redacted (or the call refused,
 * `block`) before they leave for the server, and results are redacted before any stage outside this one (the
 * cache, usage, audit, the client) sees them. Fails closed: when redacting throws, the call is refused
 * (arguments) or its result replaced by an error (results); nothing passes unredacted.
 */
export function createRedactionMiddleware(options: RedactionStageOptions): Middleware {
  const { redactor } = options;
  return next => async request => {
    const members = dataMembers[request.method];
    if (!members) return next(request);
    const modes = options.modesOf(request);
    if (!modes.results && !modes.arguments && !modes.block) return next(request);
    const target = targetOf(request);
    const isTool = request.method === 'tools/call';
    let forwarded = request;
    const args = request.params.arguments;
    if ((modes.arguments || modes.block) && args !== undefined) {
      let redacted: unknown;
      try {
        if (modes.block) {
          const found = redactor.findHighConfidence(args);
          if (found.length > 0) {
            const what = `the arguments of ${target} carry a secret (${found.map(markerOf).join(', ')}); Manifold does not send it to the server (${options.configKeyOf(request)}: block). Call again without the secret: pass a reference the server resolves itself, or set the secret in the server's own env`;
            if (isTool) return toolError(what);
            throw new ManifoldError('INVALID_PARAMS', what);
          }
        }
        redacted = modes.arguments ? redactor.redactValue(args) : args;
      } catch (error) {
        if (error instanceof ManifoldError) throw error;
        const what = `redacting the arguments of ${target} failed (${(error as Error).message}); the call is refused rather than sent unredacted (${options.configKeyOf(request)}). Report this as a bug; set the server's redact to off to call it meanwhile`;
        if (isTool) return toolError(what);
        throw new ManifoldError('INTERNAL', what, { cause: error });
      }
      if (redacted !== args) forwarded = { ...request, params: { ...request.params, arguments: redacted } };
    }
    let result: GatewayResult;
    try {
      result = await next(forwarded);
    } catch (error) {
      // The server's error message reaches the client as much as its result does.
      if (modes.results && error instanceof Error) error.message = safeRedactText(error.message, redactor);
      throw error;
    }
    if (!modes.results) return result;
    try {
      let out: GatewayResult | undefined;
      for (const member of members) {
        const value = result[member];
        if (value === undefined) continue;
        const redacted = redactor.redactValue(value);
        if (redacted !== value) (out ??= { ...result })[member] = redacted;
      }
      return out ?? result;
    } catch (error) {
      const what = `redacting the result of ${target} failed (${(error as Error).message}); the result is withheld rather than passed unredacted (${options.configKeyOf(request)}). Report this as a bug; set the server's redact to off to call it meanwhile`;
      if (isTool) return toolError(what);
      throw new ManifoldError('INTERNAL', what, { cause: error });
    }
  };
}

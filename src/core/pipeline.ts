import type { ClientCapabilities, LoggingLevel } from '@modelcontextprotocol/server';

import type { Principal } from './principal.js';

/** Methods that travel the pipeline to an upstream. */
export type DispatchMethod =
  | 'tools/call'
  | 'prompts/get'
  | 'resources/read'
  | 'completion/complete'
  | 'resources/subscribe'
  | 'resources/unsubscribe';

/** Who asked, and how to reach them while their request runs. */
export interface DownstreamContext {
  /** The downstream protocol era of this request. */
  era: 'legacy' | 'modern';
  /**
   * Who the caller is, for state that must not cross clients (per-client upstream sessions, which call a
   * server's request to the client belongs to): the downstream session's id, or for a sessionless 2026-07-28
   * HTTP request an id of that request alone (then `requestScoped`).
   */
  sessionId: string;
  /** `sessionId` names one request, not a lasting session: per-client state ends with the request. */
  requestScoped?: boolean;
  /**
   * Who is calling (HTTP: from its API key or bearer token). Absent: the local user (stdio, CLI, no `auth:`);
   * read it with `principalOf`. Workflow steps, agents and workers run as their caller's principal.
   */
  principal?: Principal;
  /** Aborts when the client cancels or disconnects. */
  signal: AbortSignal;
  /** Capabilities the client declared (per request on modern, at initialize on legacy). */
  clientCapabilities: ClientCapabilities | undefined;
  /** The log level the client asked for: per request (modern `_meta` logLevel) or per session (legacy setLevel). */
  logLevel?: LoggingLevel;
  /**
   * Set when the caller is served a view: the catalog name of the tool it may call by `name`, or undefined
   * for a tool outside its view. Absent: the whole catalog. (run_workflow resolves its steps' tools by it.)
   */
  toolScope?: (name: string) => string | undefined;
  /** The view the caller is served (`/mcp/<view>`), by name; absent: the whole catalog (audit, metrics, token accounting, budgets). */
  view?: string;
  /**
   * Set on a workflow step's calls: the workflow, its run, and the model tokens the run has used so far (for
   * token accounting and `budgets` per run).
   */
  workflow?: { name: string; runId: string; modelTokens: () => number };
  /** The workflow (or agent) run this request is a step of, and the step, for the audit log. */
  run?: { id: string; step?: string };
  /** The client's progress token, if it asked for progress. */
  progressToken: string | number | undefined;
  /** Sends a notification related to this request (progress, logs). */
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Relays a log message to this client, honouring its level (session or per request). */
  log(level: LoggingLevel, data: unknown, logger?: string): void;
  /** On legacy connections: sends a request to the client (sampling, elicitation, roots) and awaits it. */
  requestClient?: (method: string, params: Record<string, unknown>, signal: AbortSignal) => Promise<Record<string, unknown>>;
  /** Multi-round-trip fields of a retried modern request, to forward upstream unchanged. */
  inputResponses?: Record<string, unknown>;
  requestState?: string;
}

/** The tokens token accounting counted for one call: its arguments, its answer, the model tokens its answer reported. */
export interface CountedTokens {
  input: number;
  result: number;
  model: number;
}

/** One request on its way through the gateway. */
export interface GatewayRequest {
  method: DispatchMethod;
  params: Record<string, unknown>;
  downstream: DownstreamContext;
  /**
   * Set by the audit stage (with token accounting on): called with the call's tokens once token accounting has
   * counted them, later, off the call's path (the audit log chains them after the call's row).
   */
  onTokens?: (tokens: CountedTokens) => void;
}

export type GatewayResult = Record<string, unknown>;

export type Handler = (request: GatewayRequest) => Promise<GatewayResult>;

/** A pipeline stage: wraps the next handler. */
export type Middleware = (next: Handler) => Handler;

/**
 * Composes middlewares around the dispatcher, first middleware outermost. This is the one place where the
 * order of the pipeline is decided; client calls and workflow steps both go through what it returns.
 */
export function composePipeline(middlewares: readonly Middleware[], dispatch: Handler): Handler {
  return middlewares.reduceRight<Handler>((next, middleware) => middleware(next), dispatch);
}

import type { DownstreamContext } from '../core/pipeline.js';

/**
 * What every model backend does: one model call (a turn) over a provider-neutral conversation. The agent loop,
 * and later the router, orchestrator and model steps, speak only this; `openai/` and `anthropic/` implement it
 * over the providers' wire protocols (the AI SDK's provider packages), `sampling/` will over MCP sampling.
 */

/** A tool offered to the model: a catalog tool's public name, description and JSON Schema input. */
export interface ModelToolDefinition {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** A tool call the model asked for. `arguments` is the JSON text as the model wrote it (it may not parse). */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A call's argument text as an object (empty or blank text is `{}`), or undefined if it is not a JSON object. */
export function parseToolArguments(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What a tool call gave, as the model is told it. */
export interface ModelToolResult {
  callId: string;
  name: string;
  text: string;
  isError: boolean;
}

/** One message of the conversation, provider-neutral (the system prompt travels apart, in `ModelRequest`). */
export type ModelMessage =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls: readonly ModelToolCall[] }
  | { role: 'tool'; results: readonly ModelToolResult[] };

export interface ModelRequest {
  system?: string;
  messages: readonly ModelMessage[];
  /** The only tools the model may call. */
  tools: readonly ModelToolDefinition[];
  signal: AbortSignal;
  /** The client the run serves: the sampling backend asks its model (`sampling/createMessage`). */
  caller?: DownstreamContext;
}

/** Tokens of one model call, as the endpoint reported them (0 when it reported none). */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

/** The model's answer to one request. */
export interface ModelTurn {
  text: string;
  toolCalls: ModelToolCall[];
  usage: ModelUsage;
  /** `stop`, `tool-calls`, `length`, `content-filter`, `error` or `other`. */
  finishReason: string;
  /** How many requests the call took (1 when no retry or repair was needed). */
  attempts: number;
}

/** A configured model (`models.<name>`): one call at a time, retried and timed out by the backend. */
export interface ModelBackend {
  /** The config key (`models.<name>`). */
  readonly name: string;
  /** For messages: `openai model "llama3.1" at http://127.0.0.1:11434/v1/chat/completions`. */
  readonly description: string;
  /** One model call. Throws ManifoldError MODEL_ERROR (naming the model and URL) or CANCELLED. */
  generate(request: ModelRequest): Promise<ModelTurn>;
}

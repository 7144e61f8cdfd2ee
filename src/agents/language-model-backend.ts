import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Message,
  LanguageModelV3Prompt
} from '@ai-sdk/provider';
import { APICallError } from '@ai-sdk/provider';

import type { ModelConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import { sleep } from '../core/race-abort.js';
import {
  type ModelBackend,
  type ModelMessage,
  type ModelRequest,
  type ModelToolCall,
  type ModelTurn,
  parseToolArguments
} from './model-backend.js';

/** Waits between retries: the first, doubled each time (±20 % jitter), capped; a server's retry-after wins. */
const backoff = { baseMs: 500, maxMs: 8000, maxRetryAfterMs: 30_000 };

export interface LanguageModelBackendOptions {
  name: string;
  config: ModelConfig;
  /** The provider's model (AI SDK LanguageModelV3): it speaks the wire; this class adds retries, timeouts and errors. */
  model: LanguageModelV3;
  /** The URL requests go to, for messages. */
  url: string;
}

/**
 * A ModelBackend over an AI SDK provider model. We call `doGenerate` ourselves rather than `generateText`:
 * the agent loop owns the turns (every tool call goes through the gateway pipeline, each turn can be
 * journaled, an invented tool is answered, not thrown), and the model's input is never validated or
 * rewritten on the way (the tool's server judges its arguments).
 */
export class LanguageModelBackend implements ModelBackend {
  readonly name: string;
  readonly description: string;
  private readonly options: LanguageModelBackendOptions;

  constructor(options: LanguageModelBackendOptions) {
    this.options = options;
    this.name = options.name;
    this.description = `model "${options.name}" (${options.config.provider} "${options.config.model ?? ''}" at ${options.url})`;
  }

  async generate(request: ModelRequest): Promise<ModelTurn> {
    const { config, model } = this.options;
    const callOptions: LanguageModelV3CallOptions = {
      prompt: toPrompt(request),
      ...(request.tools.length > 0
        ? {
            tools: request.tools.map(tool => ({
              type: 'function' as const,
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              inputSchema: tool.inputSchema as never
            })),
            toolChoice: { type: 'auto' as const }
          }
        : {}),
      ...(config.maxOutputTokens !== undefined ? { maxOutputTokens: config.maxOutputTokens } : {}),
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {})
    };
    for (let attempt = 1; ; attempt++) {
      if (request.signal.aborted) throw cancelled(this.description);
      const timeout = AbortSignal.timeout(config.timeout);
      try {
        const result = await model.doGenerate({
          ...callOptions,
          abortSignal: AbortSignal.any([request.signal, timeout])
        });
        let text = '';
        const toolCalls: ModelToolCall[] = [];
        for (const part of result.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call' && !part.providerExecuted)
            toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
        }
        return {
          text,
          toolCalls,
          usage: {
            inputTokens: result.usage.inputTokens.total ?? 0,
            outputTokens: result.usage.outputTokens.total ?? 0
          },
          finishReason: result.finishReason.unified,
          attempts: attempt
        };
      } catch (error) {
        if (request.signal.aborted) throw cancelled(this.description);
        const timedOut = timeout.aborted;
        const retryable = timedOut || (APICallError.isInstance(error) && error.isRetryable);
        if (!retryable || attempt > config.maxRetries) throw this.toError(error, attempt, timedOut);
        await sleep(retryDelay(error, attempt), request.signal).catch(() => {
          throw cancelled(this.description);
        });
      }
    }
  }

  private toError(error: unknown, attempts: number, timedOut: boolean): ManifoldError {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    let what: string;
    if (timedOut) what = `no answer within ${this.options.config.timeout} ms (models.${this.name}.timeout)`;
    else if (APICallError.isInstance(error) && error.statusCode !== undefined) {
      const body = error.responseBody?.trim().slice(0, 300);
      const detail = `${error.message}${body && !error.message.includes(body) ? ` (${body})` : ''}`;
      what =
        error.statusCode < 300
          ? `HTTP ${error.statusCode} with a body that is not what the ${this.options.config.provider} API returns: ${detail}`
          : `HTTP ${error.statusCode}: ${detail}`;
    } else if (APICallError.isInstance(error)) what = errorMessage(error);
    else what = `the answer is not what the ${this.options.config.provider} API returns: ${errorMessage(error)}`;
    const hint =
      APICallError.isInstance(error) && (error.statusCode === 401 || error.statusCode === 403)
        ? `check models.${this.name}.apiKey`
        : `check that the endpoint serves the ${this.options.config.provider} API at models.${this.name}.baseURL`;
    return new ManifoldError('MODEL_ERROR', `${this.description} failed${tries}: ${what}; ${hint}`, {
      cause: error,
      data: {
        model: this.name,
        url: this.options.url,
        attempts,
        ...(APICallError.isInstance(error) && error.statusCode !== undefined ? { status: error.statusCode } : {})
      }
    });
  }
}

function cancelled(description: string): ManifoldError {
  return new ManifoldError('CANCELLED', `the call to ${description} was cancelled`);
}

/** The conversation in the AI SDK's provider-neutral prompt form. */
function toPrompt(request: ModelRequest): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Message[] = [];
  if (request.system) prompt.push({ role: 'system', content: request.system });
  for (const message of request.messages) prompt.push(toMessage(message));
  return prompt;
}

function toMessage(message: ModelMessage): LanguageModelV3Message {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: [{ type: 'text', text: message.text }] };
    case 'assistant':
      return {
        role: 'assistant',
        content: [
          ...(message.text ? [{ type: 'text' as const, text: message.text }] : []),
          ...message.toolCalls.map(call => ({
            type: 'tool-call' as const,
            toolCallId: call.id,
            toolName: call.name,
            // the wire wants an object (Anthropic's tool_use input must be one): `{}` when the text is not
            input: parseToolArguments(call.arguments) ?? {}
          }))
        ]
      };
    case 'tool':
      return {
        role: 'tool',
        content: message.results.map(result => ({
          type: 'tool-result' as const,
          toolCallId: result.callId,
          toolName: result.name,
          output: result.isError
            ? { type: 'error-text' as const, value: result.text }
            : { type: 'text' as const, value: result.text }
        }))
      };
  }
}

function retryDelay(error: unknown, attempt: number): number {
  const headers = APICallError.isInstance(error) ? (error.responseHeaders ?? {}) : {};
  const afterMs = Number(headers['retry-after-ms']);
  if (Number.isFinite(afterMs) && afterMs >= 0 && afterMs <= backoff.maxRetryAfterMs) return afterMs;
  const afterSeconds = Number(headers['retry-after']);
  if (Number.isFinite(afterSeconds) && afterSeconds >= 0 && afterSeconds * 1000 <= backoff.maxRetryAfterMs)
    return afterSeconds * 1000;
  const delay = Math.min(backoff.baseMs * 2 ** (attempt - 1), backoff.maxMs);
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

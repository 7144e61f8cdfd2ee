import { randomUUID } from 'node:crypto';

import * as z from 'zod/v4';

import type { ModelConfig } from '../../config/index.js';
import { errorMessage, ManifoldError } from '../../core/errors.js';
import type { DownstreamContext } from '../../core/pipeline.js';
import { extractJsonObject } from '../extract-json.js';
import {
  type ModelBackend,
  type ModelMessage,
  type ModelRequest,
  type ModelToolCall,
  type ModelTurn,
  parseToolArguments
} from '../model-backend.js';

/** `sampling/createMessage` requires maxTokens. */
const defaultMaxTokens = 4096;
/** Answers that are not the JSON asked for get this many chances to be repaired, then the call fails. */
const maxRepairs = 1;

/**
 * The calling client's own model, through MCP `sampling/createMessage` (sent on the caller's session for a
 * 2025 client; for a 2026-07-28 client the gateway's input-required bridge turns it into `input_required`
 * rounds). A client that declares `sampling.tools` is sent the tools and answers with `tool_use` blocks; one
 * that does not is asked for JSON in text (`{"tool_calls": …}` or `{"answer": …}`), with one repair attempt.
 * Clients report no token usage: it counts as 0.
 */
export function createSamplingBackend(name: string, config: ModelConfig): ModelBackend {
  return new SamplingBackend(name, config);
}

class SamplingBackend implements ModelBackend {
  readonly name: string;
  readonly description: string;
  private readonly config: ModelConfig;

  constructor(name: string, config: ModelConfig) {
    this.name = name;
    this.config = config;
    this.description = `model "${name}" (the calling client's own, through MCP sampling)`;
  }

  async generate(request: ModelRequest): Promise<ModelTurn> {
    const caller = request.caller;
    const sampling = caller?.clientCapabilities?.sampling;
    if (!caller?.requestClient || !sampling) {
      throw new ManifoldError(
        'MODEL_ERROR',
        `${this.description} cannot be used: this client did not declare the sampling capability, so it cannot lend its model (few clients do; sampling is deprecated in 2026-07-28). Use a configured endpoint instead (models.${this.name}.provider: openai or anthropic).`,
        { data: { model: this.name } }
      );
    }
    // A request without tools (generateJson: a route, a plan) is plain text either way: wrapping it in the tool
    // protocol's {"answer": …} would contradict the JSON shape the request itself asks for.
    return sampling.tools !== undefined || request.tools.length === 0
      ? this.withTools(request, caller)
      : this.withJson(request, caller);
  }

  /** The client's model takes the tools itself (sampling.tools), or there are none to offer. */
  private async withTools(request: ModelRequest, caller: DownstreamContext): Promise<ModelTurn> {
    const result = await this.send(caller, request.signal, {
      messages: request.messages.map(toSamplingMessage),
      ...(request.system ? { systemPrompt: request.system } : {}),
      ...(request.tools.length > 0
        ? {
            tools: request.tools.map(tool => ({
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              inputSchema: tool.inputSchema
            })),
            toolChoice: { mode: 'auto' }
          }
        : {})
    });
    const parsed = samplingResultSchema.safeParse(result);
    if (!parsed.success)
      throw this.error(`the client's answer is not a sampling result: ${z.prettifyError(parsed.error)}`, {
        raw: JSON.stringify(result).slice(0, 2000)
      });
    const blocks = Array.isArray(parsed.data.content) ? parsed.data.content : [parsed.data.content];
    let text = '';
    const toolCalls: ModelToolCall[] = [];
    for (const block of blocks) {
      if (block.type === 'text' && typeof block.text === 'string') text += block.text;
      else if (block.type === 'tool_use' && typeof block.name === 'string') {
        toolCalls.push({
          id: typeof block.id === 'string' ? block.id : `sampled_${randomUUID().slice(0, 8)}`,
          name: block.name,
          arguments: JSON.stringify(block.input ?? {})
        });
      }
    }
    return {
      text,
      toolCalls,
      usage: { inputTokens: 0, outputTokens: 0 },
      finishReason: finishReasonOf(parsed.data.stopReason, toolCalls),
      attempts: 1
    };
  }

  /** The client's model has no tool support: tools are described in the prompt, calls come back as JSON text. */
  private async withJson(request: ModelRequest, caller: DownstreamContext): Promise<ModelTurn> {
    const system = [request.system, jsonProtocol(request)].filter(Boolean).join('\n\n');
    const messages = request.messages.map(toJsonTextMessage);
    for (let attempt = 1; ; attempt++) {
      const result = await this.send(caller, request.signal, { messages, systemPrompt: system });
      const parsed = samplingResultSchema.safeParse(result);
      const raw = parsed.success ? textOf(parsed.data.content) : JSON.stringify(result);
      const verdict = parseJsonAnswer(raw);
      if (verdict.ok) {
        const toolCalls = verdict.toolCalls.map(call => ({
          id: `sampled_${randomUUID().slice(0, 8)}`,
          name: call.name,
          arguments: JSON.stringify(call.arguments ?? {})
        }));
        return {
          text: verdict.answer ?? '',
          toolCalls,
          usage: { inputTokens: 0, outputTokens: 0 },
          finishReason: toolCalls.length > 0 ? 'tool-calls' : 'stop',
          attempts: attempt
        };
      }
      if (attempt > maxRepairs) {
        throw this.error(
          `the client's model did not answer with the JSON asked for (${verdict.why}), also after ${maxRepairs} repair request(s); its last answer is kept in the error data`,
          { raw: raw.slice(0, 4000) }
        );
      }
      messages.push(
        { role: 'assistant', content: { type: 'text', text: raw } },
        {
          role: 'user',
          content: {
            type: 'text',
            text: `That answer is not the JSON asked for: ${verdict.why}. Answer again with only one JSON object: {"tool_calls": [{"name": "<tool>", "arguments": {…}}]} or {"answer": "<your final answer>"}.`
          }
        }
      );
    }
  }

  private async send(
    caller: DownstreamContext,
    signal: AbortSignal,
    params: Record<string, unknown>
  ): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(this.config.timeout);
    const full = {
      ...params,
      maxTokens: this.config.maxOutputTokens ?? defaultMaxTokens,
      includeContext: 'none',
      ...(this.config.model ? { modelPreferences: { hints: [{ name: this.config.model }] } } : {}),
      ...(this.config.temperature !== undefined ? { temperature: this.config.temperature } : {})
    };
    try {
      return await (caller.requestClient as NonNullable<DownstreamContext['requestClient']>)(
        'sampling/createMessage',
        full,
        AbortSignal.any([signal, timeout])
      );
    } catch (error) {
      if (signal.aborted) throw new ManifoldError('CANCELLED', `the call to ${this.description} was cancelled`);
      if (timeout.aborted) throw this.error(`no answer within ${this.config.timeout} ms (models.${this.name}.timeout)`);
      throw this.error(`the client refused or failed the sampling request: ${errorMessage(error)}`);
    }
  }

  private error(what: string, data: Record<string, unknown> = {}): ManifoldError {
    return new ManifoldError('MODEL_ERROR', `${this.description} failed: ${what}`, {
      data: { model: this.name, ...data }
    });
  }
}

const blockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional()
});
const samplingResultSchema = z.looseObject({
  role: z.literal('assistant'),
  content: z.union([blockSchema, z.array(blockSchema)]),
  stopReason: z.string().optional()
});

function textOf(content: z.infer<typeof blockSchema> | Array<z.infer<typeof blockSchema>>): string {
  return (Array.isArray(content) ? content : [content])
    .map(block => (block.type === 'text' ? (block.text ?? '') : ''))
    .join('');
}

function finishReasonOf(stopReason: string | undefined, toolCalls: ModelToolCall[]): string {
  if (toolCalls.length > 0 || stopReason === 'toolUse') return 'tool-calls';
  if (stopReason === 'maxTokens') return 'length';
  return 'stop';
}

/** A message in sampling's own form (tool_use / tool_result blocks). */
function toSamplingMessage(message: ModelMessage): Record<string, unknown> {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: { type: 'text', text: message.text } };
    case 'assistant':
      return {
        role: 'assistant',
        content: [
          ...(message.text ? [{ type: 'text', text: message.text }] : []),
          ...message.toolCalls.map(call => ({
            type: 'tool_use',
            id: call.id,
            name: call.name,
            // the wire wants an object (Anthropic's tool_use input must be one): `{}` when the text is not
            input: parseToolArguments(call.arguments) ?? {}
          }))
        ]
      };
    case 'tool':
      return {
        role: 'user',
        content: message.results.map(result => ({
          type: 'tool_result',
          toolUseId: result.callId,
          content: [{ type: 'text', text: result.text }],
          ...(result.isError ? { isError: true } : {})
        }))
      };
  }
}

/** A message as text, for a model without tool support: calls as the JSON it answered, results as text. */
function toJsonTextMessage(message: ModelMessage): {
  role: 'user' | 'assistant';
  content: { type: 'text'; text: string };
} {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: { type: 'text', text: message.text } };
    case 'assistant':
      return {
        role: 'assistant',
        content: {
          type: 'text',
          text: JSON.stringify({
            tool_calls: message.toolCalls.map(call => ({
              name: call.name,
              arguments: parseToolArguments(call.arguments) ?? {}
            }))
          })
        }
      };
    case 'tool':
      return {
        role: 'user',
        content: {
          type: 'text',
          text: `Tool results:\n${message.results.map(result => `- ${result.name}${result.isError ? ' (error)' : ''}: ${result.text}`).join('\n')}`
        }
      };
  }
}

/** The instructions that replace tool support: the tools and the two JSON answers allowed. */
function jsonProtocol(request: ModelRequest): string {
  const tools = request.tools
    .map(
      tool =>
        `- ${tool.name}: ${tool.description ?? '(no description)'}\n  input schema: ${JSON.stringify(tool.inputSchema)}`
    )
    .join('\n');
  return (
    `You can use these tools:\n${tools}\n\n` +
    'Answer with only one JSON object and nothing else. To call tools: {"tool_calls": [{"name": "<tool>", "arguments": {…}}]} ' +
    '(you will get their results and can go on). When the task is done: {"answer": "<your final answer>"}.'
  );
}

const jsonAnswerSchema = z.union([
  z.strictObject({ answer: z.string() }),
  z.strictObject({
    tool_calls: z
      .array(z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() }))
      .min(1)
  })
]);

type JsonVerdict =
  | { ok: true; answer?: string; toolCalls: Array<{ name: string; arguments?: Record<string, unknown> }> }
  | { ok: false; why: string };

/** Reads the JSON answer out of a text (tolerating a ``` fence or words around one object). */
export function parseJsonAnswer(text: string): JsonVerdict {
  const extracted = extractJsonObject(text);
  if (!extracted.ok) return extracted;
  const parsed = jsonAnswerSchema.safeParse(extracted.value);
  if (!parsed.success)
    return { ok: false, why: 'expected {"answer": string} or {"tool_calls": [{"name", "arguments"}, …]}' };
  return 'answer' in parsed.data
    ? { ok: true, answer: parsed.data.answer, toolCalls: [] }
    : { ok: true, toolCalls: parsed.data.tool_calls };
}

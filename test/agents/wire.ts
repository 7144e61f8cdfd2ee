/**
 * Reading recorded model requests the same way for both protocols: which tools were offered, the system
 * prompt, the tool calls the conversation holds and the tool results fed back.
 */
import type { Protocol, RecordedRequest } from '../fixtures/model-server/scripted-model-server.js';

export const protocols: Protocol[] = ['openai', 'anthropic'];

/** Names of the tools offered in a request, sorted. */
export function offeredTools(request: RecordedRequest): string[] {
  const tools = (request.body.tools ?? []) as any[];
  return tools.map(tool => (request.protocol === 'openai' ? tool.function.name : tool.name)).sort();
}

/** The system prompt of a request. */
export function systemPrompt(request: RecordedRequest): string {
  if (request.protocol === 'openai')
    return (request.body.messages as any[])
      .filter(message => message.role === 'system')
      .map(message => message.content)
      .join('\n');
  const system = request.body.system;
  return typeof system === 'string' ? system : ((system ?? []) as any[]).map(block => block.text).join('\n');
}

/** The first user message's text (the task). */
export function firstUserText(request: RecordedRequest): string {
  const message = (request.body.messages as any[]).find(entry => entry.role === 'user');
  if (typeof message.content === 'string') return message.content;
  return (message.content as any[]).map(part => part.text ?? '').join('');
}

export interface WireToolResult {
  id: string;
  text: string;
  isError: boolean;
}

/** The tool results the request feeds back (all of them, in order). */
export function toolResults(request: RecordedRequest): WireToolResult[] {
  const messages = request.body.messages as any[];
  if (request.protocol === 'openai') {
    return messages
      .filter(message => message.role === 'tool')
      .map(message => ({ id: message.tool_call_id, text: String(message.content), isError: false }));
  }
  return messages
    .filter(message => message.role === 'user' && Array.isArray(message.content))
    .flatMap(message => message.content as any[])
    .filter(part => part.type === 'tool_result')
    .map(part => ({
      id: part.tool_use_id,
      text:
        typeof part.content === 'string'
          ? part.content
          : (part.content as any[]).map(block => block.text ?? '').join(''),
      isError: part.is_error === true
    }));
}

/** The tool calls of the assistant messages the request replays: [id, name, arguments]. */
export function replayedToolCalls(request: RecordedRequest): Array<[string, string, unknown]> {
  const messages = request.body.messages as any[];
  if (request.protocol === 'openai') {
    return messages
      .filter(message => message.role === 'assistant')
      .flatMap(message => (message.tool_calls ?? []) as any[])
      .map(call => [call.id, call.function.name, JSON.parse(call.function.arguments)]);
  }
  return messages
    .filter(message => message.role === 'assistant' && Array.isArray(message.content))
    .flatMap(message => message.content as any[])
    .filter(part => part.type === 'tool_use')
    .map(part => [part.id, part.name, part.input]);
}

import { UsageError } from '../usage-error.js';
import { cliDownstream } from '../cli-downstream.js';
import { openGateway } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';

/** Parses `--args` JSON and `key=value` pairs into one arguments object. */
export function parseToolArguments(argsJson: string | undefined, pairs: string[]): Record<string, unknown> {
  let args: Record<string, unknown> = {};
  if (argsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(argsJson);
    } catch (error) {
      throw new UsageError(`--args is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--args must be a JSON object, e.g. --args \'{"message": "hi"}\'');
    }
    args = parsed as Record<string, unknown>;
  }
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, equals);
    const raw = pair.slice(equals + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: a plain string.
    }
    args[key] = value;
  }
  return args;
}

/** `manifold call <tool>`: one call through the full pipeline. */
export async function runCall(parsed: ParsedCommand, output: Output): Promise<number> {
  const [toolName, ...pairs] = parsed.positionals;
  if (!toolName) throw new UsageError('name the tool to call: manifold call <tool> [key=value ...] (see manifold tools)');
  const args = parseToolArguments(stringOption(parsed, 'args'), pairs);
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await core.pipeline({
      method: 'tools/call',
      params: { name: toolName, arguments: args },
      downstream: cliDownstream(controller.signal, output, ({ progress, total, message }) => {
        output.err(`progress ${progress}${total !== undefined ? `/${total}` : ''}${message ? ` ${message}` : ''}`);
      })
    });
    if (parsed.values.json) output.out(JSON.stringify(result, null, 2));
    else output.out(renderResult(result));
    return result.isError === true ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    await core.close();
  }
}

/** Text content as text; other blocks and structured content as JSON. */
export function renderResult(result: Record<string, unknown>): string {
  const parts: string[] = [];
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  for (const block of content) {
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (block.type === 'image' || block.type === 'audio') parts.push(`[${block.type} ${typeof block.mimeType === 'string' ? block.mimeType : ''}, ${typeof block.data === 'string' ? block.data.length : 0} base64 chars]`);
    else parts.push(JSON.stringify(block, null, 2));
  }
  if (content.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent, null, 2));
  if (result.isError === true) parts.unshift('(the tool reported an error)');
  return parts.join('\n');
}

/**
 * What a tool result means to the next step: structuredContent when the tool gives it; otherwise its text,
 * parsed when it is JSON (one text block: that value; several: a list); otherwise the content blocks.
 */
export function toStepValue(result: Record<string, unknown>): unknown {
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const texts = content.filter(block => block.type === 'text' && typeof block.text === 'string').map(block => parseIfJson(block.text as string));
  if (texts.length === content.length) {
    if (texts.length === 1) return texts[0];
    if (texts.length > 1) return texts;
    return null;
  }
  return content;
}

/** A text that is a JSON object, array, number, boolean or null becomes that value; other text stays text. */
export function parseIfJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return text;
  const first = trimmed[0] ?? '';
  const looksJson = first === '{' || first === '[' || first === '"' || trimmed === 'true' || trimmed === 'false' || trimmed === 'null' || /^-?\d/.test(trimmed);
  if (!looksJson) return text;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/** The text of a tool error result, for messages. */
export function errorTextOf(result: Record<string, unknown>): string {
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const text = content
    .filter(block => block.type === 'text' && typeof block.text === 'string')
    .map(block => block.text as string)
    .join('\n')
    .trim();
  return text || 'the tool reported an error without a message';
}

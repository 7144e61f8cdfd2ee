/** How much of a step's arguments (and of a text in a message) the run record keeps. */
export const maxRecordedInput = 16_384;

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON text of any value, never throwing (a cycle or a BigInt gives its String()). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
}

/** Bytes of a value as JSON (output sizes in the run record). */
export function sizeOf(value: unknown): number {
  return Buffer.byteLength(safeJson(value));
}

/** The start of a long text, with its length (arguments in the run record, texts in messages). */
export function clip(text: string, max = maxRecordedInput): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Keeps the end of a long text: a nested failure's cause is at its end. */
export function clipStart(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

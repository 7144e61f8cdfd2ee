/** HTML that is already safe to emit: what `html` returns, and what it inserts unescaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: the five characters that could open markup or end an attribute, escaped. */
export function escapeHtml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, character => entities[character] as string) : text;
}

function append(value: unknown, parts: string[]): void {
  if (value === undefined || value === null || value === false) return;
  if (value instanceof Html) parts.push(value.text);
  else if (Array.isArray(value)) for (const item of value) append(item, parts);
  else if (typeof value === 'string') parts.push(escapeHtml(value));
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') parts.push(String(value));
  else parts.push(escapeHtml(JSON.stringify(value) ?? ''));
}

/**
 * A template of HTML: every interpolated value is escaped unless it is `Html` (another template's result, or
 * `raw`); arrays are joined; `undefined`, `null` and `false` print nothing. The console's only way to make markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const parts: string[] = [strings[0] ?? ''];
  for (let index = 0; index < values.length; index++) {
    append(values[index], parts);
    parts.push(strings[index + 1] ?? '');
  }
  return new Html(parts.join(''));
}

/** Markup made by the console itself (never from data): inserted as it is. */
export function raw(text: string): Html {
  return new Html(text);
}

/** `/console/...` with each path segment percent-encoded. */
export function consoleHref(...segments: string[]): string {
  return `/console/${segments.map(segment => encodeURIComponent(segment)).join('/')}`;
}

/** A query string from the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Milliseconds as people read them: `840 ms`, `12.4 s`, `3 m 20 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An instant as `2026-12-07 13:58:02` (UTC). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

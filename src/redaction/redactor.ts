import { defaultRules, markerOf, type RedactionRule } from './redaction-rules.js';

/** What replaces a value when redacting it failed (a rule threw): fail closed, the value is never written. */
export const redactionFailedMarker = markerOf('redaction-failed');

/**
 * Member names whose string values are secrets whatever they look like, compared without case, `-` and `_`
 * (`apiKey`, `api-key`, `API_KEY`): their value becomes `[REDACTED:secret-field]`.
 */
const secretName =
  /^(token|accesstoken|refreshtoken|idtoken|secret|clientsecret|password|passwd|passphrase|authorization|apikey|xapikey|privatekey|cookie|setcookie|credentials?)$/;

export function isSecretName(key: string): boolean {
  return secretName.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * Finds secrets and PII in text and JSON values by a rule table (`defaultRules`, docs/SECURITY.md "Redaction") and
 * replaces each with a typed marker, `[REDACTED:<rule>]`. Pure and synchronous; a rule that throws makes the call
 * throw (callers fail closed: `safeRedactText`, `safeRedactValue`, the pipeline stage).
 */
export class Redactor {
  readonly rules: readonly RedactionRule[];
  private readonly high: readonly RedactionRule[];

  constructor(rules: readonly RedactionRule[] = defaultRules) {
    for (const rule of rules) {
      if (!rule.pattern.global) throw new Error(`redaction rule "${rule.id}": its pattern needs the g flag`);
    }
    this.rules = rules;
    this.high = rules.filter(rule => rule.confidence === 'high');
  }

  /** The text with every match replaced by its marker; the same string when nothing matched. */
  redactText(text: string): string {
    let out = text;
    for (const rule of this.rules) {
      if (rule.hint && !rule.hint(out)) continue;
      out = rule.scan
        ? replaceSpans(rule, out)
        : out.replace(rule.pattern, (...args: unknown[]) => replacement(rule, args));
    }
    return out;
  }

  /**
   * A JSON value with every string redacted, at any depth; keys are kept, a secret-named member's string value
   * (`password`, `apiKey`, `token`…) is redacted whole. Binary payloads (`data` of image and audio content,
   * resource `blob`s) are left as they are: base64 is not text. Unchanged parts are shared, not copied.
   */
  redactValue<T>(value: T): T {
    return walk(value, text => this.redactText(text)) as T;
  }

  /** The ids of the high-confidence rules (block mode) that match anywhere in the value's strings, or none. */
  findHighConfidence(value: unknown): string[] {
    const found = new Set<string>();
    walk(value, text => {
      for (const rule of this.high) {
        if (found.has(rule.id) || (rule.hint && !rule.hint(text))) continue;
        const replaced = rule.scan
          ? replaceSpans(rule, text)
          : text.replace(rule.pattern, (...args: unknown[]) => replacement(rule, args));
        if (replaced !== text) found.add(rule.id);
      }
      return text;
    });
    return [...found];
  }
}

/** The replacement of one match: its marker (or, with a `secret` group, the `lead` kept and the secret replaced), unless the rule's check says no. */
function replacement(rule: RedactionRule, args: unknown[]): string {
  const match = args[0] as string;
  const last = args[args.length - 1];
  const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
  const offset = args[args.length - (named ? 3 : 2)] as number;
  const text = args[args.length - (named ? 2 : 1)] as string;
  if (rule.validate && !rule.validate(match, text, offset)) return match;
  if (named?.secret !== undefined) return `${named.lead ?? ''}${markerOf(rule.id)}`;
  return markerOf(rule.id);
}

/** A scanning rule's replacements: each span its check accepts becomes the marker. */
function replaceSpans(rule: RedactionRule, text: string): string {
  let out = '';
  let from = 0;
  for (const { start, end } of rule.scan?.(text) ?? []) {
    const match = text.slice(start, end);
    if (rule.validate && !rule.validate(match, text, start)) continue;
    out += text.slice(from, start) + markerOf(rule.id);
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

function walk(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const next = walk(item, redact);
      if (next !== item) (out ??= value.slice())[index] = next;
    }
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  const binary = record.type === 'image' || record.type === 'audio';
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if ((binary && key === 'data') || key === 'blob') continue;
    const next =
      typeof member === 'string' && member !== '' && isSecretName(key) && !isMarker(member)
        ? markerOf('secret-field')
        : walk(member, redact);
    if (next !== member) (out ??= { ...record })[key] = next;
  }
  return out ?? record;
}

/** Already redacted: a marker, or the audit log's own `[redacted]` of a secret-named member. */
function isMarker(text: string): boolean {
  return text.startsWith('[REDACTED:') || text === '[redacted]';
}

/** The default redactor (the default rule table). */
export const defaultRedactor = new Redactor();

/** Redacted text, or the failure marker if a rule threw: never the raw text (logs, audit rows, spans). */
export function safeRedactText(text: string, redactor: Redactor = defaultRedactor): string {
  try {
    return redactor.redactText(text);
  } catch {
    return redactionFailedMarker;
  }
}

/** A redacted JSON value, or the failure marker in its place if a rule threw. */
export function safeRedactValue(value: unknown, redactor: Redactor = defaultRedactor): unknown {
  try {
    return redactor.redactValue(value);
  } catch {
    return redactionFailedMarker;
  }
}

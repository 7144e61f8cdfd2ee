import { createHash } from 'node:crypto';

/**
 * Canonical JSON (keys sorted, no whitespace, `undefined` left out): the same text as the audit log's
 * `canonicalJson`, so an approval's digest equals the audit row's `args_digest` of the call it allowed. (A copy:
 * src/approval sits below src/audit in the layers.)
 */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(item => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${parts.join(',')}}`;
}

/** SHA-256 (hex) of the arguments' canonical JSON, and that text. */
export function argumentsDigest(args: Readonly<Record<string, unknown>>): { digest: string; text: string } {
  const text = canonicalJson(args);
  return { digest: createHash('sha256').update(text).digest('hex'), text };
}

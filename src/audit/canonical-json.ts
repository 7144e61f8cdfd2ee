/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, `undefined` members left out, as
 * JSON.stringify otherwise writes values. Two equal values always give the same text, so its SHA-256 is a
 * stable digest (the audit chain hashes it).
 */
export function canonicalJson(value: unknown): string {
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

/** Keys whose values are secrets: compared without case, `-` and `_` (`apiKey`, `api-key`, `API_KEY`). */
const secretKey = /^(token|accesstoken|refreshtoken|idtoken|secret|clientsecret|password|passwd|passphrase|authorization|apikey|xapikey|privatekey|cookie|credentials?)$/;

export const redactedValue = '[redacted]';

/** Whether a member of this name holds a secret (its value is written as "[redacted]"). */
export function isSecretKey(key: string): boolean {
  return secretKey.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** The value with every secret-named member, at any depth, replaced by "[redacted]". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) out[key] = isSecretKey(key) ? redactedValue : redactSecrets(member);
  return out;
}

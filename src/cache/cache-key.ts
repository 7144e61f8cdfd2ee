import { createHash } from 'node:crypto';

/**
 * JSON with every object's keys in sorted order, so `{a, b}` and `{b, a}` give the same text. Values JSON
 * cannot hold are written as JSON.stringify writes them (undefined properties left out).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map(item => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The key of one cached result: whose it is (a principal, a session, or `public`), the method, what it
 * names (a public tool name, a URI) and a digest of the canonical arguments.
 */
export function cacheKey(partition: string, method: string, target: string, args: unknown): string {
  const digest = createHash('sha256')
    .update(canonicalJson(args ?? {}))
    .digest('base64url');
  return `${partition}\u0000${method}\u0000${target}\u0000${digest}`;
}

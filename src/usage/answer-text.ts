/** Top-level fields of a result that belong to the protocol's envelope, not to the answer. */
const envelopeFields = new Set(['ttlMs', 'cacheScope', 'resultType']);
/** `_meta` keys the SDK adds on the wire (`io.modelcontextprotocol/serverInfo`). */
const envelopeMetaPrefix = 'io.modelcontextprotocol/';

/**
 * The text an answer's tokens are counted in: its JSON with keys sorted, without the protocol's envelope (cache
 * hints, result type, the SDK's own `_meta` keys, an empty `_meta`). So the count does not depend on the era a
 * client speaks nor on key order: the same answer counts the same whoever receives it.
 */
export function answerText(answer: unknown): string {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return canonicalJson(answer);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(answer as Record<string, unknown>)) {
    if (envelopeFields.has(key) || value === undefined) continue;
    if (key === '_meta' && value !== null && typeof value === 'object') {
      const meta = Object.fromEntries(Object.entries(value).filter(([name]) => !name.startsWith(envelopeMetaPrefix)));
      if (Object.keys(meta).length > 0) kept[key] = meta;
      continue;
    }
    kept[key] = value;
  }
  return canonicalJson(kept);
}

/** JSON with every object's keys sorted (undefined members left out, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  }) ?? 'null';
}

/**
 * The arguments with the input schema's `default`s filled in, as an agent expects when it reads a default
 * and leaves the argument out. A copy: the caller's object is not changed.
 *
 * Where defaults apply: `properties.<name>.default` when the argument is absent (undefined), nested objects
 * too (`properties.opts.properties.depth.default`, once `opts` is there, given or defaulted), the items of an
 * array (`items: {…}`), and the subschemas of `allOf`. Not through `$ref`, `anyOf`/`oneOf` or conditionals,
 * where which branch applies is not known before validation.
 */
export function withDefaults(schema: unknown, args: Record<string, unknown>): Record<string, unknown> {
  const filled = fill(schema, args, 0);
  return isPlainObject(filled) ? filled : args;
}

/** Deeper than this, a (self-referencing in spirit) schema is not walked further. */
const maxDepth = 32;

function fill(schema: unknown, value: unknown, depth: number): unknown {
  if (!isPlainObject(schema) || depth > maxDepth) return value;
  let out = value;
  const properties = schema.properties;
  if (isPlainObject(properties) && isPlainObject(value)) {
    const copy: Record<string, unknown> = { ...value };
    for (const [key, property] of Object.entries(properties)) {
      if (!isPlainObject(property)) continue;
      if (copy[key] === undefined && 'default' in property) copy[key] = structuredClone(property.default);
      if (copy[key] !== undefined) copy[key] = fill(property, copy[key], depth + 1);
    }
    out = copy;
  }
  if (isPlainObject(schema.items) && Array.isArray(out)) out = out.map(item => fill(schema.items, item, depth + 1));
  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) out = fill(part, out, depth + 1);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

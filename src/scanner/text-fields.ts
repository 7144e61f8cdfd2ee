/** Kinds of text in a tool definition; the rules that read names differ from those that read prose. */
export type TextKind = 'name' | 'prose' | 'property-name' | 'value';

/** One piece of text the model sees, and where it is. */
export interface TextField {
  /** JSON path in the definition, dotted: `inputSchema.properties.path.description`. */
  path: string;
  text: string;
  kind: TextKind;
}

const maxDepth = 64;
const maxFields = 20_000;
/** Schema keys whose values are prose (the rest of a schema's strings are values or keywords). */
const proseKeys = new Set(['description', 'title', 'instructions', '$comment', 'markdownDescription', 'errorMessage']);
/** Schema keywords whose string values are structural, not text the model reads as instructions. */
const structuralKeys = new Set(['type', '$schema', '$ref', '$id', '$anchor', 'format', 'pattern', 'contentEncoding', 'contentMediaType']);
/** Keys whose object members are named properties (names the model sees). */
const propertyMapKeys = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

function segment(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
}

/**
 * Every piece of text the model sees in a tool definition: name, title, description, and in the input and
 * output schemas (recursively) property names, descriptions, titles, enums, defaults, examples and const;
 * annotations' strings; any other string anywhere. Never throws: any JSON (or worse) gives a list.
 */
export function collectTextFields(definition: unknown): TextField[] {
  const fields: TextField[] = [];
  const seen = new Set<unknown>();
  const push = (field: TextField) => {
    if (fields.length < maxFields && field.text.length > 0) fields.push(field);
  };
  const walk = (value: unknown, path: string, key: string, depth: number, parentKey: string): void => {
    if (depth > maxDepth || fields.length >= maxFields) return;
    if (typeof value === 'string') {
      if (structuralKeys.has(key)) {
        // A `type` or `format` is a keyword, but one that carries words is still text the model reads.
        if (/\s/.test(value) || value.length > 40) push({ path, text: value, kind: 'value' });
        return;
      }
      const kind = depth === 1 && key === 'name' ? 'name' : proseKeys.has(key) || (depth === 1 && key !== 'name') ? 'prose' : 'value';
      push({ path, text: value, kind });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      // `required: ["a"]` names properties; enums, examples and defaults are values.
      value.forEach((item, index) => walk(item, `${path}[${index}]`, key, depth + 1, parentKey));
      return;
    }
    for (const [childKey, child] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path === '' ? segment(childKey) : `${path}.${segment(childKey)}`;
      if (propertyMapKeys.has(key) && parentKey !== 'properties-map') {
        push({ path: childPath, text: childKey, kind: 'property-name' });
        walk(child, childPath, childKey, depth + 1, 'properties-map');
      } else {
        walk(child, childPath, childKey, depth + 1, key);
      }
    }
  };
  try {
    walk(definition, '', '', 0, '');
  } catch {
    // A getter that throws, a proxy: what was collected so far is still scanned.
  }
  return fields;
}

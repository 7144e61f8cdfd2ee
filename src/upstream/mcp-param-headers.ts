/**
 * SEP-2243 (2026-07-28, Streamable HTTP): a tool's `inputSchema` may mark argument properties with
 * `x-mcp-header: <Name>`; a client then MUST mirror those arguments into `Mcp-Param-<Name>` request headers on
 * `tools/call`, and MUST drop tools whose declarations are invalid. The SDK does both only inside
 * `Client.callTool`/`listTools`, which re-parse results; Manifold relays raw results, so it does them here.
 * The one walk of declarations and arguments, and the value encoding both ways: the upstream side mirrors
 * (mirror-param-headers.ts), the gateway's HTTP face checks what clients sent (gateway/mcp-param-validation.ts).
 */

/** One declaration: where the argument is, and the header it is mirrored into. */
export interface McpParamDeclaration {
  path: string[];
  headerName: string;
}

export type McpParamScan = { valid: true; declarations: McpParamDeclaration[] } | { valid: false; reason: string };

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerTypes = new Set(['string', 'integer', 'boolean']);
/** Subschemas not reachable by a plain chain of `properties`: a declaration under them is invalid. */
const unreachableKeywords = [
  'items',
  'prefixItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'patternProperties',
  'dependentSchemas',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  '$defs',
  'definitions'
];
const mapValuedKeywords = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);

/** Finds the `x-mcp-header` declarations of a tool's input schema, or why they are invalid. */
const scans = new WeakMap<object, McpParamScan>();

/**
 * The scan of a listed input schema, computed once per schema object (the list-time check fills it; each
 * tools/call then only looks it up). Listed schemas are raw upstream JSON that nothing modifies.
 */
export function scanMcpParamDeclarations(inputSchema: unknown): McpParamScan {
  if (inputSchema === null || typeof inputSchema !== 'object') return scanUncached(inputSchema);
  let scan = scans.get(inputSchema);
  if (!scan) {
    scan = scanUncached(inputSchema);
    scans.set(inputSchema, scan);
  }
  return scan;
}

function scanUncached(inputSchema: unknown): McpParamScan {
  const declarations: McpParamDeclaration[] = [];
  const seen = new Map<string, string>();
  const visit = (node: unknown, path: string[], reachable: boolean): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const schema = node as Record<string, unknown>;
    const where = path.length === 0 ? '<root>' : path.join('.');
    if ('x-mcp-header' in schema) {
      if (!reachable || path.length === 0) return `${where}: x-mcp-header is only allowed on properties reached through "properties"`;
      const name = schema['x-mcp-header'];
      if (typeof name !== 'string' || name === '') return `${where}: x-mcp-header must be a non-empty string`;
      if (!token.test(name)) return `${where}: x-mcp-header "${name}" is not an HTTP token`;
      if (typeof schema.type !== 'string' || !headerTypes.has(schema.type)) return `${where}: x-mcp-header is only allowed on string, integer or boolean properties`;
      const prior = seen.get(name.toLowerCase());
      if (prior !== undefined) return `x-mcp-header "${name}" is declared twice (also as "${prior}")`;
      seen.set(name.toLowerCase(), name);
      declarations.push({ path, headerName: name });
    }
    const properties = schema.properties;
    if (properties !== null && typeof properties === 'object') {
      for (const [key, child] of Object.entries(properties)) {
        const fault = visit(child, [...path, key], reachable);
        if (fault) return fault;
      }
    }
    for (const keyword of unreachableKeywords) {
      const sub = schema[keyword];
      if (sub === undefined) continue;
      const branches = Array.isArray(sub) ? sub : mapValuedKeywords.has(keyword) && sub !== null && typeof sub === 'object' ? Object.values(sub) : [sub];
      for (const branch of branches) {
        const fault = visit(branch, [...path, `<${keyword}>`], false);
        if (fault) return fault;
      }
    }
    return undefined;
  };
  const fault = visit(inputSchema, [], true);
  return fault ? { valid: false, reason: fault } : { valid: true, declarations };
}

/** A header value: plain when it is safe printable ASCII, otherwise the `=?base64?…?=` sentinel form. */
export function encodeMcpParamValue(value: string): string {
  const needsBase64 =
    value === '' ||
    value !== value.trim() ||
    (value.startsWith('=?base64?') && value.endsWith('?=')) ||
    [...value].some(char => {
      const code = char.codePointAt(0) ?? 0;
      return !(code === 9 || (code >= 32 && code <= 126));
    });
  return needsBase64 ? `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=` : value;
}

/**
 * A header value read back: literal, or the `=?base64?…?=` sentinel decoded strictly (alphabet and padding);
 * undefined when the sentinel holds invalid base64.
 */
export function decodeMcpParamValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?=') && value.length >= 11)) return value;
  const encoded = value.slice('=?base64?'.length, -2);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The argument a declaration points at (following its `properties` path), or undefined where the path breaks off. */
export function mcpParamArgument(declaration: McpParamDeclaration, args: unknown): unknown {
  let value: unknown = args;
  for (const key of declaration.path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The `Mcp-Param-*` headers for one call; absent, null and non-primitive values are omitted. */
export function mcpParamHeaders(declarations: readonly McpParamDeclaration[], args: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const declaration of declarations) {
    const value = mcpParamArgument(declaration, args);
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = value ? 'true' : 'false';
    else if (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value))) text = String(value);
    if (text !== undefined) headers[`Mcp-Param-${declaration.headerName}`] = encodeMcpParamValue(text);
  }
  return headers;
}

import { parse } from 'yaml';

import { ManifoldError } from '../core/errors.js';
import { inputVariable } from './expand-env.js';
import { normaliseClientFormats } from './parse-config.js';
import { serverNamePattern } from './schema.js';

/** A VS Code input (`${input:id}`) an imported config refers to, and the variable Manifold reads it from. */
export interface ImportedInput {
  id: string;
  /** `MANIFOLD_INPUT_<ID>`: what `${input:id}` reads (docs/CONFIG.md). */
  variable: string;
  description?: string;
  /** VS Code's `password: true`: a secret. */
  password: boolean;
}

export interface ImportOptions {
  /** What `${workspaceFolder}` stands for in the source: written as this absolute path. */
  workspaceFolder?: string;
  /** Values typed for inputs (`manifold init` on a terminal), by id: written as they are instead of the variable. */
  inputValues?: Record<string, string>;
}

/**
 * Turns a desktop client's MCP config (Claude Desktop / Cursor `mcpServers`, VS Code `servers`) into
 * Manifold `servers`, keeping `${VAR}` references as they are. VS Code's references become ones Manifold
 * reads anywhere: `${input:id}` → `${MANIFOLD_INPUT_ID}` (or the value given), `${env:X}` → `${X}`,
 * `${userHome}` → `${HOME}`, `${workspaceFolder}` → the folder. Names Manifold cannot use are rewritten.
 */
export function importClientConfig(
  text: string,
  source: string,
  options: ImportOptions = {}
): { servers: Record<string, unknown>; warnings: string[]; inputs: ImportedInput[] } {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ManifoldError('CONFIG_INVALID', `${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || (!('mcpServers' in raw) && !('servers' in raw))) {
    throw new ManifoldError('CONFIG_INVALID', `${source} has no "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code) to import`);
  }
  const warnings: string[] = [];
  const declared = declaredInputs((raw as Record<string, unknown>).inputs);
  const normalised = normaliseClientFormats({ ...(raw as Record<string, unknown>), ...('servers' in raw ? { inputs: [] } : {}) }, warnings);
  const used = new Map<string, ImportedInput>();
  const servers: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries((normalised.servers ?? {}) as Record<string, unknown>)) {
    let safe = name;
    if (!serverNamePattern.test(name)) {
      safe = name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
      warnings.push(`server "${name}" renamed to "${safe}" (names may use letters, digits, "-" and single "_")`);
    }
    servers[safe] = rewriteReferences(entry, options, id => {
      if (!used.has(id)) used.set(id, declared.get(id) ?? { id, variable: inputVariable(id), password: false });
    });
  }
  return { servers, warnings: warnings.filter(warning => !warning.startsWith('"inputs"')), inputs: [...used.values()] };
}

function declaredInputs(inputs: unknown): Map<string, ImportedInput> {
  const out = new Map<string, ImportedInput>();
  if (!Array.isArray(inputs)) return out;
  for (const input of inputs as unknown[]) {
    if (!input || typeof input !== 'object') continue;
    const { id, description, password } = input as { id?: unknown; description?: unknown; password?: unknown };
    if (typeof id !== 'string') continue;
    out.set(id, { id, variable: inputVariable(id), ...(typeof description === 'string' ? { description } : {}), password: password === true });
  }
  return out;
}

function rewriteReferences(value: unknown, options: ImportOptions, onInput: (id: string) => void): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{(?:input:([^}\s]+)|env:([A-Za-z_][A-Za-z0-9_]*)|(workspaceFolder|userHome))\}/g, (match, input?: string, env?: string, builtin?: string) => {
      if (input !== undefined) {
        onInput(input);
        const given = options.inputValues?.[input];
        return given !== undefined ? given.replaceAll('${', '$${') : `\${${inputVariable(input)}}`;
      }
      if (env !== undefined) return `\${${env}}`;
      if (builtin === 'userHome') return '${HOME}';
      return options.workspaceFolder !== undefined ? options.workspaceFolder.replaceAll('${', '$${') : match;
    });
  }
  if (Array.isArray(value)) return value.map(item => rewriteReferences(item, options, onInput));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewriteReferences(item, options, onInput)]));
  }
  return value;
}

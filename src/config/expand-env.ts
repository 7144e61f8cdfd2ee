import { ManifoldError } from '../core/errors.js';

/**
 * `$${` (a literal `${`), `${NAME}` / `${NAME:-default}`, VS Code's `${env:NAME}`, `${input:id}`,
 * `${workspaceFolder}` and `${userHome}`, and anything else in `${…}` (reported as not a reference).
 * A `$` anywhere else is kept as it is, so `$$` (JSONata's root) and passwords with `$` survive.
 */
const reference = /\$\$\{|\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)|input:([^}\s]+)|(workspaceFolder|userHome))\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}/g;

/** What `${…}` may refer to besides the environment. */
export interface ExpandContext {
  env: Record<string, string | undefined>;
  /** `${workspaceFolder}` (VS Code): the folder of the config file. Unset: the reference is an error. */
  workspaceFolder?: string;
}

/** A reference that could not be expanded, with the config path where it was used. */
export interface UnresolvedReference {
  /** Dotted config path, e.g. `servers.docs.headers.Authorization`. */
  path: string;
  /** `missing`: a variable that is not set (the user can set it); `invalid`: not a reference at all. */
  kind: 'missing' | 'invalid';
  /** The environment variable to set (for `missing`). */
  variable?: string;
  /** The VS Code input id, when the reference was `${input:id}`. */
  input?: string;
  /** One line: what is wrong and what to do. */
  message: string;
}

/** The environment variable `${input:<id>}` reads: `MANIFOLD_INPUT_` + the id in upper snake case. */
export function inputVariable(id: string): string {
  const snake = id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return `MANIFOLD_INPUT_${snake}`;
}

/**
 * Expands every string of a parsed config (see {@link reference} for the forms), reporting each missing
 * variable with the config path where it was used. Throws CONFIG_INVALID if any reference is unresolved.
 */
export function expandEnv(value: unknown, context: ExpandContext | Record<string, string | undefined>, path: string[] = []): unknown {
  const { value: result, unresolved } = expandReferences(value, context, path);
  if (unresolved.length > 0) {
    throw new ManifoldError(
      'CONFIG_INVALID',
      unresolved.map(entry => `${entry.path}: ${entry.message}`).join('\n') + '\nSet the variable, or give a default with ${VAR:-default}.',
      { data: { missing: unresolved.map(entry => `${entry.path}: ${entry.message}`) } }
    );
  }
  return result;
}

/** Like {@link expandEnv}, but returns the unresolved references instead of throwing (they stay as written). */
export function expandReferences(
  value: unknown,
  context: ExpandContext | Record<string, string | undefined>,
  path: string[] = []
): { value: unknown; unresolved: UnresolvedReference[] } {
  const full: ExpandContext = isContext(context) ? context : { env: context };
  const unresolved: UnresolvedReference[] = [];
  return { value: walk(value, full, path, unresolved), unresolved };
}

function isContext(value: ExpandContext | Record<string, string | undefined>): value is ExpandContext {
  return typeof (value as ExpandContext).env === 'object' && (value as ExpandContext).env !== null;
}

function walk(value: unknown, context: ExpandContext, path: string[], unresolved: UnresolvedReference[]): unknown {
  if (typeof value === 'string') return expandString(value, context, path, unresolved);
  if (Array.isArray(value)) return value.map((item, index) => walk(item, context, [...path, String(index)], unresolved));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, context, [...path, key], unresolved);
    return out;
  }
  return value;
}

function expandString(text: string, context: ExpandContext, path: string[], unresolved: UnresolvedReference[]): string {
  const where = path.join('.') || '(root)';
  const fromEnv = (name: string, fallback: string | undefined, match: string, described: string, input?: string): string => {
    const found = context.env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    if (found === '') return found;
    unresolved.push({ path: where, kind: 'missing', variable: name, ...(input !== undefined ? { input } : {}), message: `${described} is not set` });
    return match;
  };
  return text.replace(
    reference,
    (match, envName?: string, input?: string, builtin?: string, name?: string, fallback?: string, bad?: string) => {
      if (match === '$${') return '${';
      if (name !== undefined) return fromEnv(name, fallback, match, `environment variable ${name}`);
      if (envName !== undefined) return fromEnv(envName, undefined, match, `environment variable ${envName}`);
      if (input !== undefined) {
        const variable = inputVariable(input);
        return fromEnv(variable, undefined, match, `environment variable ${variable} (for the VS Code input "${input}")`, input);
      }
      if (builtin === 'workspaceFolder') {
        if (context.workspaceFolder !== undefined) return context.workspaceFolder;
        unresolved.push({ path: where, kind: 'invalid', message: '${workspaceFolder} is the config file\'s folder, and this config was not read from a file' });
        return match;
      }
      if (builtin === 'userHome') return fromEnv('HOME', undefined, match, 'environment variable HOME (for ${userHome})');
      unresolved.push({
        path: where,
        kind: 'invalid',
        message: `"\${${bad ?? ''}}" is not a variable reference; use \${NAME}, \${NAME:-default}, \${input:id} or \${workspaceFolder} (write $\${ for a literal \${)`
      });
      return match;
    }
  );
}

import { ManifoldError } from '../core/errors.js';

const reference = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string of a parsed config, reporting each missing
 * variable with the config path where it was used. `$$` stands for a literal `$`.
 */
export function expandEnv(value: unknown, env: Record<string, string | undefined>, path: string[] = []): unknown {
  const missing: string[] = [];
  const result = walk(value, env, path, missing);
  if (missing.length > 0) {
    throw new ManifoldError(
      'CONFIG_INVALID',
      missing.join('\n') + '\nSet the variable, or give a default with ${VAR:-default}.',
      { data: { missing } }
    );
  }
  return result;
}

function walk(value: unknown, env: Record<string, string | undefined>, path: string[], missing: string[]): unknown {
  if (typeof value === 'string') return expandString(value, env, path, missing);
  if (Array.isArray(value)) return value.map((item, index) => walk(item, env, [...path, String(index)], missing));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, env, [...path, key], missing);
    return out;
  }
  return value;
}

function expandString(text: string, env: Record<string, string | undefined>, path: string[], missing: string[]) {
  return text.replace(reference, (match, name: string | undefined, fallback: string | undefined, bad?: string) => {
    if (match === '$$') return '$';
    const where = path.join('.') || '(root)';
    if (name === undefined) {
      missing.push(`${where}: "\${${bad ?? ''}}" is not a variable reference; use \${NAME} or \${NAME:-default}`);
      return match;
    }
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    if (found === '') return found;
    missing.push(`${where}: environment variable ${name} is not set`);
    return match;
  });
}

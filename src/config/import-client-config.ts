import { parse } from 'yaml';

import { ManifoldError } from '../core/errors.js';
import { normaliseClientFormats } from './parse-config.js';
import { serverNamePattern } from './schema.js';

/**
 * Turns a desktop client's MCP config (Claude Desktop / Cursor `mcpServers`, VS Code `servers`) into
 * Manifold `servers`, keeping `${VAR}` references as they are. Names Manifold cannot use are rewritten.
 */
export function importClientConfig(text: string, source: string): { servers: Record<string, unknown>; warnings: string[] } {
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
  const normalised = normaliseClientFormats({ ...(raw as Record<string, unknown>), ...('servers' in raw ? { inputs: [] } : {}) }, warnings);
  const servers: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries((normalised.servers ?? {}) as Record<string, unknown>)) {
    let safe = name;
    if (!serverNamePattern.test(name)) {
      safe = name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
      warnings.push(`server "${name}" renamed to "${safe}" (names may use letters, digits, "-" and single "_")`);
    }
    servers[safe] = entry;
  }
  return { servers, warnings: warnings.filter(warning => !warning.startsWith('"inputs"') || 'inputs' in raw) };
}

import { parseDocument } from 'yaml';
import type * as z from 'zod/v4';

import { ManifoldError } from '../core/errors.js';
import { expandReferences, inputVariable, type UnresolvedReference } from './expand-env.js';
import { configSchema, type ManifoldConfig } from './schema.js';
import { applyFleetEnv } from './fleet-schema.js';

export interface ParsedConfig {
  config: ManifoldConfig;
  /** Things that were accepted but ignored (foreign keys of imported client configs). */
  warnings: string[];
}

export interface ParseConfigOptions {
  /** Environment for `${VAR}` expansion; `process.env` is the caller's business, not this pure function's. */
  env?: Record<string, string | undefined>;
  /** Where the text came from, for messages. */
  source?: string;
  /** What `${workspaceFolder}` stands for (VS Code configs): the config file's folder; loadConfig sets it. */
  workspaceFolder?: string;
}

/** Where an unreachable server URL points: a reserved name (RFC 2606) that is never contacted. */
const unresolvedUrl = 'http://unresolved.invalid/';

/**
 * Parses a manifold.yaml / JSON text. Also accepts, unchanged, the `mcpServers` JSON of Claude Desktop and
 * Cursor, and VS Code's `{ "servers": ..., "inputs": ... }`. Throws ManifoldError(CONFIG_INVALID) with one
 * line per problem: `<path>: <what is wrong>`.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): ParsedConfig {
  const source = options.source ?? 'config';
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const lines = document.errors.map(error => error.message.split('\n')[0]);
    throw new ManifoldError('CONFIG_INVALID', `${source} is not valid YAML or JSON:\n${lines.join('\n')}`);
  }
  let raw: unknown;
  try {
    raw = document.toJS() ?? {};
  } catch (error) {
    // An alias without its anchor (`*name`) parses, and fails only here (found by test/fuzz/config-fuzz.test.ts).
    throw new ManifoldError('CONFIG_INVALID', `${source} is not valid YAML or JSON: ${(error as Error).message}`, { cause: error });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ManifoldError('CONFIG_INVALID', `${source}: expected a mapping with "servers" (or "mcpServers") at the top`);
  }
  const warnings: string[] = [];
  const normalised = normaliseClientFormats(raw as Record<string, unknown>, warnings);
  const context = { env: options.env ?? {}, ...(options.workspaceFolder !== undefined ? { workspaceFolder: options.workspaceFolder } : {}) };
  const { servers, ...rest } = normalised;
  const top = expandReferences(rest, context);
  const problems = top.unresolved.map(entry => `${entry.path}: ${entry.message}`);
  const expanded: Record<string, unknown> = { ...(top.value as Record<string, unknown>) };
  const unavailableServers: Record<string, string> = {};
  if (servers !== undefined) expanded.servers = expandServers(servers, context, problems, unavailableServers);
  if (problems.length > 0) {
    throw new ManifoldError('CONFIG_INVALID', `${source}: ${problems.join('\n')}\nSet the variable, or give a default with \${VAR:-default}.`, {
      data: { missing: problems }
    });
  }
  applyFleetEnv(expanded, context.env);
  const result = configSchema.safeParse(expanded);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, expanded);
    throw new ManifoldError('CONFIG_INVALID', `${source} has ${lines.length === 1 ? 'an error' : `${lines.length} errors`}:\n${lines.join('\n')}`, {
      data: { issues: lines }
    });
  }
  const config: ManifoldConfig = result.data;
  if (Object.keys(unavailableServers).length > 0) config.unavailableServers = unavailableServers;
  return { config, warnings };
}

/**
 * Expands each server entry on its own: a disabled server is not expanded at all (its variables need not
 * be set), and an enabled server whose variable is not set is kept, marked unavailable with the reason, so
 * that the other servers still serve. A reference that is not a reference at all is a config error.
 */
function expandServers(
  servers: unknown,
  context: { env: Record<string, string | undefined>; workspaceFolder?: string },
  problems: string[],
  unavailable: Record<string, string>
): unknown {
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) return servers;
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(servers as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      out[name] = entry;
      continue;
    }
    const disabled = (entry as Record<string, unknown>).enabled === false;
    const { value, unresolved } = expandReferences(entry, context, ['servers', name]);
    const invalid = unresolved.filter(reference => reference.kind === 'invalid');
    if (!disabled) problems.push(...invalid.map(reference => `${reference.path}: ${reference.message}`));
    const missing = unresolved.filter(reference => reference.kind === 'missing');
    const kept = (disabled ? entry : value) as Record<string, unknown>;
    if (!disabled && missing.length > 0) unavailable[name] = describeMissing(name, missing);
    // An unexpanded URL is no URL; the server never connects, so any well-formed one keeps the entry valid.
    out[name] = typeof kept.url === 'string' && kept.url.includes('${') && (disabled || missing.length > 0) ? { ...kept, url: unresolvedUrl } : kept;
  }
  return out;
}

/** `server "docs": environment variable DOCS_TOKEN is not set (servers.docs.headers.Authorization); set it or use ${DOCS_TOKEN:-default}`. */
function describeMissing(server: string, missing: UnresolvedReference[]): string {
  const parts = missing.map(reference => {
    const hint = reference.input !== undefined ? 'set it before starting Manifold' : `set it or use \${${reference.variable ?? 'VAR'}:-default}`;
    return `${reference.message} (${reference.path}); ${hint}`;
  });
  return `server "${server}": ${[...new Set(parts)].join('; ')}`;
}

/** Keys that desktop clients put in server entries and Manifold does not use. */
const foreignServerKeys = new Set(['autoApprove', 'alwaysAllow', 'disabledTools', 'transportType', 'envFile', 'dev', 'gallery', 'version']);

export function normaliseClientFormats(raw: Record<string, unknown>, warnings: string[]): Record<string, unknown> {
  const isClaudeStyle = 'mcpServers' in raw;
  const isVsCodeStyle = 'inputs' in raw || (!isClaudeStyle && !('gateway' in raw) && looksLikeVsCode(raw.servers));
  if (!isClaudeStyle && !isVsCodeStyle) return raw;

  const out: Record<string, unknown> = { ...raw };
  let servers: unknown = raw.servers;
  if (isClaudeStyle) {
    servers = raw.mcpServers;
    delete out.mcpServers;
    if ('servers' in raw) throw new ManifoldError('CONFIG_INVALID', 'use either "servers" or "mcpServers", not both');
  }
  if ('inputs' in out) {
    const inputs: unknown[] = Array.isArray(out.inputs) ? (out.inputs as unknown[]) : [];
    const ids = inputs.flatMap(input => {
      const id = input && typeof input === 'object' ? (input as { id?: unknown }).id : undefined;
      return typeof id === 'string' ? [id] : [];
    });
    const named = ids.length > 0 ? ` (here: ${ids.map(id => `${inputVariable(id)} for "${id}"`).join(', ')})` : '';
    warnings.push(`"inputs" (VS Code prompts) are read from the environment instead: \${input:<id>} is MANIFOLD_INPUT_<ID in upper snake case>${named}`);
    delete out.inputs;
  }
  for (const key of Object.keys(out)) {
    if (!['servers', 'gateway', '$schema', 'workflows', 'workflowDirs', 'store', 'views', 'discovery', 'models', 'agents', 'routers', 'limits', 'auth', 'rules'].includes(key)) {
      warnings.push(`top-level "${key}" is not a Manifold setting and is ignored`);
      delete out[key];
    }
  }
  if (servers && typeof servers === 'object' && !Array.isArray(servers)) {
    const mapped: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(servers)) {
      mapped[name] = normaliseServerEntry(name, entry, warnings);
    }
    out.servers = mapped;
  }
  return out;
}

function looksLikeVsCode(servers: unknown): boolean {
  if (!servers || typeof servers !== 'object') return false;
  return Object.values(servers).some(entry => entry && typeof entry === 'object' && ('envFile' in entry || 'dev' in entry));
}

function normaliseServerEntry(name: string, entry: unknown, warnings: string[]): unknown {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return entry;
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  if ('disabled' in out) {
    if (typeof out.disabled === 'boolean') out.enabled = !out.disabled;
    delete out.disabled;
  }
  for (const key of Object.keys(out)) {
    if (foreignServerKeys.has(key)) {
      warnings.push(`servers.${name}.${key} is a setting of another client and is ignored`);
      delete out[key];
    }
  }
  if (out.type === 'stdio' && 'url' in out) return out;
  if (out.type === 'local') out.type = 'stdio';
  if (out.type === 'remote' || out.type === 'streamable-http' || out.type === 'streamableHttp') out.type = 'http';
  return out;
}

/** One line per issue, `path: message`; a union issue is reported for the branch the entry was meant as. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const value = valueAt(input, path);
      const isAuth = path.length === 1 && path[0] === 'auth';
      const branch = isAuth ? (value !== null && typeof value === 'object' && !Array.isArray(value) ? 1 : undefined) : pickBranch(value, issue.errors.length);
      if (branch === undefined) {
        if (isAuth) {
          lines.push('auth: expected "none" (no credentials asked) or a mapping with "keys" and/or "jwt" (docs/SECURITY.md)');
          continue;
        }
        const isServerEntry = path.length === 2 && path[0] === 'servers';
        lines.push(`${formatPath(path)}: ${isServerEntry ? 'expected a stdio server (with "command") or a remote server (with "url")' : issue.message}`);
        continue;
      }
      lines.push(...formatIssues(issue.errors[branch] ?? [], input, path));
      continue;
    }
    lines.push(`${formatPath(path)}: ${describeIssue(issue)}`);
  }
  return [...new Set(lines)];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(key => `"${key}"`).join(', ')} (check the spelling; see docs/CONFIG.md)`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `required: ${issue.message}`;
  return issue.message;
}

function pickBranch(value: unknown, branches: number): number | undefined {
  if (!value || typeof value !== 'object' || branches !== 2) return undefined;
  if ('command' in value) return 0;
  if ('url' in value) return 1;
  return undefined;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function formatPath(path: PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

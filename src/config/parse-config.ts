import { parseDocument } from 'yaml';
import type * as z from 'zod/v4';

import { ManifoldError } from '../core/errors.js';
import { expandEnv } from './expand-env.js';
import { configSchema, type ManifoldConfig } from './schema.js';

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
}

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
  const raw: unknown = document.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ManifoldError('CONFIG_INVALID', `${source}: expected a mapping with "servers" (or "mcpServers") at the top`);
  }
  const warnings: string[] = [];
  const normalised = normaliseClientFormats(raw as Record<string, unknown>, warnings);
  let expanded: unknown;
  try {
    expanded = expandEnv(normalised, options.env ?? {});
  } catch (error) {
    if (error instanceof ManifoldError) throw new ManifoldError(error.code, `${source}: ${error.message}`, { data: error.data });
    throw error;
  }
  const result = configSchema.safeParse(expanded);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, expanded);
    throw new ManifoldError('CONFIG_INVALID', `${source} has ${lines.length === 1 ? 'an error' : `${lines.length} errors`}:\n${lines.join('\n')}`, {
      data: { issues: lines }
    });
  }
  return { config: result.data, warnings };
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
    warnings.push('"inputs" (VS Code prompts for secrets) is ignored: use ${VAR} references to the environment instead');
    delete out.inputs;
  }
  for (const key of Object.keys(out)) {
    if (key !== 'servers' && key !== 'gateway' && key !== '$schema' && key !== 'workflows' && key !== 'store') {
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
      const branch = pickBranch(value, issue.errors.length);
      if (branch === undefined) {
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

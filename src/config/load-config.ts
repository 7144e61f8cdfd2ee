import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

import { parse } from 'yaml';

import { ManifoldError } from '../core/errors.js';
import { loadWorkflowFiles } from './load-workflow-files.js';
import { type ParsedConfig, parseConfig } from './parse-config.js';

export const defaultConfigNames = ['manifold.yaml', 'manifold.yml', 'manifold.json'];

/** Which config file to use: `--config`, then `MANIFOLD_CONFIG`, then ./manifold.{yaml,yml,json}. */
export function resolveConfigPath(explicit: string | undefined, env: Record<string, string | undefined>, cwd = process.cwd()): string {
  const chosen = explicit ?? env.MANIFOLD_CONFIG;
  if (chosen) return resolve(cwd, chosen);
  for (const name of defaultConfigNames) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new ManifoldError(
    'CONFIG_NOT_FOUND',
    `no config file: pass --config <file>, set MANIFOLD_CONFIG, or create ./manifold.yaml (try: manifold init, or --config examples/default.yaml)`
  );
}

export interface LoadedConfig extends ParsedConfig {
  path: string;
}

/** Reads and parses a config file (thin I/O around {@link parseConfig}). */
export function loadConfig(path: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ManifoldError('CONFIG_NOT_FOUND', `cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  // MANIFOLD_CONFIG_DIR lets a config name files beside itself portably.
  const configDir = dirname(resolve(path));
  const withDir = { MANIFOLD_CONFIG_DIR: configDir, ...env };
  const parsed = parseConfig(text, { env: withDir, source: path, workspaceFolder: workspaceFolderOf(configDir) });
  // Workflows may also live one per file in the folders the config names (docs/WORKFLOWS.md); no folder is
  // read unless named, so an unrelated `workflows/` (GitHub Actions) beside the config is left alone.
  for (const entry of parsed.config.workflowDirs) {
    const workflowDir = resolve(configDir, entry);
    if (!existsSync(workflowDir) || !statSync(workflowDir).isDirectory()) {
      throw new ManifoldError('CONFIG_INVALID', `${path}: workflowDirs: "${entry}" is not a folder (${workflowDir}); create it or remove the entry`);
    }
    const fromFiles = loadWorkflowFiles(workflowDir, withDir);
    for (const [name, workflow] of Object.entries(fromFiles)) {
      if (parsed.config.workflows[name]) {
        const where = parsed.config.workflows[name].source ?? `${path} (workflows.${name})`;
        throw new ManifoldError('CONFIG_INVALID', `workflow "${name}" is defined both in ${where} and in ${workflow.source ?? workflowDir}`);
      }
      parsed.config.workflows[name] = workflow;
    }
  }
  if (parsed.config.workflowDirs.length === 0) {
    const unread = unreadWorkflowFiles(resolve(configDir, 'workflows'));
    if (unread.length > 0) {
      parsed.warnings.push(
        `workflows/ beside ${path} holds workflow files (${unread.join(', ')}) that are not loaded: add "workflowDirs: [workflows]" to the config to load them`
      );
    }
  }
  return { ...parsed, path };
}

/** Files of a folder that look like Manifold workflows (a top-level `steps` list, no `jobs`), for a hint. */
function unreadWorkflowFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter(file => /\.(ya?ml|json)$/.test(file))
    .sort()
    .filter(file => {
      try {
        const content: unknown = parse(readFileSync(resolve(dir, file), 'utf8'));
        return !!content && typeof content === 'object' && Array.isArray((content as { steps?: unknown }).steps) && !('jobs' in content);
      } catch {
        return false;
      }
    });
}

/**
 * What `${workspaceFolder}` means: the config file's folder, or, for a VS Code `.vscode/mcp.json`, the
 * workspace that holds `.vscode` (as VS Code itself resolves it).
 */
export function workspaceFolderOf(configDir: string): string {
  return basename(configDir) === '.vscode' ? dirname(configDir) : configDir;
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

import { parseDocument } from 'yaml';

import { ManifoldError } from '../core/errors.js';
import { expandEnv } from './expand-env.js';
import { formatIssues } from './parse-config.js';
import { type WorkflowDefinition, workflowFileSchema, workflowNamePattern } from './workflow-schema.js';

/**
 * Reads every `*.yaml|*.yml|*.json` file of a `workflows/` folder: one workflow per file, named by its
 * `name` key or by the file name. Throws CONFIG_INVALID with one line per problem, `<file>: <path>: <what>`.
 */
export function loadWorkflowFiles(dir: string, env: Record<string, string | undefined>): Record<string, WorkflowDefinition> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return {};
  const out: Record<string, WorkflowDefinition> = {};
  const problems: string[] = [];
  const files = readdirSync(dir)
    .filter(file => ['.yaml', '.yml', '.json'].includes(extname(file)))
    .sort();
  for (const file of files) {
    const path = join(dir, file);
    const result = parseWorkflowFile(readFileSync(path, 'utf8'), path, env, basename(file, extname(file)));
    if ('problems' in result) {
      problems.push(...result.problems);
      continue;
    }
    if (out[result.name]) {
      problems.push(`${path}: workflow "${result.name}" is also defined by another file in ${dir}`);
      continue;
    }
    out[result.name] = result.workflow;
  }
  if (problems.length > 0) {
    throw new ManifoldError('CONFIG_INVALID', `workflow files have ${problems.length === 1 ? 'an error' : `${problems.length} errors`}:\n${problems.join('\n')}`, {
      data: { issues: problems }
    });
  }
  return out;
}

/** Parses one workflow file's text (pure). */
export function parseWorkflowFile(
  text: string,
  source: string,
  env: Record<string, string | undefined>,
  defaultName: string
): { name: string; workflow: WorkflowDefinition } | { problems: string[] } {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) return { problems: document.errors.map(error => `${source}: ${error.message.split('\n')[0]}`) };
  let expanded: unknown;
  try {
    expanded = expandEnv(document.toJS() ?? {}, env);
  } catch (error) {
    return { problems: [`${source}: ${(error as Error).message}`] };
  }
  const parsed = workflowFileSchema.safeParse(expanded);
  if (!parsed.success) return { problems: formatIssues(parsed.error.issues, expanded).map(line => `${source}: ${line}`) };
  const { name = defaultName, ...workflow } = parsed.data;
  if (!workflowNamePattern.test(name) || name.length > 64) {
    return { problems: [`${source}: workflow name "${name}" must be 1-64 letters, digits, "-" and single "_" (set "name:" in the file)`] };
  }
  return { name, workflow: { ...workflow, source } };
}

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

import { manifoldCommand, repoRoot } from '../helpers/gateway.js';

const run = promisify(execFile);

/** Runs `manifold audit …` against a config; its exit code, stdout and stderr. */
export async function auditCli(configPath: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(manifoldCommand.command, [...manifoldCommand.args, 'audit', ...args, '--config', configPath], { cwd: repoRoot, maxBuffer: 64 * 1024 ** 2 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

export interface Row {
  seq: number;
  principal: string;
  session: string;
  view: string | null;
  method: string;
  target: string | null;
  upstream: string | null;
  server: string | null;
  argsDigest: string;
  argsSize: number;
  arguments: string | null;
  outcome: string;
  error: string | null;
  resultSize: number;
  runId: string | null;
  stepId: string | null;
}

/** Every row, through `manifold audit --json`. */
export async function auditRows(configPath: string): Promise<Row[]> {
  const result = await auditCli(configPath, ['--json', '--limit', '100000']);
  if (result.code !== 0) throw new Error(`manifold audit failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Row[];
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What the crash tests of model-driven runs share: a gateway in its own process (killed by itself at a journal
 * point named by MANIFOLD_TEST_CRASH_AFTER), the CLI in its own process, a tool call read back, and the counter
 * fixture's file read as how often each call really ran.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';

import type { Client } from '@modelcontextprotocol/client';

import { manifoldCommand, stopChild, waitForStderr } from '../helpers/gateway.js';

export interface GatewayProcess extends AsyncDisposable {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

/** `manifold serve --http 0` on the config; with `crashAfter`, it kills itself (SIGKILL) at that journal point. */
export async function startGateway(configPath: string, crashAfter?: string): Promise<GatewayProcess> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(crashAfter ? { MANIFOLD_TEST_CRASH_AFTER: crashAfter } : {}) }
  });
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 30_000);
  return { url: match[1] as string, child, stderr, [Symbol.asyncDispose]: () => stopChild(child, 5000) };
}

/** Waits for the gateway to die, and checks it killed itself (the crash hook), not something else. */
export async function crashed(gateway: { child: ChildProcess; stderr: () => string }): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) await once(gateway.child, 'exit');
  assert.equal(gateway.child.signalCode, 'SIGKILL', `the gateway should have killed itself:\n${gateway.stderr()}`);
}

/** `manifold <args> --config <path>` in its own process: exit code and output. */
export async function cli(configPath: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Calls a tool. `timeoutMs` for a call the gateway dies under: the SDK client may not notice a response stream cut
 * by a kill and wait out its 60 s request timeout (seen once in four runs), where the test only needs the failure.
 */
export async function callTool(client: Client, name: string, args: Record<string, unknown>, timeoutMs?: number): Promise<{ isError: boolean; text: string; structured: any; meta: any }> {
  const result = await client.callTool({ name, arguments: args }, timeoutMs === undefined ? undefined : { timeout: timeoutMs });
  const text = (result.content as Array<{ text?: string }>).map(block => block.text ?? '').join('\n');
  return { isError: result.isError === true, text, structured: result.structuredContent ?? {}, meta: result._meta ?? {} };
}

/** How often each counter call (`read a`, `write b`) really ran, across processes. */
export function counts(file: string): Record<string, number> {
  const result: Record<string, number> = {};
  if (!existsSync(file)) return result;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) result[line] = (result[line] ?? 0) + 1;
  return result;
}

/** The run's record and steps (`manifold runs <id> --json`). */
export async function runRecord(configPath: string, runId: string): Promise<{ run: any; steps: any[] }> {
  const shown = await cli(configPath, ['runs', runId, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout);
}

/** How long a call the gateway is expected to die under is waited for (its failure is what the test needs). */
export const dyingCallMs = 20_000;

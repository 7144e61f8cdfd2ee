/**
 * Fixture servers run as real processes: HTTP ones started on a free loopback port, and process checks.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

import { manifoldCommand, repoRoot, stopChild, tsEntry, waitForStderr } from './gateway.js';

export interface FixtureHttpServer extends AsyncDisposable {
  url: string;
  process: ChildProcess;
  stderr: () => string;
}

/** Starts `test/fixtures/servers/<file>` with `args` and waits for the `serving MCP at <url>` line. */
export async function startFixtureHttp(file: string, args: string[]): Promise<FixtureHttpServer> {
  const child = spawn(process.execPath, [...tsEntry(`test/fixtures/servers/${file}`), ...args], {
    stdio: ['ignore', 'ignore', 'pipe']
  });
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, file, 20_000);
  return { url: match[1] as string, process: child, stderr, [Symbol.asyncDispose]: () => stopChild(child) };
}

/**
 * Whether a process with this pid is running (signal 0 probes without signalling). A zombie (exited, not yet
 * reaped by its parent, e.g. an orphan under a container's init) counts as not running.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** The text of a tool result's first content block. */
export function firstText(result: { content?: unknown }): string {
  const content = result.content as { type: string; text?: string }[] | undefined;
  const block = content?.[0];
  if (!block || block.type !== 'text' || typeof block.text !== 'string') throw new Error(`expected a text block, got ${JSON.stringify(result).slice(0, 300)}`);
  return block.text;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Manifold CLI from source (`manifold <args>`) to completion. */
export async function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>(resolve => child.once('close', status => resolve(status)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Pids of running processes whose command line contains `marker`. */
export function pidsWithArg(marker: string): number[] {
  const text = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return text
    .split('\n')
    .filter(line => line.includes(marker) && !line.includes('ps -eo'))
    .map(line => Number(line.trim().split(' ')[0]))
    .filter(pid => pid !== process.pid && isAlive(pid));
}

/** A free TCP port on 127.0.0.1 (bound and released; for servers that cannot report the port they got). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/**
 * The official everything server over a remote transport (`sse`: legacy HTTP+SSE at /sse; `streamableHttp`:
 * sessionful Streamable HTTP at /mcp), on a free loopback port. Waits until it listens.
 */
export async function startEverythingRemote(mode: 'sse' | 'streamableHttp'): Promise<{ url: string } & AsyncDisposable> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), mode], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PORT: String(port) }
  });
  await waitForStderr(child, /running on port|listening on port/i, `everything (${mode})`, 20_000);
  return { url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`, [Symbol.asyncDispose]: () => stopChild(child) };
}

/**
 * Progress relayed from a call of `total` steps: some arrived, in order, each a step of that call. Not all
 * must: the SDK v2 client dispatches a notification a microtask after it reads it and a response at once, so
 * progress read in the same chunk as the result (the last step, or more on a loaded machine) is dropped, with
 * or without the gateway.
 */
export function assertProgress(values: number[], total: number, what: string): void {
  if (values.length === 0) throw new Error(`${what}: no progress arrived`);
  values.forEach((value, index) => {
    if (!Number.isInteger(value) || value < 1 || value > total || (index > 0 && value <= values[index - 1]!)) {
      throw new Error(`${what}: progress out of order or range: ${JSON.stringify(values)} (total ${total})`);
    }
  });
}

import { readFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const node = process.execPath;
export const binOf = (pkg: string, file: string) => join(repoRoot, 'node_modules', pkg, file);

export interface Service {
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** A free loopback port (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts a long-running command in its own process group and waits until it is ready: until its output
 * matches `ready` (a RegExp) or a TCP `port` accepts connections. `stop()` kills the whole group.
 */
export async function startService(
  command: string,
  args: string[],
  options: { ready: RegExp | { port: number }; env?: Record<string, string>; cwd?: string; timeoutMs?: number }
): Promise<Service & { match?: RegExpExecArray }> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
    try {
      process.kill(-(child.pid ?? 0), 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let match: RegExpExecArray | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    if (options.ready instanceof RegExp) {
      const found = options.ready.exec(output);
      if (found) {
        match = found;
        break;
      }
    } else if (await portOpen(options.ready.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} ${args.join(' ')} not ready in time:\n${output}`);
    }
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  return { process: child, output: () => output, stop, ...(match ? { match } : {}) };
}

/** Resident set size of a process in MiB (from /proc), or NaN. */
export async function rssMiB(pid: number | undefined): Promise<number> {
  if (!pid) return Number.NaN;
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (clock ticks of 10 ms), or NaN.
 * Sampled before and after a run, it gives a process's CPU per call independent of how loaded the machine is.
 */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

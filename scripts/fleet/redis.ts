/**
 * A throwaway Redis for tests: `redis-server` (the Debian package, installed by scripts/system-packages.mjs) on a
 * free loopback port, with no persistence, stopped by its pid. `kill()` stops it as a crash would (SIGKILL) and
 * `restart()` brings it back on the same port, empty.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface TestRedis extends AsyncDisposable {
  url: string;
  port: number;
  pid: () => number | undefined;
  /** SIGKILL: the connection drops as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const binary = process.env.REDIS_SERVER ?? 'redis-server';

function requireRedisServer(): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
  if (!found)
    throw new Error(
      `${binary} is not installed: these tests run a real Redis. Install it with \`sudo apt-get install redis-server\` (or run \`node scripts/system-packages.mjs\` as root), or set REDIS_SERVER to its path.`
    );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let output = '';
  child.stdout?.on('data', chunk => (output += String(chunk)));
  child.stderr?.on('data', chunk => (output += String(chunk)));
  // Ready when the port accepts a PING.
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) on port ${port}: ${output.trim()}`);
    if (await pings(port)) return child;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output.trim()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

async function pings(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', data => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>(resolve => child.once('exit', () => resolve()));
}

export async function startRedis(): Promise<TestRedis> {
  requireRedisServer();
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const stop = async (signal: NodeJS.Signals) => {
    const current = child;
    child = undefined;
    if (!current?.pid) return;
    process.kill(current.pid, signal);
    await waitForExit(current);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid,
    kill: () => stop('SIGKILL'),
    restart: async () => {
      if (child) await stop('SIGTERM');
      child = await launch(port);
    },
    stop: () => stop('SIGTERM'),
    [Symbol.asyncDispose]: () => stop('SIGTERM')
  };
}

/**
 * The processes of a local fleet on loopback, shared by `npm run fleet` (scripts/fleet/launch.ts), the fleet
 * end-to-end test (test/fleet-e2e) and the fleet bench (bench/fleet.ts): Redis (./redis.ts), PostgreSQL
 * (./postgres.ts), N `manifold serve --http <port>` instances and nginx with the generated config
 * (./nginx-config.ts). Every process is a child of this one and is stopped by its pid.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { tsEntry } from '../test-entry.js';
import { nginxConfig } from './nginx-config.js';
import { type PostgresServer, startPostgres } from './postgres.js';
import { startRedis, type TestRedis } from './redis.js';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Waits for a child to exit (at once if it has). */
export async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>(resolve => child.once('exit', () => resolve()));
}

/** Stops a child by its pid: `signal` (SIGTERM), then SIGKILL after `killAfterMs`; waits for it. */
export async function stopByPid(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  process.kill(child.pid, signal);
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, killAfterMs);
  await done;
  clearTimeout(timer);
}

async function waitForHttp(url: string, child: ChildProcess, what: string, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) at start:\n${output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

export interface GatewayInstance {
  id: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Its stderr so far (the log). */
  output(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `manifold serve --http <port>` from source (tsx, or the run's test build) with `MANIFOLD_INSTANCE_ID`, waiting until `/readyz` answers.
 * `env` adds to the environment (MANIFOLD_STORE, MANIFOLD_REDIS).
 */
export async function startGatewayInstance(options: {
  id: string;
  configPath: string;
  port?: number;
  env?: Record<string, string>;
  logLevel?: string;
}): Promise<GatewayInstance> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [...tsEntry('src/cli/bin.ts'), 'serve', '--http', String(port), '--config', options.configPath, '--log-level', options.logLevel ?? 'warn'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env, MANIFOLD_INSTANCE_ID: options.id } }
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-200_000)));
  const killOnExit = () => {
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, child, `gateway instance ${options.id}`, () => log, 60_000);
  } catch (error) {
    await stopByPid(child, 'SIGKILL');
    throw error;
  }
  return {
    id: options.id,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => log,
    kill: () => stopByPid(child, 'SIGKILL'),
    stop: () => stopByPid(child, 'SIGTERM', 10_000)
  };
}

export interface Nginx {
  url: string;
  port: number;
  child: ChildProcess;
  runDir: string;
  configPath: string;
  stop(): Promise<void>;
}

const nginxBinary = process.env.NGINX ?? (spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/nginx');

/** nginx in front of `instances`, with the generated config (daemon off, pid/logs/temp files in a temp folder). */
export async function startNginx(instances: ReadonlyArray<{ id: string; port: number }>, port?: number): Promise<Nginx> {
  const listenPort = port ?? (await freePort());
  const runDir = mkdtempSync(join(tmpdir(), 'manifold-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(runDir, sub));
  const configPath = join(runDir, 'nginx.conf');
  writeFileSync(configPath, nginxConfig({ listen: `127.0.0.1:${listenPort}`, instances, runDir }));
  const child = spawn(nginxBinary, ['-c', configPath, '-p', runDir, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.once('error', error => (log += `\n${error.message} (is nginx installed? apt-get install nginx)`));
  const killOnExit = () => {
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const url = `http://127.0.0.1:${listenPort}`;
  try {
    await waitForHttp(`${url}/healthz`, child, 'nginx', () => log, 15_000);
  } catch (error) {
    await stopByPid(child, 'SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port: listenPort,
    child,
    runDir,
    configPath,
    stop: async () => {
      // SIGQUIT: graceful shutdown of the master and its worker; SIGKILL would leave the worker behind.
      await stopByPid(child, 'SIGQUIT', 5000);
      rmSync(runDir, { recursive: true, force: true });
    }
  };
}

export interface Fleet {
  redis: TestRedis;
  postgres: PostgresServer;
  storeUrl: string;
  instances: GatewayInstance[];
  nginx: Nginx;
  configPath: string;
  /** The environment of every instance (MANIFOLD_STORE, MANIFOLD_REDIS): give it to `manifold audit` etc. */
  env: Record<string, string>;
  /** Stops everything by pid (nginx, instances, Redis, PostgreSQL) and removes the temp folders. */
  stop(): Promise<void>;
}

/**
 * Redis, PostgreSQL (a database for this fleet), `count` instances gw-1..gw-N with `config` (the store and redis
 * come from the environment) and nginx in front. On a failure part way, what started is stopped.
 */
export async function startFleet(options: {
  /** The config (written to a temp file), or the path of a config file of yours. */
  config: Record<string, unknown> | string;
  count?: number;
  logLevel?: string;
  /** PostgreSQL with fsync (the launcher, the bench); off: a throwaway test database. */
  durable?: boolean;
  /** nginx's port (default: a free one). */
  port?: number;
  /** Told as each process is up. */
  onStarted?: (what: string) => void;
  /** 'sqlite': the instances keep the config's SQLite file instead of PostgreSQL (the bench's comparison). */
  store?: 'postgres' | 'sqlite';
}): Promise<Fleet> {
  const count = options.count ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'manifold-fleet-'));
  const configPath = typeof options.config === 'string' ? options.config : join(dir, 'manifold.yaml');
  if (typeof options.config !== 'string') writeFileSync(configPath, stringify(options.config));
  const told = options.onStarted ?? (() => {});
  const started: { redis?: TestRedis; postgres?: PostgresServer; instances: GatewayInstance[]; nginx?: Nginx } = { instances: [] };
  const stop = async () => {
    await started.nginx?.stop().catch(() => {});
    await Promise.all(started.instances.map(instance => instance.stop().catch(() => {})));
    await started.redis?.stop().catch(() => {});
    await started.postgres?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    [started.redis, started.postgres] = await Promise.all([startRedis(), startPostgres({ durable: options.durable ?? false })]);
    told(`redis-server (pid ${started.redis.pid()}) at ${started.redis.url}`);
    const storeUrl = await started.postgres.createDatabase();
    told(`PostgreSQL (pid ${started.postgres.pid}) at ${storeUrl}`);
    const env: Record<string, string> = { MANIFOLD_REDIS: started.redis.url };
    if (options.store !== 'sqlite') env.MANIFOLD_STORE = storeUrl;
    // One first (it runs the migrations), then the others together (they find them done).
    started.instances.push(await startGatewayInstance({ id: 'gw-1', configPath, env, ...(options.logLevel ? { logLevel: options.logLevel } : {}) }));
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, index) =>
        startGatewayInstance({ id: `gw-${index + 2}`, configPath, env, ...(options.logLevel ? { logLevel: options.logLevel } : {}) })
      )
    );
    started.instances.push(...rest);
    for (const instance of started.instances) told(`manifold serve ${instance.id} (pid ${instance.child.pid}) at ${instance.url}/mcp`);
    started.nginx = await startNginx(started.instances, options.port);
    told(`nginx (pid ${started.nginx.child.pid}) at ${started.nginx.url}, config ${started.nginx.configPath}`);
    return {
      redis: started.redis,
      postgres: started.postgres,
      storeUrl,
      instances: started.instances,
      nginx: started.nginx,
      configPath,
      env,
      stop
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

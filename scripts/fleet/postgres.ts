import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `postgres` on a free loopback port
 * (no Unix socket outside that folder, no system service), run as the `postgres` user when the tests run as root
 * (PostgreSQL refuses root). One per test file; {@link PostgresServer.createDatabase} gives each test its own
 * database. Nothing is skipped: without PostgreSQL the test fails, saying how to install it.
 */
export interface PostgresServer {
  port: number;
  /** The server's pid (stopped by pid in {@link stop}). */
  readonly pid: number;
  /** A new empty database; its postgres:// URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown) and waits for it; the data folder stays for {@link start}. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data (after {@link halt}). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

const installHint =
  'PostgreSQL is needed by this test and was not found (no initdb in /usr/lib/postgresql/*/bin or on PATH): ' +
  'install it with "apt-get install postgresql" (Debian 12: PostgreSQL 15), or run "node scripts/system-packages.mjs" as root';

/** The folder of initdb and postgres: the newest /usr/lib/postgresql/<version>/bin, else PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter(name => existsSync(join(root, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    if (initdb) return initdb.slice(0, initdb.lastIndexOf('/'));
  } catch {
    // not on PATH either
  }
  throw new Error(installHint);
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

/** The uid and gid to run PostgreSQL as: `postgres` when we are root, else ourselves. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`the tests run as root and there is no "postgres" user to run PostgreSQL as: ${installHint}`);
  }
}

let databases = 0;

export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'manifold-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'manifold', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    stdio: 'pipe',
    ...(user ?? {})
  });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const kill = () => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);

  const start = async () => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
    // Tests: no fsync (a crash of the test machine loses a throwaway database). The bench keeps fsync on,
    // commits asynchronous like SQLite's WAL with synchronous=NORMAL.
    if (options.durable) args.push('-c', 'synchronous_commit=off');
    else args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const started = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) });
    child = started;
    let log = '';
    started.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    exited = new Promise(resolve => started.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`PostgreSQL (${bin}/postgres) stopped at start:\n${log}`);
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'manifold', database: 'postgres' });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections on 127.0.0.1:${port} within 20 s:\n${log}`);
        await new Promise(resolve => setTimeout(resolve, 50));
      }
    }
  };
  const halt = async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      child.kill('SIGINT');
      await exited;
    }
  };
  await start();
  return {
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    async createDatabase() {
      const name = `t${process.pid}_${++databases}`;
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'manifold', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://manifold@127.0.0.1:${port}/${name}`;
    },
    halt,
    start,
    async stop() {
      await halt();
      process.off('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/**
 * The one place Manifold starts processes. Each child gets its own process group, so that the whole
 * group (the server and anything it started, such as `npx` → `node`) can be signalled and reaped.
 */

/** Variables a server inherits from Manifold's environment; everything else must be configured. */
export const inheritedEnvironmentKeys =
  process.platform === 'win32'
    ? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES']
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'NODE_OPTIONS', 'npm_config_cache', 'npm_config_registry', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME'];

/** The allow-listed part of the current environment, plus the server's own `env`. */
export function buildChildEnvironment(configured: Record<string, string>, source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of inheritedEnvironmentKeys) {
    const value = source[key];
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return { ...env, ...configured };
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: whatever path ends Manifold, no child group outlives it.
  process.on('exit', () => {
    for (const pid of liveGroups) {
      signalGroup(pid, 'SIGKILL');
      tellReaper(`-${pid}`);
    }
  });
}

/**
 * The reaper: a small process of its own that is told each group Manifold starts and reaps ("-pid"). When its
 * stdin ends without an orderly goodbye, Manifold died without running its exit hook (SIGKILL, a crash of the
 * runtime): it then ends every group still listed. Not on Windows (no process groups).
 */
const reaperSource = `
const groups = new Set();
let buffered = '';
const kill = signal => { for (const pid of groups) { try { process.kill(-pid, signal); } catch {} } };
process.stdin.on('data', chunk => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line[0] === '+') groups.add(Number(line.slice(1)));
    else if (line[0] === '-') groups.delete(Number(line.slice(1)));
  }
});
process.stdin.on('end', () => {
  if (groups.size === 0) process.exit(0);
  kill('SIGTERM');
  setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 1000);
});
`;
let reaper: { write(line: string): void } | undefined;

function tellReaper(line: string): void {
  if (process.platform === 'win32') return;
  if (!reaper) {
    try {
      const child = spawn(process.execPath, ['-e', reaperSource], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      child.on('error', () => (reaper = { write: () => {} }));
      child.stdin.on('error', () => {});
      // Neither the process nor its pipe keeps Manifold alive.
      child.unref();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      reaper = { write: text => void child.stdin.write(text) };
    } catch {
      reaper = { write: () => {} };
    }
  }
  reaper.write(`${line}\n`);
}

export interface SpawnOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface SpawnedProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the whole process group: SIGTERM, then SIGKILL after `graceMs`. Resolves when the leader exited. */
  terminate(graceMs?: number): Promise<void>;
}

/** Spawns a server in a new process group with piped stdio. Errors (ENOENT) surface on `child` 'error'. */
export function spawnProcess(options: SpawnOptions): SpawnedProcess {
  installExitHook();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true
  });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    tellReaper(`+${pid}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => {
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      resolve({ code, signal });
    };
    child.once('exit', finish);
    child.once('error', () => {
      if (child.pid === undefined) finish(null, null);
    });
  });

  const terminate = async (graceMs = 2000): Promise<void> => {
    if (pid === undefined) return;
    const stillRunning = child.exitCode === null && child.signalCode === null;
    if (stillRunning) {
      child.stdin.end();
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    // The leader is gone; grandchildren that ignored SIGTERM still hold the group.
    signalGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
    tellReaper(`-${pid}`);
  };

  void exited.then(() => {
    // A leader that exited on its own may leave the group behind (e.g. npx's child); reap it.
    if (pid !== undefined) {
      signalGroup(pid, 'SIGTERM');
      setTimeout(() => {
        signalGroup(pid, 'SIGKILL');
        liveGroups.delete(pid);
        tellReaper(`-${pid}`);
      }, 1000).unref();
    }
  });

  return { child, exited, terminate };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

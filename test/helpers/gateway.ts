/**
 * Shared e2e helpers: temp configs, the gateway as a real subprocess (stdio or HTTP), and real SDK v2
 * clients in either protocol era. Everything returned is AsyncDisposable: use `await using`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { stringify } from 'yaml';

import { tsEntry } from '../../scripts/test-entry.js';

export { tsEntry };

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** The command that runs the Manifold CLI from source (or its test build: {@link tsEntry}). */
export const manifoldCommand = { command: process.execPath, args: tsEntry('src/cli/bin.ts') };

/** Path of an official npm server's entry (server-everything, server-memory, server-filesystem). */
export function npmServerPath(name: 'server-everything' | 'server-memory' | 'server-filesystem'): string {
  return join(repoRoot, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');
}

/**
 * A TypeScript fixture server under test/fixtures/servers, as a stdio server config entry. Its cwd is the
 * repository, where `--import tsx` resolves (the gateway's default cwd, the config's temp folder, has none).
 */
export function fixtureServer(file: string, args: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [...tsEntry(`test/fixtures/servers/${file}`), ...args], cwd: repoRoot, ...extra };
}

export interface TempConfig extends AsyncDisposable {
  path: string;
  dir: string;
}

/**
 * The config tests of other features run with: the approval gate (security.approval, on by default) off unless the
 * test says something about `security`, so their destructive fixture tools run without a person's yes
 * (test/security/approval.test.ts tests the gate with its defaults).
 */
export function withTestDefaults(config: Record<string, unknown>): Record<string, unknown> {
  return 'security' in config ? config : { ...config, security: { approval: { enabled: false } } };
}

/** Writes a manifold.yaml into a fresh temp dir (with `withTestDefaults`). */
export function writeConfig(config: Record<string, unknown>): TempConfig {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-test-'));
  const path = join(dir, 'manifold.yaml');
  writeFileSync(path, stringify(withTestDefaults(config)));
  return { path, dir, [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** The three official npm servers, as in examples/default.yaml but with a private sandbox. */
export function defaultServers(sandbox: string): Record<string, unknown> {
  return {
    everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] },
    memory: { command: process.execPath, args: [npmServerPath('server-memory')], env: { MEMORY_FILE_PATH: join(sandbox, 'memory.jsonl') } },
    fs: { command: process.execPath, args: [npmServerPath('server-filesystem'), sandbox] }
  };
}

export type Era = 'legacy' | 'modern';

export interface ClientOptions {
  era?: Era;
  capabilities?: ClientCapabilities;
  name?: string;
  /** The fetch the HTTP transport uses (e.g. one that tampers with headers). */
  fetch?: typeof fetch;
}

function newClient(options: ClientOptions): Client {
  const era = options.era ?? 'legacy';
  return new Client(
    { name: options.name ?? 'manifold-test', version: '1.0.0' },
    {
      capabilities: options.capabilities ?? {},
      versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' }
    }
  );
}

export interface ConnectedClient extends AsyncDisposable {
  client: Client;
  /** stderr of the gateway process (stdio only). */
  stderr: () => string;
  pid: number | undefined;
}

/** Starts `manifold serve` over stdio with the config and connects a real SDK client to it. */
export async function connectStdio(configPath: string, options: ClientOptions = {}): Promise<ConnectedClient> {
  const transport = new StdioClientTransport({
    command: manifoldCommand.command,
    args: [...manifoldCommand.args, 'serve', '--config', configPath, '--log-level', process.env.MANIFOLD_TEST_LOG ?? 'warn'],
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>) }
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = newClient(options);
  await client.connect(transport, { timeout: 30_000 });
  return {
    client,
    stderr: () => stderr,
    pid: transport.pid ?? undefined,
    [Symbol.asyncDispose]: async () => {
      await client.close().catch(() => {});
    }
  };
}

export interface HttpGatewayProcess extends AsyncDisposable {
  url: string;
  process: ChildProcess;
  stderr: () => string;
  /** Stops the gateway with SIGTERM and waits for it to exit. */
  stop(): Promise<number | null>;
}

/** Starts `manifold serve --http 0` and waits until it prints the URL it serves. */
export async function startHttpGateway(configPath: string, extraArgs: string[] = []): Promise<HttpGatewayProcess> {
  const child = spawn(
    manifoldCommand.command,
    [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', process.env.MANIFOLD_TEST_LOG ?? 'info', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 30_000);
  const url = match[1] as string;
  const stop = async () => {
    await stopChild(child, 10_000);
    return child.exitCode;
  };
  return { url, process: child, stderr, stop, [Symbol.asyncDispose]: async () => void (await stop()) };
}

/**
 * Waits until a child's stderr matches `pattern` (rejecting if it exits first or takes `timeoutMs`), and
 * keeps collecting its stderr afterwards.
 */
export async function waitForStderr(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs: number
): Promise<{ match: RegExpExecArray; stderr: () => string }> {
  let stderr = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs / 1000} s:\n${stderr}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = pattern.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before serving:\n${stderr}`));
    });
  });
  return { match, stderr: () => stderr };
}

/** Stops a child with SIGTERM (SIGKILL after `killAfterMs`) and waits for it to exit. */
export async function stopChild(child: ChildProcess, killAfterMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}

/** Connects a real SDK client to an HTTP MCP endpoint. */
export async function connectHttp(url: string, options: ClientOptions = {}): Promise<Client & AsyncDisposable> {
  const client = newClient(options);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), options.fetch ? { fetch: options.fetch } : {}), { timeout: 30_000 });
  return Object.assign(client, { [Symbol.asyncDispose]: async () => void (await client.close().catch(() => {})) });
}

/** Connects a real SDK client over the legacy HTTP+SSE transport (GET stream, POSTed messages). */
export async function connectSse(url: string, options: ClientOptions = {}): Promise<Client & AsyncDisposable> {
  const client = newClient({ ...options, era: 'legacy' });
  await client.connect(new SSEClientTransport(new URL(url)), { timeout: 30_000 });
  return Object.assign(client, { [Symbol.asyncDispose]: async () => void (await client.close().catch(() => {})) });
}

/** Waits until `predicate` is true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

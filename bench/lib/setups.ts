import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

import { withSharedSignalsUnlimited } from '../../src/upstream/create-transport.js';
import { binOf, freePort, node, repoRoot, type Service, startService } from './processes.js';

export type Era = 'legacy' | 'modern';
/** Client transport → upstream transport. SSE is the legacy HTTP+SSE transport (GET stream, POSTed messages). */
export type Path = 'stdio→stdio' | 'HTTP→stdio' | 'SSE→stdio' | 'HTTP→HTTP' | 'stdio→HTTP';

/** The server behind every set-up, reachable over stdio and over Streamable HTTP. */
export interface UpstreamSpec {
  id: string;
  label: string;
  stdio: { command: string; args: string[] };
  startHttp(): Promise<{ url: string; stop: () => Promise<void>; pid: number | undefined }>;
  tool: string;
  args: Record<string, unknown>;
}

export const fixtureUpstream = (tools = 20): UpstreamSpec => ({
  id: 'fixture',
  label: 'echo fixture (SDK v2)',
  stdio: { command: node, args: [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', String(tools)] },
  startHttp: async () => {
    const service = await startService(node, [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', String(tools), '--http', '0'], {
      ready: /serving MCP at (\S+)/
    });
    return { url: service.match?.[1] ?? '', stop: service.stop, pid: service.process.pid };
  },
  tool: 'echo',
  args: { message: 'hello' }
});

export const everythingUpstream = (): UpstreamSpec => {
  const script = binOf('@modelcontextprotocol/server-everything', 'dist/index.js');
  return {
    id: 'everything',
    label: 'server-everything (npm)',
    stdio: { command: node, args: [script, 'stdio'] },
    startHttp: async () => {
      const port = await freePort();
      const service = await startService(node, [script, 'streamableHttp'], { ready: { port }, env: { PORT: String(port) } });
      return { url: `http://127.0.0.1:${port}/mcp`, stop: service.stop, pid: service.process.pid };
    },
    tool: 'echo',
    args: { message: 'hello' }
  };
};

/** A running set-up: how to connect a client, which name the echo tool has there, how to stop it. */
export interface Running {
  connect(era: Era): Promise<{ client: Client; pid: number | undefined }>;
  /** The process in the middle (the proxy), when it is a long-running service. */
  pid: number | undefined;
  stop: () => Promise<void>;
}

export interface Setup {
  proxy: 'direct' | 'sdk-relay' | 'manifold' | 'supergateway' | 'mcp-proxy' | 'mcp-hub';
  path: Path;
  /** Client eras this set-up can serve. */
  eras: Era[];
  start(upstream: UpstreamSpec): Promise<Running>;
}

function newClient(era: Era): Client {
  return new Client(
    { name: 'manifold-bench', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
}

async function stdioClient(command: string, args: string[], era: Era, env?: Record<string, string>): Promise<{ client: Client; pid: number | undefined }> {
  const transport = new StdioClientTransport({ command, args, cwd: repoRoot, stderr: 'ignore', env: { ...(process.env as Record<string, string>), ...env } });
  const client = newClient(era);
  await client.connect(transport, { timeout: 60_000 });
  return { client, pid: transport.pid ?? undefined };
}

async function httpClient(url: string, era: Era, sse = false): Promise<{ client: Client; pid: undefined }> {
  const client = newClient(era);
  // The bench's own clients too: no MaxListenersExceededWarning noise in long runs (see the function).
  const options = { fetch: withSharedSignalsUnlimited(fetch) };
  const transport = sse ? new SSEClientTransport(new URL(url), options) : new StreamableHTTPClientTransport(new URL(url), options);
  await client.connect(transport, { timeout: 60_000 });
  return { client, pid: undefined };
}

const manifoldBin = join(repoRoot, 'bin/manifold.js');

function manifoldConfig(servers: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-'));
  const file = join(dir, 'manifold.json');
  writeFileSync(file, JSON.stringify({ gateway: { logLevel: 'warn' }, servers }, null, 2));
  return file;
}

const stdioServer = (upstream: UpstreamSpec) => ({ command: upstream.stdio.command, args: upstream.stdio.args, cwd: repoRoot });

async function manifoldHttp(config: string): Promise<Service & { url: string }> {
  const service = await startService(node, [manifoldBin, 'serve', '--http', '0', '--config', config, '--log-level', 'warn'], {
    ready: /serving MCP at (\S+)/
  });
  return Object.assign(service, { url: service.match?.[1] ?? '' });
}

const shellQuote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

export const setups: Setup[] = [
  {
    proxy: 'direct',
    path: 'stdio→stdio',
    eras: ['legacy', 'modern'],
    start: async upstream => ({
      connect: era => stdioClient(upstream.stdio.command, upstream.stdio.args, era),
      pid: undefined,
      stop: async () => {}
    })
  },
  {
    // The yardstick: one extra SDK hop and nothing else (bench/fixtures/sdk-relay.mjs).
    proxy: 'sdk-relay',
    path: 'stdio→stdio',
    eras: ['legacy', 'modern'],
    start: async upstream => ({
      connect: era => stdioClient(node, [join(repoRoot, 'bench/fixtures/sdk-relay.mjs'), upstream.stdio.command, ...upstream.stdio.args], era),
      pid: undefined,
      stop: async () => {}
    })
  },
  {
    proxy: 'manifold',
    path: 'stdio→stdio',
    eras: ['legacy', 'modern'],
    start: async upstream => {
      const config = manifoldConfig({ up: stdioServer(upstream) });
      return {
        connect: era => stdioClient(node, [manifoldBin, 'serve', '--config', config, '--log-level', 'warn'], era),
        pid: undefined,
        stop: async () => {}
      };
    }
  },
  {
    proxy: 'direct',
    path: 'HTTP→HTTP',
    eras: ['legacy', 'modern'],
    start: async upstream => {
      const http = await upstream.startHttp();
      return { connect: era => httpClient(http.url, era), pid: http.pid, stop: http.stop };
    }
  },
  {
    proxy: 'manifold',
    path: 'HTTP→stdio',
    eras: ['legacy', 'modern'],
    start: async upstream => {
      const service = await manifoldHttp(manifoldConfig({ up: stdioServer(upstream) }));
      return { connect: era => httpClient(service.url, era), pid: service.process.pid, stop: service.stop };
    }
  },
  {
    proxy: 'manifold',
    path: 'SSE→stdio',
    eras: ['legacy'],
    start: async upstream => {
      const service = await manifoldHttp(manifoldConfig({ up: stdioServer(upstream) }));
      return { connect: era => httpClient(service.url.replace(/\/mcp$/, '/sse'), era, true), pid: service.process.pid, stop: service.stop };
    }
  },
  {
    proxy: 'manifold',
    path: 'HTTP→HTTP',
    eras: ['legacy', 'modern'],
    start: async upstream => {
      const http = await upstream.startHttp();
      const service = await manifoldHttp(manifoldConfig({ up: { url: http.url, type: 'http' } }));
      return {
        connect: era => httpClient(service.url, era),
        pid: service.process.pid,
        stop: async () => {
          await service.stop();
          await http.stop();
        }
      };
    }
  },
  {
    proxy: 'manifold',
    path: 'stdio→HTTP',
    eras: ['legacy'],
    start: async upstream => {
      const http = await upstream.startHttp();
      const config = manifoldConfig({ up: { url: http.url, type: 'http' } });
      return {
        connect: era => stdioClient(node, [manifoldBin, 'serve', '--config', config, '--log-level', 'warn'], era),
        pid: undefined,
        stop: http.stop
      };
    }
  },
  {
    proxy: 'supergateway',
    path: 'HTTP→stdio',
    eras: ['legacy'],
    start: async upstream => {
      const port = await freePort();
      const command = [upstream.stdio.command, ...upstream.stdio.args].map(shellQuote).join(' ');
      const service = await startService(
        node,
        [binOf('supergateway', 'dist/index.js'), '--stdio', command, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'],
        { ready: { port } }
      );
      return { connect: era => httpClient(`http://127.0.0.1:${port}/mcp`, era), pid: service.process.pid, stop: service.stop };
    }
  },
  {
    proxy: 'supergateway',
    path: 'stdio→HTTP',
    eras: ['legacy'],
    start: async upstream => {
      const http = await upstream.startHttp();
      return {
        connect: era => stdioClient(node, [binOf('supergateway', 'dist/index.js'), '--streamableHttp', http.url, '--logLevel', 'none'], era),
        pid: undefined,
        stop: http.stop
      };
    }
  },
  {
    proxy: 'mcp-proxy',
    path: 'HTTP→stdio',
    eras: ['legacy', 'modern'],
    start: async upstream => {
      const port = await freePort();
      const service = await startService(
        node,
        [binOf('mcp-proxy', 'dist/bin/mcp-proxy.mjs'), '--port', String(port), '--host', '127.0.0.1', '--server', 'stream', '--', upstream.stdio.command, ...upstream.stdio.args],
        { ready: { port } }
      );
      return { connect: era => httpClient(`http://127.0.0.1:${port}/mcp`, era), pid: service.process.pid, stop: service.stop };
    }
  },
  {
    proxy: 'mcp-hub',
    path: 'SSE→stdio',
    eras: ['legacy'],
    start: async upstream => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-bench-'));
      const config = join(dir, 'mcp-servers.json');
      writeFileSync(config, JSON.stringify({ mcpServers: { up: { command: upstream.stdio.command, args: upstream.stdio.args, cwd: repoRoot } } }));
      const service = await startService(node, [binOf('mcp-hub', 'dist/cli.js'), '--port', String(port), '--config', config], {
        ready: { port },
        env: { XDG_STATE_HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, HOME: dir }
      });
      const url = `http://127.0.0.1:${port}/mcp`;
      return {
        connect: async era => {
          // The hub connects its servers after it listens: wait until the tool shows up.
          const deadline = Date.now() + 30_000;
          for (;;) {
            // Its one MCP endpoint speaks the legacy HTTP+SSE transport (GET /mcp, POST /messages).
            const connected = await httpClient(url, era, true).catch(() => undefined);
            if (connected) {
              const { tools } = await connected.client.listTools();
              if (tools.some(tool => tool.name.endsWith(upstream.tool))) return connected;
              await connected.client.close();
            }
            if (Date.now() > deadline) throw new Error(`mcp-hub never listed ${upstream.tool}:\n${service.output()}`);
            await new Promise(resolve => setTimeout(resolve, 250));
          }
        },
        pid: service.process.pid,
        stop: service.stop
      };
    }
  }
];

/** The public name of the upstream's tool behind a set-up (each proxy namespaces its own way). */
export async function findTool(client: Client, tool: string): Promise<string> {
  const { tools } = await client.listTools();
  const names = tools.map(entry => entry.name);
  const exact = names.find(name => name === tool) ?? names.find(name => name.endsWith(`__${tool}`)) ?? names.find(name => name.endsWith(tool));
  if (!exact) throw new Error(`no tool named like "${tool}" among ${names.slice(0, 20).join(', ')}`);
  return exact;
}

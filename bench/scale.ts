import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { loadConfig } from '../src/config/index.js';
import { GatewayCore } from '../src/gateway/index.js';
import type { DownstreamContext } from '../src/gateway/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { withSharedSignalsUnlimited } from '../src/upstream/create-transport.js';
import { measureCalls, summarise } from './lib/measure.js';
import { node, repoRoot, rssMiB, startService } from './lib/processes.js';
import { everythingUpstream } from './lib/setups.js';

const fixture = join(repoRoot, 'bench/fixtures/tools-server.mjs');
const manifoldBin = join(repoRoot, 'bin/manifold.js');

function writeFixtureConfig(servers: number, tools: number): string {
  const entries: Record<string, unknown> = {};
  for (let index = 1; index <= servers; index++) {
    entries[`fx${index}`] = { command: node, args: [fixture, '--tools', String(tools), '--name', `fx${index}`], cwd: repoRoot };
  }
  return writeConfigFile(entries);
}

function writeConfigFile(entries: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-scale-'));
  const file = join(dir, 'manifold.json');
  writeFileSync(file, JSON.stringify({ gateway: { logLevel: 'warn', connectTimeout: '60s' }, servers: entries }));
  return file;
}

async function legacyClient(url: string): Promise<Client> {
  const client = new Client({ name: 'manifold-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: withSharedSignalsUnlimited(fetch) }), { timeout: 60_000 });
  return client;
}

export interface ScaleRow {
  servers: number;
  tools: number;
  startupMs: number;
  rssMiB: number;
  listP50Ms: number;
  listP99Ms: number;
}

/** Start-up time, resident memory and tools/list latency with 1, 10, 50 upstreams. */
export async function runScale(options: { counts: number[]; toolsPerServer: number; log: (line: string) => void }): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const servers of options.counts) {
    const config = writeFixtureConfig(servers, options.toolsPerServer);
    const t0 = performance.now();
    const service = await startService(node, [manifoldBin, 'serve', '--http', '0', '--config', config, '--log-level', 'warn'], {
      ready: /serving MCP at (\S+)/,
      timeoutMs: 120_000
    });
    try {
      const client = await legacyClient(service.match?.[1] ?? '');
      const expected = servers * options.toolsPerServer;
      let listed = (await client.listTools()).tools.length;
      while (listed < expected && performance.now() - t0 < 120_000) {
        await new Promise(resolve => setTimeout(resolve, 20));
        listed = (await client.listTools()).tools.length;
      }
      const startupMs = performance.now() - t0;
      const latencies: number[] = [];
      for (let index = 0; index < 200; index++) {
        const started = performance.now();
        await client.listTools();
        latencies.push(performance.now() - started);
      }
      const stats = summarise(latencies, 1, 1, 0);
      const rss = await rssMiB(service.process.pid);
      rows.push({ servers, tools: listed, startupMs, rssMiB: rss, listP50Ms: stats.p50Ms, listP99Ms: stats.p99Ms });
      options.log(`${servers} servers: ${listed} tools, start-up ${startupMs.toFixed(0)} ms, RSS ${rss.toFixed(1)} MiB, tools/list p50 ${stats.p50Ms.toFixed(2)} ms`);
      await client.close();
    } finally {
      await service.stop();
    }
  }
  return rows;
}

export interface MemoryRow {
  upstream: string;
  calls: number;
  rssMiB: number;
}

/**
 * Gateway RSS while a legacy HTTP client calls echo at concurrency 8, sampled ten times: once with the
 * fixture server over stdio, once with server-everything over Streamable HTTP (a 2025 session, the path where
 * the SDK's HTTP client shares one abort signal between all requests).
 */
export async function runMemory(options: { calls: number; log: (line: string) => void }): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const everything = everythingUpstream();
  const remote = await everything.startHttp();
  try {
    const variants = [
      { upstream: 'stdio fixture', config: writeFixtureConfig(1, 20), tool: 'fx1__echo' },
      { upstream: 'HTTP everything (2025)', config: writeConfigFile({ remote: { url: remote.url, type: 'http' } }), tool: 'remote__echo' }
    ];
    for (const variant of variants) {
      const service = await startService(node, [manifoldBin, 'serve', '--http', '0', '--config', variant.config, '--log-level', 'warn'], {
        ready: /serving MCP at (\S+)/
      });
      try {
        const client = await legacyClient(service.match?.[1] ?? '');
        rows.push({ upstream: variant.upstream, calls: 0, rssMiB: await rssMiB(service.process.pid) });
        const step = options.calls / 10;
        for (let done = step; done <= options.calls; done += step) {
          await measureCalls(client, variant.tool, { message: 'hello' }, step, 8, 0);
          const rss = await rssMiB(service.process.pid);
          rows.push({ upstream: variant.upstream, calls: done, rssMiB: rss });
          options.log(`${variant.upstream}: ${done} calls: RSS ${rss.toFixed(1)} MiB`);
        }
        await client.close();
      } finally {
        await service.stop();
      }
    }
  } finally {
    await remote.stop();
  }
  return rows;
}

export interface PipelineRow {
  stages: string;
  usPerCall: number;
  addedUs: number;
}

/**
 * In-process cost of the gateway's own layers for one tools/call, against a live fixture upstream: the
 * upstream connection alone, then the whole pipeline (catalog lookup, dispatcher, relays) with each optional
 * stage turned on alone. Optional stages (audit, cache, token accounting) are listed as they are built.
 */
export async function runPipeline(options: { calls: number; log: (line: string) => void }): Promise<PipelineRow[]> {
  const { config, path } = loadConfig(writeFixtureConfig(1, 20));
  const core = new GatewayCore({ config, configPath: path, logger: createLogger({ level: 'silent' }) });
  await core.start();
  const rows: PipelineRow[] = [];
  try {
    const upstream = core.upstreams.get('fx1');
    if (!upstream) throw new Error('fixture upstream missing');
    // Each call gets its own signal, as each client request does.
    const downstream = (): DownstreamContext => ({
      era: 'legacy',
      sessionId: 'bench',
      signal: new AbortController().signal,
      clientCapabilities: {},
      progressToken: undefined,
      notify: async () => {},
      log: () => {}
    });
    const variants: { stages: string; call: () => Promise<unknown> }[] = [
      {
        stages: 'upstream connection only (no gateway layers)',
        call: () => upstream.request('tools/call', { name: 'echo', arguments: { message: 'hello' } }, { describe: 'echo', signal: new AbortController().signal })
      },
      {
        stages: 'pipeline with no optional stages (dispatcher, catalog, relays)',
        call: () => core.pipeline({ method: 'tools/call', params: { name: 'fx1__echo', arguments: { message: 'hello' } }, downstream: downstream() })
      }
    ];
    // Interleaved rounds, median per variant: the machine's noise hits every variant alike.
    const rounds = 5;
    const perRound = Math.max(100, Math.floor(options.calls / rounds));
    const samples = variants.map(() => [] as number[]);
    for (const variant of variants) for (let index = 0; index < 300; index++) await variant.call();
    for (let round = 0; round < rounds; round++) {
      for (const [index, variant] of variants.entries()) {
        const started = performance.now();
        for (let call = 0; call < perRound; call++) await variant.call();
        samples[index]?.push(((performance.now() - started) / perRound) * 1000);
      }
    }
    const medians = samples.map(values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN);
    const base = medians[0] ?? Number.NaN;
    for (const [index, variant] of variants.entries()) {
      const usPerCall = medians[index] ?? Number.NaN;
      rows.push({ stages: variant.stages, usPerCall, addedUs: usPerCall - base });
      options.log(`${variant.stages}: ${usPerCall.toFixed(1)} µs per call`);
    }
  } finally {
    await core.close();
  }
  return rows;
}

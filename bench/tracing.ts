/**
 * What tracing costs per call: `node --import tsx bench/tracing.ts [--quick]`.
 *
 * In this process, side by side: three GatewayCores in front of their own echo fixture (bench/fixtures/tools-server.mjs,
 * stdio), each called by a real SDK client over the in-memory transport (both eras' server entry, legacy client):
 *   off      tracing off (`noTracing`, the default);
 *   sampled0 tracing on with sampleRatio 0 (spans made, none recorded: the machinery without the export);
 *   on       tracing on, every span exported over OTLP/HTTP JSON (batched) to a receiver in another process.
 * Rounds alternate the order, so a loaded machine slows all alike. Prints the mean and p50 latency and this process's
 * CPU per call (client + gateway; the upstream and the receiver are other processes). Then the stage alone: a
 * SERVER + CLIENT span pair around a handler that answers at once, off vs on, in ns per call. Measures only.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

import { parseConfig } from '../src/config/index.js';
import { createDownstreamServer, GatewayCore } from '../src/gateway/index.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { noTracing, OtelTracing, type Tracing } from '../src/telemetry/tracing/index.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
const quick = values.quick ?? false;
const calls = quick ? 500 : 2000;
const rounds = quick ? 3 : 5;
const repoRoot = new URL('..', import.meta.url).pathname;

/** An OTLP/HTTP receiver in its own process that accepts and drops every export. */
async function startReceiver(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>s.writeHead(200,{'content-type':'application/json'}).end('{}'))}).listen(0,'127.0.0.1',function(){process.stdout.write(String(this.address().port)+'\\n')})`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const port = await new Promise<string>(resolve =>
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))
  );
  return { url: `http://127.0.0.1:${port}/v1/traces`, stop: () => child.kill() };
}

async function startGateway(tracing: Tracing): Promise<{ client: Client; close: () => Promise<void> }> {
  const upstream = {
    command: process.execPath,
    args: [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', '20'],
    cwd: repoRoot
  };
  const { config } = parseConfig(JSON.stringify({ gateway: { logLevel: 'warn' }, servers: { up: upstream } }), {
    source: 'bench',
    env: {}
  });
  const core = new GatewayCore({ config, logger: silentLogger, tracing });
  await core.start();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  serveStdio(() => createDownstreamServer(core, { session: true }).server, { transport: serverSide });
  const client = new Client({ name: 'bench-tracing', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(clientSide);
  return { client, close: async () => void (await Promise.all([client.close(), core.close()])) };
}

async function measure(client: Client, count: number): Promise<{ meanMs: number; p50Ms: number; cpuUs: number }> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await client.callTool({ name: 'up__echo', arguments: { message: 'hello' } });
    latencies.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    meanMs: latencies.reduce((sum, value) => sum + value, 0) / count,
    p50Ms: latencies[Math.floor(count / 2)] as number,
    cpuUs: (cpu.user + cpu.system) / count
  };
}

const receiver = await startReceiver();
const settings = (sampleRatio: number) => ({
  exporter: 'otlp' as const,
  url: receiver.url,
  serviceName: 'bench',
  sampleRatio
});
const setups = {
  off: await startGateway(noTracing),
  sampled0: await startGateway(new OtelTracing({ settings: settings(0) })),
  on: await startGateway(new OtelTracing({ settings: settings(1) }))
};
type Name = keyof typeof setups;
const names = Object.keys(setups) as Name[];
const results: Record<Name, Array<{ meanMs: number; p50Ms: number; cpuUs: number }>> = {
  off: [],
  sampled0: [],
  on: []
};
try {
  for (const name of names) await measure(setups[name].client, 200);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(await measure(setups[name].client, calls));
  }
} finally {
  for (const name of names) await setups[name].close();
  receiver.stop();
}
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] as number;
const base = { mean: median(results.off.map(r => r.meanMs)), cpu: median(results.off.map(r => r.cpuUs)) };
process.stdout.write(`\n## Tracing cost per tools/call (in process, ${rounds} rounds × ${calls} calls, medians)\n\n`);
process.stdout.write(
  '| tracing | mean ms | p50 ms | CPU µs/call (client+gateway) | mean vs off | CPU vs off |\n|---|---|---|---|---|---|\n'
);
for (const name of names) {
  const mean = median(results[name].map(r => r.meanMs));
  const cpu = median(results[name].map(r => r.cpuUs));
  process.stdout.write(
    `| ${name} | ${mean.toFixed(3)} | ${median(results[name].map(r => r.p50Ms)).toFixed(3)} | ${cpu.toFixed(0)} | ${((mean / base.mean - 1) * 100).toFixed(1)} % | ${((cpu / base.cpu - 1) * 100).toFixed(1)} % |\n`
  );
}

// The stage alone: a SERVER span and a CLIENT span (with its _meta injection) around a handler that answers at once.
const stage = async (tracing: Tracing, count: number): Promise<number> => {
  const params = { name: 'echo', arguments: { message: 'hello' } };
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    await tracing.server({ method: 'tools/call', target: 'up__echo', params }, () =>
      tracing.client({ method: 'tools/call', target: 'echo', server: 'up', params }, async () => ({ content: [] }))
    );
  }
  return ((performance.now() - started) * 1e6) / count;
};
const bare = async (count: number): Promise<number> => {
  const started = performance.now();
  for (let index = 0; index < count; index++) await (async () => ({ content: [] }))();
  return ((performance.now() - started) * 1e6) / count;
};
const spanCount = quick ? 20_000 : 100_000;
const memoryOn = new OtelTracing({
  settings: { exporter: 'otlp', url: 'http://127.0.0.1:9/v1/traces', serviceName: 'bench', sampleRatio: 0 }
});
await stage(noTracing, spanCount);
await stage(memoryOn, spanCount);
const stageRows = {
  bare: await bare(spanCount),
  off: await stage(noTracing, spanCount),
  'on, sampleRatio 0': await stage(memoryOn, spanCount)
};
await memoryOn.shutdown();
process.stdout.write(
  `\n## The tracing calls alone (SERVER + CLIENT span around an instant handler, ${spanCount} calls)\n\n| | ns/call |\n|---|---|\n`
);
for (const [name, ns] of Object.entries(stageRows)) process.stdout.write(`| ${name} | ${ns.toFixed(0)} |\n`);

/**
 * What `limits:` costs per call: `npm run bench:limits` (add `-- --quick` for a short run).
 *
 * Two built gateways side by side in one run, HTTP→stdio, each in front of its own echo fixture
 * (bench/fixtures/tools-server.mjs): one without `limits:`, one with every kind of limit on the path, none of
 * them reached (a call limit with requests per window and in-flight, matching the echo tool; `limits.http`;
 * a cap on the server). Rounds alternate which one is measured first, so a loaded machine slows both alike.
 * Prints p50 and mean latency, the gateway's CPU per call, and the ratios. Then the stages alone, in this
 * process: what the limits add to one call (the call-limits stage with the real in-memory store, the server's
 * gate, the HTTP request count) around a handler that answers at once, against the bare handler: a figure
 * the load of the machine hardly moves. Writes bench/results/limits-latest.json. Measures only; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { parseConfig } from '../src/config/index.js';
import type { DownstreamContext, GatewayRequest, Handler } from '../src/core/pipeline.js';
import { localPrincipal } from '../src/core/principal.js';
import { createCallLimits, createHttpRequestLimit, MemoryRateStore, UpstreamGate } from '../src/limits/index.js';
import { measureCalls, type Stats } from './lib/measure.js';
import { node, repoRoot, startService } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }
});
if (values.help) {
  process.stdout.write('npm run bench:limits [-- --quick] [--no-build]\n');
  process.exit(0);
}
const quick = values.quick ?? false;
const calls = quick ? 400 : 1500;
const rounds = quick ? 3 : 5;
const log = (line: string) => process.stderr.write(`  ${line}\n`);

if (!values['no-build']) {
  process.stderr.write('building dist/ (the benchmark runs the built gateway)\n');
  execFileSync(node, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: repoRoot,
    stdio: 'inherit'
  });
}

const limits = {
  calls: [
    { name: 'bench', tool: 'up__echo', requests: 1_000_000_000, per: '1m', inFlight: 10_000, by: ['principal', 'tool'] }
  ],
  http: { requests: 1_000_000_000, per: '1m' },
  upstreams: { up: { maxInFlight: 10_000 } }
};

async function startGateway(withLimits: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-limits-'));
  const config = join(dir, 'manifold.json');
  const upstream = {
    command: node,
    args: [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', '20'],
    cwd: repoRoot
  };
  writeFileSync(
    config,
    JSON.stringify(
      { gateway: { logLevel: 'warn' }, servers: { up: upstream }, ...(withLimits ? { limits } : {}) },
      null,
      2
    )
  );
  const service = await startService(
    node,
    [join(repoRoot, 'bin/manifold.js'), 'serve', '--http', '0', '--config', config, '--log-level', 'warn'],
    {
      ready: /serving MCP at (\S+)/
    }
  );
  return { url: service.match?.[1] ?? '', pid: service.process.pid, stop: service.stop };
}

async function connect(url: string, era: 'legacy' | 'modern'): Promise<Client> {
  const client = new Client(
    { name: 'manifold-bench', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)), { timeout: 60_000 });
  return client;
}

const mean = (numbers: number[]) => numbers.reduce((sum, value) => sum + value, 0) / numbers.length;
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] as number;

interface Row {
  era: 'legacy' | 'modern';
  concurrency: number;
  off: Stats[];
  on: Stats[];
}

const gateways = { off: await startGateway(false), on: await startGateway(true) };
const rows: Row[] = [];
try {
  for (const era of ['legacy', 'modern'] as const) {
    const clients = { off: await connect(gateways.off.url, era), on: await connect(gateways.on.url, era) };
    try {
      for (const concurrency of [1, 8]) {
        const row: Row = { era, concurrency, off: [], on: [] };
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
          for (const which of order) {
            const stats = await measureCalls(
              clients[which],
              'up__echo',
              { message: 'hello' },
              calls,
              concurrency,
              round === 0 ? 200 : 50,
              gateways[which].pid
            );
            row[which].push(stats);
            log(
              `${era} c=${concurrency} round ${round + 1} limits ${which}: p50 ${stats.p50Ms.toFixed(3)} ms, gateway CPU ${stats.middleCpuUs?.toFixed(0)} µs/call${stats.errors ? `, ${stats.errors} errors` : ''}`
            );
          }
        }
        rows.push(row);
      }
    } finally {
      await clients.off.close().catch(() => {});
      await clients.on.close().catch(() => {});
    }
  }
} finally {
  await gateways.off.stop();
  await gateways.on.stop();
}

const summary = rows.map(row => {
  const p50 = { off: median(row.off.map(stats => stats.p50Ms)), on: median(row.on.map(stats => stats.p50Ms)) };
  const meanMs = { off: mean(row.off.map(stats => stats.meanMs)), on: mean(row.on.map(stats => stats.meanMs)) };
  const cpu = {
    off: median(row.off.map(stats => stats.middleCpuUs ?? Number.NaN)),
    on: median(row.on.map(stats => stats.middleCpuUs ?? Number.NaN))
  };
  const errors = [...row.off, ...row.on].reduce((sum, stats) => sum + stats.errors, 0);
  return {
    era: row.era,
    concurrency: row.concurrency,
    p50Ms: p50,
    ratioP50: p50.on / p50.off,
    addedP50Us: (p50.on - p50.off) * 1000,
    meanMs,
    addedMeanUs: (meanMs.on - meanMs.off) * 1000,
    gatewayCpuUs: cpu,
    addedCpuUs: cpu.on - cpu.off,
    errors
  };
});

/** The stages alone: µs per call of the limits around a handler that answers at once, interleaved rounds, median. */
async function measureStages(): Promise<{ bareUs: number; limitedUs: number; addedUs: number }> {
  const parsed = parseConfig(JSON.stringify({ servers: { up: { command: 'unused' } }, limits }), { env: {} }).config
    .limits;
  const store = new MemoryRateStore();
  const gate = new UpstreamGate('up', 10_000, 100);
  const answer = { content: [{ type: 'text', text: 'hello' }] };
  const bare: Handler = async () => answer;
  const gated: Handler = async request => {
    const leave = await gate.enter(request.downstream.signal);
    try {
      return await bare(request);
    } finally {
      leave();
    }
  };
  const stage = createCallLimits({ limits: parsed.calls, store, serverOf: () => 'up' })(gated);
  const http = createHttpRequestLimit(parsed.http!, store);
  const downstream = (): DownstreamContext => ({
    era: 'legacy',
    sessionId: 'bench',
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  });
  const request = (): GatewayRequest => ({
    method: 'tools/call',
    params: { name: 'up__echo', arguments: { message: 'hello' } },
    downstream: downstream()
  });
  const variants = [
    { name: 'bare', call: () => bare(request()) },
    {
      name: 'limited',
      call: async () => {
        if (await http(localPrincipal)) throw new Error('the bench reached limits.http');
        const result = await stage(request());
        if (result.isError) throw new Error('the bench reached a call limit');
        return result;
      }
    }
  ];
  const perRound = quick ? 20_000 : 100_000;
  const samples = variants.map(() => [] as number[]);
  for (const variant of variants) for (let index = 0; index < 5000; index++) await variant.call();
  for (let round = 0; round < rounds; round++) {
    for (const [index, variant] of variants.entries()) {
      const started = performance.now();
      for (let call = 0; call < perRound; call++) await variant.call();
      samples[index]?.push(((performance.now() - started) / perRound) * 1000);
    }
  }
  const [bareUs, limitedUs] = samples.map(median) as [number, number];
  return { bareUs, limitedUs, addedUs: limitedUs - bareUs };
}

const stages = await measureStages();
log(`stages alone: bare ${stages.bareUs.toFixed(2)} µs, with limits ${stages.limitedUs.toFixed(2)} µs per call`);

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
process.stdout.write(
  `## limits: on vs off, HTTP→stdio echo (${machine.cpus} × ${machine.cpu}, Node ${machine.node}; ${rounds} rounds × ${calls} calls, medians)\n\n`
);
process.stdout.write(
  formatTable(
    [
      'client era',
      'conc',
      'p50 off ms',
      'p50 on ms',
      'on/off p50',
      'added p50 µs',
      'added mean µs',
      'gateway CPU off µs/call',
      'on',
      'added CPU µs/call',
      'errors'
    ],
    summary.map(row => [
      row.era,
      String(row.concurrency),
      row.p50Ms.off.toFixed(3),
      row.p50Ms.on.toFixed(3),
      row.ratioP50.toFixed(3),
      row.addedP50Us.toFixed(0),
      row.addedMeanUs.toFixed(0),
      row.gatewayCpuUs.off.toFixed(0),
      row.gatewayCpuUs.on.toFixed(0),
      row.addedCpuUs.toFixed(0),
      String(row.errors)
    ])
  )
);
process.stdout.write('\n');
process.stdout.write(
  `The limits alone (in process, a handler that answers at once; call limit with requests and inFlight, the server's gate, the HTTP count): ${stages.bareUs.toFixed(2)} → ${stages.limitedUs.toFixed(2)} µs per call, +${stages.addedUs.toFixed(2)} µs.\n`
);
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(
  join(repoRoot, 'bench/results/limits-latest.json'),
  JSON.stringify(
    { startedAt: new Date().toISOString(), quick, machine, calls, rounds, limits, rows: summary, stages },
    null,
    2
  )
);

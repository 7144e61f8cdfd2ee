/**
 * What metrics cost per call: `node --import tsx bench/metrics.ts [--quick] [--calls n]`.
 *
 *  (a) The metrics stage alone (no upstream): a pipeline whose last stage answers at once, with and without the
 *      metrics stage in front, over a real catalog (the echo fixture's tool, so labels are looked up as in
 *      service). Interleaved rounds; best round of each. Reported: µs per call added.
 *  (b) Side by side, in one process: two gateways in front of the stdio echo fixture, `metrics.enabled: true`
 *      and `false`, called through their pipelines (what every client call and workflow step travels) in
 *      interleaved rounds, and a second gateway without metrics, whose ratio to the first is the noise floor.
 *      Reported: p50 and mean latency, CPU time per call, and the ratios.
 *  (c) A scrape: ms to render the page after the calls above.
 * Measures only; asserts nothing. Writes bench/results/metrics-latest.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { parseConfig } from '../src/config/index.js';
import { composePipeline, type DownstreamContext, type GatewayRequest, type Handler } from '../src/core/pipeline.js';
import { GatewayCore } from '../src/gateway/index.js';
import { createMetricsMiddleware, GatewayMetrics } from '../src/metrics/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { percentile } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, calls: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('node --import tsx bench/metrics.ts [--quick] [--calls n]\n');
  process.exit(0);
}
const calls = Number(values.calls ?? (values.quick ? 1000 : 4000));
const rounds = values.quick ? 6 : 10;
const stageCalls = values.quick ? 50_000 : 200_000;
const echo = { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/echo.ts')], cwd: repoRoot };
const dir = mkdtempSync(join(tmpdir(), 'manifold-metrics-bench-'));
const logger = createLogger({ level: 'error' });

async function startCore(enabled: boolean): Promise<GatewayCore> {
  const config = { servers: { echo }, metrics: { enabled }, store: { path: ':memory:' } };
  const { config: parsed } = parseConfig(stringify(config), { source: join(dir, 'manifold.yaml') });
  const core = new GatewayCore({ config: parsed, configPath: join(dir, 'manifold.yaml'), logger });
  await core.start();
  return core;
}

const downstream: DownstreamContext = {
  era: 'modern',
  sessionId: 'bench',
  signal: new AbortController().signal,
  clientCapabilities: {},
  progressToken: undefined,
  notify: async () => {},
  log: () => {}
};
const request: GatewayRequest = { method: 'tools/call', params: { name: 'echo__echo', arguments: { message: 'hi' } }, downstream };

const on = await startCore(true);
const off = await startCore(false);
// A second gateway without metrics: how far two identical set-ups drift apart on this machine (the noise floor).
const offAgain = await startCore(false);
try {
  // (a) The stage alone.
  const answer: Handler = async () => ({ content: [{ type: 'text', text: 'hi' }] });
  const metrics = new GatewayMetrics({ upstreams: new Map(), processMetrics: false });
  const stage = composePipeline([createMetricsMiddleware(metrics, { catalog: on.catalog })], answer);
  const bare = composePipeline([], answer);
  const timeLoop = async (handler: Handler): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let index = 0; index < stageCalls; index++) await handler(request);
    return Number(process.hrtime.bigint() - started) / 1000 / stageCalls;
  };
  const stageBest = { with: Infinity, without: Infinity };
  for (let round = 0; round < rounds; round++) {
    stageBest.without = Math.min(stageBest.without, await timeLoop(bare));
    stageBest.with = Math.min(stageBest.with, await timeLoop(stage));
  }
  const stageAdded = stageBest.with - stageBest.without;

  // (b) Side by side through the whole pipeline to the echo server.
  const setups = [
    { name: 'metrics off', core: off, latencies: [] as number[], cpuUs: 0 },
    { name: 'metrics on', core: on, latencies: [] as number[], cpuUs: 0 },
    { name: 'metrics off (a second gateway: the noise floor)', core: offAgain, latencies: [] as number[], cpuUs: 0 }
  ];
  for (const setup of setups) for (let index = 0; index < 200; index++) await setup.core.pipeline(request);
  const perRound = Math.ceil(calls / rounds);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < setups.length; turn++) {
      const setup = setups[(round + turn) % setups.length]!;
      const cpu = process.cpuUsage();
      for (let index = 0; index < perRound; index++) {
        const started = performance.now();
        await setup.core.pipeline(request);
        setup.latencies.push((performance.now() - started) * 1000);
      }
      const used = process.cpuUsage(cpu);
      setup.cpuUs += used.user + used.system;
    }
  }
  const rows = setups.map(setup => {
    const sorted = [...setup.latencies].sort((a, b) => a - b);
    const mean = sorted.reduce((total, value) => total + value, 0) / sorted.length;
    return { name: setup.name, p50: percentile(sorted, 50), mean, cpuPerCall: setup.cpuUs / sorted.length };
  });
  const [offRow, onRow, offAgainRow] = rows as [(typeof rows)[number], (typeof rows)[number], (typeof rows)[number]];

  // (c) A scrape.
  const scrapeStarted = performance.now();
  const page = await on.metrics!.render();
  const scrapeMs = performance.now() - scrapeStarted;

  process.stdout.write(`\n(a) the metrics stage alone, best of ${rounds} rounds of ${stageCalls} calls\n`);
  process.stdout.write(
    formatTable(['', 'µs per call'], [
      ['without the stage', stageBest.without.toFixed(2)],
      ['with the stage', stageBest.with.toFixed(2)],
      ['added', stageAdded.toFixed(2)]
    ]) + '\n'
  );
  process.stdout.write(`\n(b) pipeline → stdio echo, ${perRound * rounds} calls each, interleaved in ${rounds} rounds (${cpus().length} cores)\n`);
  process.stdout.write(
    formatTable(
      ['set-up', 'p50 µs', 'mean µs', 'CPU µs/call'],
      rows.map(row => [row.name, row.p50.toFixed(0), row.mean.toFixed(0), row.cpuPerCall.toFixed(0)])
    ) + '\n'
  );
  process.stdout.write(
    `on/off: p50 ×${(onRow.p50 / offRow.p50).toFixed(3)}, mean ×${(onRow.mean / offRow.mean).toFixed(3)}, CPU ×${(onRow.cpuPerCall / offRow.cpuPerCall).toFixed(3)}\n` +
      `off/off (noise floor): p50 ×${(offAgainRow.p50 / offRow.p50).toFixed(3)}, mean ×${(offAgainRow.mean / offRow.mean).toFixed(3)}, CPU ×${(offAgainRow.cpuPerCall / offRow.cpuPerCall).toFixed(3)}\n`
  );
  process.stdout.write(`\n(c) a scrape: ${scrapeMs.toFixed(1)} ms, ${page.length} bytes\n`);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results/metrics-latest.json'),
    JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, stage: { ...stageBest, added: stageAdded, calls: stageCalls }, pipeline: rows, scrape: { ms: scrapeMs, bytes: page.length } }, null, 2)
  );
} finally {
  await on.close();
  await off.close();
  await offAgain.close();
  rmSync(dir, { recursive: true, force: true });
}

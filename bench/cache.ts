/**
 * The result cache's effect on a read-heavy load: `node --import tsx bench/cache.ts [--quick] [--only http|stage]`.
 *
 * (http) Two gateways (`manifold serve --http 0`) side by side, one without a `cache:` block and one with it,
 * each in front of the `cacheable` fixture whose every call takes 5 ms (`--latency 5`, as a close, fast
 * upstream would). A real SDK client calls its read-only tool `lookup`: 90 % of the calls repeat one of 20
 * keys, 10 % ask a key never seen before. Per era and concurrency: latency percentiles and throughput with the
 * cache off and on, the ratios, and the hit rate the gateway reports on /healthz.
 * (stage) The stage's own cost in process: a hit, a miss and a call it passes on, against the pipeline
 * without it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';

import { type CacheStats, ResultCache } from '../src/cache/index.js';
import { parseConfig } from '../src/config/index.js';
import type { DownstreamContext, GatewayRequest, Handler } from '../src/core/pipeline.js';
import { GatewayCore } from '../src/gateway/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { withSharedSignalsUnlimited } from '../src/upstream/create-transport.js';
import {
  connectHttp,
  type Era,
  fixtureServer,
  repoRoot,
  startHttpGateway,
  writeConfig
} from '../test/helpers/gateway.js';
import { type Stats, summarise } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const parts = values.only ? values.only.split(',') : ['http', 'stage'];
const calls = values.quick ? 300 : 2000;
const latencyMs = 5;
const hotKeys = 20;
const repeatShare = 0.9;
const concurrencies = [1, 8];
const eras: Era[] = ['legacy', 'modern'];

interface HttpRow {
  era: Era;
  concurrency: number;
  off: Stats;
  on: Stats;
  hitRate: number;
}

interface StageRow {
  stages: string;
  usPerCall: number;
  /** µs over the same call through the pipeline without the cache. */
  addedUs: number | undefined;
}

/** A deterministic stream of keys: 90 % from the hot set, 10 % new ones (a cheap LCG, the same for both gateways). */
function keyStream(seed: number): () => string {
  let state = seed;
  let fresh = 0;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const draw = state / 2 ** 31;
    return draw < repeatShare ? `hot-${Math.floor((draw / repeatShare) * hotKeys)}` : `new-${seed}-${fresh++}`;
  };
}

async function measure(client: Client, nextKey: () => string, concurrency: number): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const begin = performance.now();
  const worker = async () => {
    while (started < calls) {
      started++;
      const key = nextKey();
      const t0 = performance.now();
      try {
        const result = await client.callTool({ name: 'c__lookup', arguments: { key } });
        if (result.isError) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarise(latencies, performance.now() - begin, concurrency, errors);
}

async function runHttp(): Promise<HttpRow[]> {
  const upstream = fixtureServer('cacheable.ts', ['--latency', String(latencyMs)]);
  const rows: HttpRow[] = [];
  for (const era of eras) {
    for (const concurrency of concurrencies) {
      const measured: Partial<Record<'off' | 'on', Stats>> = {};
      let hitRate = 0;
      for (const mode of ['off', 'on'] as const) {
        // A fresh gateway (and upstream) per measurement: the cache starts empty, the fixture's counts at zero.
        await using config = writeConfig({
          servers: { c: upstream },
          ...(mode === 'on' ? { cache: { ttl: '5m', statsInterval: 0 } } : {}),
          gateway: { logLevel: 'warn' }
        });
        await using gateway = await startHttpGateway(config.path, ['--log-level', 'warn']);
        // No MaxListenersExceededWarning from the SDK client's one signal per session (docs/PERFORMANCE.md).
        await using client = await connectHttp(gateway.url, { era, fetch: withSharedSignalsUnlimited(fetch) });
        // Warm-up on keys outside the measured stream (connections, JIT), then the measured load.
        for (let index = 0; index < 50; index++)
          await client.callTool({ name: 'c__lookup', arguments: { key: `warm-${index}` } });
        const stats = await measure(client, keyStream(concurrency * 7 + (era === 'modern' ? 1 : 0)), concurrency);
        measured[mode] = stats;
        if (mode === 'on') {
          const health = (await (await fetch(new URL('/healthz', gateway.url))).json()) as { cache: CacheStats };
          hitRate = health.cache.hitRate;
        }
        process.stderr.write(
          `${era} c=${concurrency} cache ${mode}: p50 ${stats.p50Ms.toFixed(2)} ms, p99 ${stats.p99Ms.toFixed(2)} ms, ${stats.callsPerSecond.toFixed(0)}/s${stats.errors ? `, ${stats.errors} errors` : ''}\n`
        );
      }
      rows.push({ era, concurrency, off: measured.off!, on: measured.on!, hitRate });
    }
  }
  return rows;
}

/**
 * The stage's cost, in process. First the whole pipeline against the live fixture (no added latency), without
 * the cache and with a hit. Then the stage alone, around a handler that answers at once with a fixed result,
 * against that handler bare: the work of a call it passes on (a tool that is not read-only), a miss (new
 * arguments every time: keying, storing, evicting) and a hit. Interleaved rounds, median.
 */
async function runStage(perRound: number, rounds: number): Promise<StageRow[]> {
  await using written = writeConfig({});
  const startCore = async (cache: boolean) => {
    const config = { servers: { c: fixtureServer('cacheable.ts') }, ...(cache ? { cache: { statsInterval: 0 } } : {}) };
    const core = new GatewayCore({
      config: parseConfig(stringify(config), { source: written.path }).config,
      configPath: written.path,
      logger: createLogger({ level: 'silent' })
    });
    await core.start();
    return core;
  };
  await using off = await startCore(false);
  await using on = await startCore(true);
  const downstream = (): DownstreamContext => ({
    era: 'legacy',
    sessionId: 'bench',
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  });
  const request = (name: string, args: Record<string, unknown>): GatewayRequest => ({
    method: 'tools/call',
    params: { name, arguments: args },
    downstream: downstream()
  });
  const answer = { content: [{ type: 'text', text: '{"key":"same","calls":1}' }] };
  const bare: Handler = () => Promise.resolve(answer);
  const stage = new ResultCache({
    options: on.config.cache!,
    servers: on.config.servers,
    catalog: on.catalog,
    logger: createLogger({ level: 'silent' })
  });
  const cached = stage.middleware(bare);
  let unique = 0;
  // The stage alone costs microseconds: its rows make 20 times the calls, so a round outlasts a GC pause.
  const variants: { stages: string; baseline?: number; times?: number; call: () => Promise<unknown> }[] = [
    { stages: 'pipeline, no cache (live upstream)', call: () => off.pipeline(request('c__lookup', { key: 'same' })) },
    { stages: 'pipeline, cache hit', baseline: 0, call: () => on.pipeline(request('c__lookup', { key: 'same' })) },
    {
      stages: 'handler that answers at once, bare',
      times: 20,
      call: () => bare(request('c__lookup', { key: 'same' }))
    },
    {
      stages: 'cache stage around it: passed on (not read-only)',
      times: 20,
      baseline: 2,
      call: () => cached(request('c__bump', { key: 'same' }))
    },
    {
      stages: 'cache stage around it: miss (new arguments)',
      times: 20,
      baseline: 2,
      call: () => cached(request('c__lookup', { key: `miss-${unique++}` }))
    },
    {
      stages: 'cache stage around it: hit',
      times: 20,
      baseline: 2,
      call: () => cached(request('c__lookup', { key: 'same' }))
    }
  ];
  const samples = variants.map(() => [] as number[]);
  try {
    for (const variant of variants) for (let index = 0; index < 200; index++) await variant.call();
    for (let round = 0; round < rounds; round++) {
      for (const [index, variant] of variants.entries()) {
        const count = perRound * (variant.times ?? 1);
        const started = performance.now();
        for (let call = 0; call < count; call++) await variant.call();
        samples[index]?.push(((performance.now() - started) / count) * 1000);
      }
    }
  } finally {
    stage.close();
  }
  const medians = samples.map(list => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN);
  return variants.map((variant, index) => ({
    stages: variant.stages,
    usPerCall: medians[index] ?? Number.NaN,
    addedUs:
      variant.baseline === undefined
        ? undefined
        : (medians[index] ?? Number.NaN) - (medians[variant.baseline] ?? Number.NaN)
  }));
}

const results: {
  calls: number;
  latencyMs: number;
  hotKeys: number;
  repeatShare: number;
  http?: HttpRow[];
  stage?: StageRow[];
} = { calls, latencyMs, hotKeys, repeatShare };
if (parts.includes('http')) {
  const rows = (results.http = await runHttp());
  const ms = (value: number) => value.toFixed(2);
  process.stdout.write(
    `Result cache, read-heavy load: ${calls} calls of a read-only tool per row, ${Math.round(repeatShare * 100)} % repeating one of ${hotKeys} keys, upstream ${latencyMs} ms per call (stdio), client → gateway over HTTP\n\n${formatTable(
      [
        'era',
        'conc.',
        'p50 off',
        'p50 on',
        'p99 off',
        'p99 on',
        'calls/s off',
        'calls/s on',
        'throughput on/off',
        'p50 off/on',
        'hit rate'
      ],
      rows.map(row => [
        row.era,
        String(row.concurrency),
        ms(row.off.p50Ms),
        ms(row.on.p50Ms),
        ms(row.off.p99Ms),
        ms(row.on.p99Ms),
        row.off.callsPerSecond.toFixed(0),
        row.on.callsPerSecond.toFixed(0),
        `${(row.on.callsPerSecond / row.off.callsPerSecond).toFixed(2)}×`,
        `${(row.off.p50Ms / row.on.p50Ms).toFixed(2)}×`,
        `${(row.hitRate * 100).toFixed(1)} %`
      ])
    )}\n\n`
  );
}
if (parts.includes('stage')) {
  const rounds = 5;
  const perRound = values.quick ? 200 : 1000;
  const rows = (results.stage = await runStage(perRound, rounds));
  process.stdout.write(
    `The stage's own cost, in process (${rounds} interleaved rounds of ${perRound} pipeline calls or ${perRound * 20} stage calls, median; "added" is against the row it is compared with)\n\n${formatTable(
      ['call', 'µs per call', 'added'],
      rows.map(row => [
        row.stages,
        row.usPerCall.toFixed(1),
        row.addedUs === undefined ? '' : `${row.addedUs.toFixed(1)} µs`
      ])
    )}\n`
  );
}
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/cache-latest.json'), JSON.stringify(results, null, 2));

/**
 * Fleet throughput and latency: `npm run bench:fleet` (env FLEET_BENCH_CALLS, default 2000 per row).
 *
 * One fleet on loopback (scripts/fleet/processes.ts: Redis, PostgreSQL with fsync, gw-1..gw-3 running the echo
 * fixture) and, side by side in one run, three nginx in front of 1, 2 and 3 of the instances. Each row: 2026-07-28
 * tools/call from real SDK clients (8 clients, 64 calls in flight), throughput and p50/p99; then one call at a
 * time, gw-1 direct against nginx in front of gw-1 alone, for the latency nginx adds. The clients run on the same
 * machine as everything else: on a small machine the fleet shares its cores with them. FLEET_BENCH_STORE=sqlite
 * runs the same with the instances sharing one SQLite file instead of PostgreSQL (the store's cost per call).
 */
import { performance } from 'node:perf_hooks';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { type Nginx, repoRoot, startFleet, startNginx } from '../scripts/fleet/processes.js';
import { percentile } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const calls = Number(process.env.FLEET_BENCH_CALLS ?? 2000);
const sequential = Math.max(200, Math.floor(calls / 4));
const concurrency = 64;

async function connect(base: string): Promise<Client> {
  const client = new Client({ name: 'fleet-bench', version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)), { timeout: 30_000 });
  return client;
}

async function run(base: string, count: number, inFlight: number): Promise<{ perSecond: number; p50: number; p99: number; errors: number }> {
  const clients = await Promise.all(Array.from({ length: Math.min(8, inFlight) }, () => connect(base)));
  const call = (client: Client, index: number) => client.callTool({ name: 'e__echo', arguments: { message: `bench-${index}` } });
  for (let index = 0; index < 100; index++) await call(clients[index % clients.length]!, index);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let index = next++; index < count; index = next++) {
        const at = performance.now();
        try {
          await call(clients[w % clients.length]!, index);
          latencies.push(performance.now() - at);
        } catch {
          errors++;
        }
      }
    })
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map(client => client.close()));
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

// FLEET_BENCH_STORE=sqlite: the instances share one SQLite file (beside the config) instead of PostgreSQL.
const store = process.env.FLEET_BENCH_STORE === 'sqlite' ? 'sqlite' : 'postgres';
const fleet = await startFleet({
  durable: true,
  store,
  config: {
    servers: { e: { command: process.execPath, args: ['--import', 'tsx', `${repoRoot}/test/fixtures/servers/echo.ts`], cwd: repoRoot } },
    security: { approval: { enabled: false } }
  }
});
const extra: Nginx[] = [];
try {
  extra.push(await startNginx(fleet.instances.slice(0, 1)), await startNginx(fleet.instances.slice(0, 2)));
  const fronts = [
    { what: 'nginx → 1 instance', url: extra[0]!.url },
    { what: 'nginx → 2 instances', url: extra[1]!.url },
    { what: 'nginx → 3 instances', url: fleet.nginx.url }
  ];
  const rows: string[][] = [];
  for (const front of fronts) {
    const result = await run(front.url, calls, concurrency);
    rows.push([front.what, result.perSecond.toFixed(0), result.p50.toFixed(1), result.p99.toFixed(1), String(result.errors)]);
  }
  process.stdout.write(`\n${calls} tools/call per row, 2026-07-28, ${concurrency} in flight, ${store === 'sqlite' ? 'one SQLite file' : 'PostgreSQL'} store + Redis\n\n`);
  process.stdout.write(`${formatTable(['front', 'calls/s', 'p50 ms', 'p99 ms', 'errors'], rows)}\n`);

  const direct = await run(fleet.instances[0]!.url, sequential, 1);
  const proxied = await run(extra[0]!.url, sequential, 1);
  process.stdout.write(`\n${sequential} calls one at a time: gw-1 direct against nginx in front of gw-1\n\n`);
  process.stdout.write(
    `${formatTable(
      ['path', 'p50 ms', 'p99 ms'],
      [
        ['gw-1 direct', direct.p50.toFixed(2), direct.p99.toFixed(2)],
        ['nginx → gw-1', proxied.p50.toFixed(2), proxied.p99.toFixed(2)],
        ['nginx adds', (proxied.p50 - direct.p50).toFixed(2), (proxied.p99 - direct.p99).toFixed(2)]
      ]
    )}\n`
  );
} finally {
  for (const nginx of extra) await nginx.stop();
  await fleet.stop();
}

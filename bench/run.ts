/**
 * Manifold's benchmarks, side by side in one run: `npm run bench` (full) or `npm run bench -- --quick`.
 * Prints tables and writes bench/results/<time>.json (and latest.json). Measures only; asserts nothing.
 *
 *   --quick              short run (under 5 minutes on 2 cores)
 *   --only <suites>      comma list of: overhead, scale, memory, pipeline
 *   --proxies <list>     comma list of set-ups for overhead: direct, sdk-relay, manifold, supergateway, mcp-proxy, mcp-hub
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';
import { runOverhead } from './overhead.js';
import { runMemory, runPipeline, runScale } from './scale.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, proxies: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
});
if (values.help) {
  process.stdout.write(
    'npm run bench [-- --quick] [--only overhead,scale,memory,pipeline] [--proxies direct,sdk-relay,manifold,supergateway,mcp-proxy,mcp-hub]\n'
  );
  process.exit(0);
}
const quick = values.quick ?? false;
const only = values.only?.split(',') ?? ['overhead', 'scale', 'memory', 'pipeline'];
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const fixed = (value: number | undefined, digits = 3) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));

process.stderr.write('building dist/ (the benchmark runs the built gateway)\n');
execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` };
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), quick, machine };
const started = performance.now();
process.stdout.write(`Manifold benchmarks (${quick ? 'quick' : 'full'}): ${machine.cpus} × ${machine.cpu}, Node ${machine.node}\n\n`);

if (only.includes('overhead')) {
  process.stderr.write('per-call overhead\n');
  const rows = await runOverhead({
    calls: quick ? 500 : 1500,
    concurrencies: [1, 8, 64],
    upstreams: quick ? ['fixture'] : ['fixture', 'everything'],
    ...(values.proxies ? { proxies: values.proxies.split(',') } : {}),
    log
  });
  results.overhead = rows;
  process.stdout.write('## Per-call overhead: tools/call echo (ratio = this p50 / direct p50 on the same upstream transport)\n\n');
  process.stdout.write(
    formatTable(
      ['upstream', 'path', 'proxy', 'client era', 'conc', 'p50 ms', 'p99 ms', 'calls/s', '× direct p50', '× direct calls/s'],
      rows.map(row => [
        row.upstream,
        row.path,
        row.proxy,
        row.era,
        row.error ? '-' : String(row.concurrency),
        row.error ? `failed: ${row.error.slice(0, 60)}` : fixed(row.p50Ms),
        fixed(row.p99Ms),
        fixed(row.callsPerSecond, 0),
        fixed(row.ratioP50, 2),
        fixed(row.ratioThroughput, 2)
      ])
    ) + '\n\n'
  );
  // CPU per call does not depend on how loaded the machine is: what each process spends on one call.
  process.stdout.write(
    '## CPU per call at concurrency 1 (µs; proxy = the process in the middle; server = the server of a direct connection)\n\n' +
      formatTable(
        ['upstream', 'path', 'proxy', 'client era', 'client CPU µs', 'proxy CPU µs', 'server CPU µs (direct)'],
        rows
          .filter(row => row.concurrency === 1 && !row.error)
          .map(row => [row.upstream, row.path, row.proxy, row.era, fixed(row.clientCpuUs, 0), fixed(row.middleCpuUs, 0), fixed(row.serverCpuUs, 0)])
      ) +
      '\n\n'
  );
}

if (only.includes('scale')) {
  process.stderr.write('scale\n');
  const rows = await runScale({ counts: quick ? [1, 10, 50] : [1, 10, 50], toolsPerServer: 20, log });
  results.scale = rows;
  process.stdout.write('## Scale: fixture servers with 20 tools each behind one gateway\n\n');
  process.stdout.write(
    formatTable(
      ['servers', 'tools', 'start-up ms (to all tools listed)', 'gateway RSS MiB', 'tools/list p50 ms', 'tools/list p99 ms'],
      rows.map(row => [String(row.servers), String(row.tools), fixed(row.startupMs, 0), fixed(row.rssMiB, 1), fixed(row.listP50Ms), fixed(row.listP99Ms)])
    ) + '\n\n'
  );
}

if (only.includes('memory')) {
  process.stderr.write('memory\n');
  const rows = await runMemory({ calls: quick ? 20_000 : 100_000, log });
  results.memory = rows;
  process.stdout.write('## Memory: gateway RSS while calling echo over HTTP (legacy client, concurrency 8)\n\n');
  process.stdout.write(
    formatTable(['upstream', 'calls so far', 'gateway RSS MiB'], rows.map(row => [row.upstream, String(row.calls), fixed(row.rssMiB, 1)])) + '\n\n'
  );
}

if (only.includes('pipeline')) {
  process.stderr.write('pipeline\n');
  const rows = await runPipeline({ calls: quick ? 2000 : 20_000, log });
  results.pipeline = rows;
  process.stdout.write('## Pipeline stages: in-process cost per call, each stage turned on alone\n\n');
  process.stdout.write(formatTable(['stages', 'µs per call', 'added µs'], rows.map(row => [row.stages, fixed(row.usPerCall, 2), fixed(row.addedUs, 2)])) + '\n\n');
}

results.elapsedSeconds = (performance.now() - started) / 1000;
const dir = join(repoRoot, 'bench/results');
mkdirSync(dir, { recursive: true });
const json = JSON.stringify(results, null, 2);
const file = join(dir, `${new Date().toISOString().replaceAll(':', '-')}.json`);
writeFileSync(file, json);
writeFileSync(join(dir, 'latest.json'), json);
process.stdout.write(`done in ${(results.elapsedSeconds as number).toFixed(0)} s; results in ${file}\n`);

/**
 * What the audit log costs, side by side with it off: added latency per tools/call in process (the pipeline over
 * a real stdio upstream, and the stage alone) and over HTTP → a stdio upstream (two gateway processes, audit on
 * and off); write throughput (rows/s with 64 calls in flight); store size per million calls (measured bytes/row).
 *
 *   node --import tsx bench/audit.ts [--quick]
 *
 * Measures only; asserts nothing. Interleaved rounds, median per variant: the machine's noise hits all alike.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { AuditLog, createAuditMiddleware } from '../src/audit/index.js';
import { parseConfig } from '../src/config/index.js';
import type { DownstreamContext, GatewayRequest } from '../src/core/pipeline.js';
import { GatewayCore } from '../src/gateway/index.js';
import { SqliteAuditStore } from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { connectHttp, startHttpGateway, writeConfig } from '../test/helpers/gateway.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
const quick = values.quick ?? false;
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const logger = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-audit-'));
const servers = { fx: { command: process.execPath, args: [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', '20'] } };

const downstream = (): DownstreamContext => ({
  era: 'legacy',
  sessionId: 'bench',
  signal: new AbortController().signal,
  clientCapabilities: {},
  progressToken: undefined,
  notify: async () => {},
  log: () => {}
});
const request = (index = 0): GatewayRequest => ({ method: 'tools/call', params: { name: 'fx__echo', arguments: { message: `hello ${index}` } }, downstream: downstream() });

function auditLog(path: string): AuditLog {
  return new AuditLog({ open: () => new SqliteAuditStore(path), signer: undefined, checkpointEvery: 1000, keepDays: undefined, arguments: false, logger });
}

/** µs per operation of each variant: `rounds` interleaved rounds of `perRound` operations, the median round. */
async function compare(variants: ReadonlyArray<() => unknown>, perRound: number, rounds: number): Promise<number[]> {
  const samples = variants.map(() => [] as number[]);
  for (const variant of variants) for (let index = 0; index < Math.min(200, perRound); index++) await variant();
  for (let round = 0; round < rounds; round++) {
    const order = [...variants.entries()];
    if (round % 2 === 1) order.reverse();
    for (const [index, variant] of order) {
      const started = performance.now();
      for (let operation = 0; operation < perRound; operation++) await variant();
      samples[index]?.push(((performance.now() - started) / perRound) * 1000);
    }
  }
  return samples.map(values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN);
}

const rows: string[][] = [];
const add = (what: string, [off, on]: number[]) => {
  const a = off ?? Number.NaN;
  const b = on ?? Number.NaN;
  rows.push([what, a.toFixed(1), b.toFixed(1), (b - a).toFixed(1), (b / a).toFixed(3)]);
  log(`${what}: ${a.toFixed(1)} → ${b.toFixed(1)} µs`);
};

const core = new GatewayCore({ config: parseConfig(stringify({ servers, audit: { enabled: false } }), { env: {} }).config, logger });
await core.start();
const extra: string[] = [];
try {
  // One gateway and one upstream for both: its pipeline, and the audit stage over it, writing to a real file.
  const inProcess = auditLog(join(dir, 'in-process.db'));
  const audited = createAuditMiddleware(inProcess, () => ({ upstream: 'echo', server: 'fx' }))(core.pipeline);
  add('tools/call, in process (pipeline → stdio upstream)', await compare([() => core.pipeline(request()), () => audited(request())], quick ? 200 : 1000, quick ? 5 : 9));
  inProcess.close();

  // The stage alone, over a next stage that answers at once: the exact cost of a row.
  const alonePath = join(dir, 'alone.db');
  const alone = auditLog(alonePath);
  const answer = async (_request: GatewayRequest) => ({ content: [{ type: 'text', text: 'hello' }] });
  const staged = createAuditMiddleware(alone, () => ({ upstream: 'echo', server: 'fx' }))(answer);
  add('the audit stage alone (next stage answers at once)', await compare([() => answer(request()), () => staged(request())], quick ? 2000 : 10_000, 5));

  // Throughput: 64 calls in flight through the stage (each answered on the next turn of the event loop).
  const calls = quick ? 20_000 : 100_000;
  const later = (_request: GatewayRequest) => new Promise<Record<string, unknown>>(resolve => setImmediate(() => resolve({ content: [{ type: 'text', text: 'hello' }] })));
  const throughputStage = createAuditMiddleware(alone, () => ({ upstream: 'echo', server: 'fx' }))(later);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < calls) await throughputStage(request(next++));
    })
  );
  const seconds = (performance.now() - started) / 1000;
  alone.close();
  const store = new SqliteAuditStore(alonePath);
  const written = [...store.rows()].length;
  store.close();
  const bytes = statSync(alonePath).size;
  extra.push(`write throughput: ${Math.round(calls / seconds)} rows/s at concurrency 64 (${calls} calls in ${seconds.toFixed(2)} s)`);
  extra.push(`store size: ${(bytes / written).toFixed(0)} bytes/row (${written} rows, ${(bytes / 1024 ** 2).toFixed(1)} MiB) → ${((bytes / written) * 1e6 / 1024 ** 3).toFixed(2)} GiB per million calls (arguments: false)`);
  log(extra.join('\n  '));
} finally {
  await core.close();
}

// HTTP → stdio: two gateway processes, audit off and on, one client each, calls in turn.
await using offConfig = writeConfig({ servers, audit: { enabled: false } });
await using onConfig = writeConfig({ servers });
await using offGateway = await startHttpGateway(offConfig.path, ['--log-level', 'warn']);
await using onGateway = await startHttpGateway(onConfig.path, ['--log-level', 'warn']);
await using offClient = await connectHttp(offGateway.url);
await using onClient = await connectHttp(onGateway.url);
let counter = 0;
const call = (client: typeof offClient) => () => client.callTool({ name: 'fx__echo', arguments: { message: `hello ${counter++}` } });
add('tools/call, HTTP client → gateway → stdio upstream', await compare([call(offClient), call(onClient)], quick ? 100 : 400, quick ? 5 : 7));

process.stdout.write(`audit log: cost per call (${quick ? 'quick' : 'full'} run)\n\n${formatTable(['operation', 'audit off µs', 'audit on µs', 'added µs', 'ratio'], rows)}\n\n${extra.join('\n')}\n`);
rmSync(dir, { recursive: true, force: true });

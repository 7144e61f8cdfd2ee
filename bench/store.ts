/**
 * What the store costs per call, SQLite against PostgreSQL: `npm run bench:store` (add `-- --quick` for a short run).
 *
 * One call of a workflow step writes, as the gateway does: its audit row (AuditLog.append: the chain head read and
 * the row inserted in one transaction), the step's start and end (startStep, endStep) and its journal entry before
 * and after (saveCheckpoint twice). The two stores side by side in one process, alternating rounds (a loaded
 * machine slows both alike), calls one after another (the latency a call pays; the main thread is blocked for
 * it, with either store). SQLite: a WAL file with synchronous=NORMAL. PostgreSQL: a throwaway local server
 * (test/helpers/postgres.ts) on loopback with fsync on and synchronous_commit=off (the same promise: a crash of
 * the machine may lose the last commits, never corrupt), reached through the synchronous bridge (a worker thread
 * and Atomics.wait). Writes bench/results/store-latest.json. Measures only; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { AuditLog } from '../src/audit/index.js';
import { acquirePostgres, openAuditStore, openRunStore, releasePostgres } from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:store [-- --quick]\n');
  process.exit(0);
}
const quick = values.quick ?? false;
const callsPerRound = quick ? 300 : 1000;
const rounds = quick ? 3 : 5;
const logger = createLogger({ level: 'error', sink: () => {} });

interface Backend {
  name: string;
  address: string;
  samples: number[];
}

async function oneRound(backend: Backend, round: number): Promise<void> {
  const runs = openRunStore(backend.address);
  const log = new AuditLog({ open: () => openAuditStore(backend.address), signer: undefined, checkpointEvery: 1000, keepDays: undefined, arguments: false, logger });
  const runId = `run_${round}`;
  runs.startRun({ id: runId, workflow: 'bench', status: 'running', startedAt: Date.now(), input: '{}' });
  for (let call = 0; call < callsPerRound; call++) {
    const started = process.hrtime.bigint();
    const key = `step[${call}]`;
    const handle = runs.startStep({ runId, path: key, kind: 'call', tool: 'fix__text', attempt: 1, status: 'running', startedAt: Date.now(), input: '{"text":"x"}' });
    runs.saveCheckpoint({ runId, key, kind: 'call', status: 'started', idempotent: false, label: 'fix__text', startedAt: Date.now() });
    runs.saveCheckpoint({ runId, key, kind: 'call', status: 'done', idempotent: false, label: 'fix__text', output: '{"content":[]}', startedAt: Date.now(), endedAt: Date.now() });
    runs.endStep(handle, { status: 'ok', endedAt: Date.now(), outputSize: 14 });
    await log.append({
      time: Date.now(), principal: 'local:local', session: 's', view: null, method: 'tools/call', target: 'fix__text', upstream: 'text', server: 'fix',
      argsDigest: 'a'.repeat(64), argsSize: 12, arguments: null, outcome: 'ok', error: null, durationMs: 1, resultSize: 14, runId, stepId: key
    });
    backend.samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  runs.endRun(runId, { status: 'completed', endedAt: Date.now() });
  log.close();
  runs.close();
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-store-'));
const server = await startPostgres({ durable: true });
try {
  const backends: Backend[] = [
    { name: 'SQLite (WAL file)', address: join(dir, 'manifold.db'), samples: [] },
    { name: 'PostgreSQL (loopback, sync bridge)', address: await server.createDatabase(), samples: [] }
  ];
  // Warm-up: schemas made, connections open, code paths compiled.
  for (const backend of backends) {
    await oneRound(backend, -1);
    backend.samples = [];
  }
  for (let round = 0; round < rounds; round++) for (const backend of round % 2 === 0 ? backends : [...backends].reverse()) await oneRound(backend, round);
  const results = backends.map(backend => {
    const sorted = [...backend.samples].sort((a, b) => a - b);
    const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
    return { store: backend.name, calls: sorted.length, meanMs: mean, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
  });
  // The PostgreSQL operations one by one (medians of 3 × 300): where a call's time goes.
  const url = (backends[1] as Backend).address;
  const db = acquirePostgres(url);
  const audit = openAuditStore(url);
  const runs = openRunStore(url);
  runs.startRun({ id: 'ops', workflow: 'bench', status: 'running', startedAt: Date.now(), input: '{}' });
  const operations: Record<string, () => void> = {
    'a query through the bridge (SELECT 1)': () => void db.query('SELECT 1'),
    'one audit row (manifold_audit_append)': () =>
      void audit.append(head => [{ seq: head.seq + 1, time: Date.now(), principal: 'local:local', session: 's', view: null, method: 'tools/call', target: 't', upstream: null, server: null, argsDigest: 'a'.repeat(64), argsSize: 2, arguments: null, outcome: 'ok', error: null, durationMs: 1, resultSize: 1, runId: null, stepId: null, prev: head.hash, hash: `${head.seq + 1}`.padStart(64, '0') }]),
    'a journal entry (saveCheckpoint)': () => runs.saveCheckpoint({ runId: 'ops', key: `k${Math.random()}`, kind: 'call', status: 'done', idempotent: false, output: '{}', startedAt: Date.now(), endedAt: Date.now() }),
    'a 3-statement transaction script': () => void db.transaction([{ sql: 'SELECT 1' }, { sql: 'SELECT 2' }, { sql: 'SELECT 3' }])
  };
  const opRows: string[][] = [];
  const opResults: Record<string, number> = {};
  for (const [name, operation] of Object.entries(operations)) {
    const samples: number[] = [];
    for (let i = 0; i < 900; i++) {
      const started = process.hrtime.bigint();
      operation();
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const median = quantile(samples.sort((a, b) => a - b), 0.5);
    opResults[name] = median;
    opRows.push([name, `${median.toFixed(3)} ms`]);
  }
  audit.close();
  runs.close();
  releasePostgres(db);
  const table = formatTable(
    ['store', 'calls', 'per call mean', 'p50', 'p99'],
    results.map(result => [result.store, String(result.calls), `${result.meanMs.toFixed(3)} ms`, `${result.p50Ms.toFixed(3)} ms`, `${result.p99Ms.toFixed(3)} ms`])
  );
  process.stdout.write(`Store writes of one workflow-step call (audit row + step start/end + 2 journal entries), ${cpus().length} CPU(s), Node ${process.version}:\n\n${table}\n`);
  process.stdout.write(`\nPostgreSQL operations one by one (median of 900):\n\n${formatTable(['operation', 'median'], opRows)}\n`);
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'store-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), quick, results, postgresOperationsMedianMs: opResults }, null, 2)}\n`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

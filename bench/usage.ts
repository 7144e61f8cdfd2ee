/**
 * What token accounting costs per call: `npm run bench:usage` (add `-- --quick` for a short run).
 *
 * In this process, side by side, alternating rounds (a loaded machine slows both alike): a handler that answers
 * at once with a result of 1 KiB and of 10 KiB of text, bare and behind the usage stage — counting on (answers
 * queued, tokenized in a setImmediate batch), and counting on with a budget (every call first settles what is
 * still queued). For each: the CPU of the call itself (the hot path), and the CPU of the deferred batches per
 * call (serialising and tokenizing in o200k_base, writing hourly rows to an in-memory SQLite store). Writes
 * bench/results/usage-latest.json. Measures only; asserts nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Catalog } from '../src/catalog/index.js';
import { budgetSchema } from '../src/config/index.js';
import type { GatewayRequest, Handler } from '../src/core/pipeline.js';
import { SqliteRunStore } from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Usage } from '../src/usage/index.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:usage [-- --quick]\n');
  process.exit(0);
}
const quick = values.quick ?? false;
const calls = quick ? 2000 : 10_000;
const rounds = quick ? 3 : 5;
const logger = createLogger({ level: 'error', sink: () => {} });

const words = 'the quick brown fox jumps over the lazy dog while a token counter watches every answer ';
const resultOf = (bytes: number) => ({ content: [{ type: 'text', text: words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes) }] });

const request: GatewayRequest = {
  method: 'tools/call',
  params: { name: 'up__echo', arguments: { text: 'hello' } },
  downstream: {
    era: 'modern',
    sessionId: 'bench',
    principal: { name: 'bench', kind: 'key' },
    signal: new AbortController().signal,
    clientCapabilities: undefined,
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  }
};

type Variant = 'off' | 'on' | 'on + budget';

function build(variant: Variant, bytes: number): { handler: Handler; usage: Usage | undefined } {
  const result = resultOf(bytes);
  const bare: Handler = async () => result;
  if (variant === 'off') return { handler: bare, usage: undefined };
  const store = new SqliteRunStore(':memory:');
  const usage = new Usage({
    options: { enabled: true, maxPending: 100_000 },
    budgets: variant === 'on + budget' ? [budgetSchema.parse({ per: 'day', tokens: 1e12 })] : [],
    catalog: new Catalog([], logger),
    store: () => store,
    isWorkflow: () => false,
    logger
  });
  // Warm the tokenizer (its tables load on the first count, once per process).
  usage.accounting.record({ principal: 'x', view: '', server: '', tool: 'warm', workflow: '', answer: result, at: Date.now() });
  usage.accounting.settle();
  return { handler: usage.middleware(bare), usage };
}

/**
 * Runs `calls` calls one after another without yielding to the event loop (the handler answers at once), so no
 * batch runs between them: the calls' own CPU is the hot path, and the final settle is all the deferred work. CPU, not wall time:
 * the figures hold on a machine other processes load.
 */
async function measure(variant: Variant, bytes: number): Promise<{ callUs: number; deferredUs: number }> {
  const { handler, usage } = build(variant, bytes);
  const cpu = () => {
    const used = process.cpuUsage();
    return used.user + used.system;
  };
  const started = cpu();
  for (let index = 0; index < calls; index++) await handler(request);
  const inCalls = cpu() - started;
  usage?.accounting.settle();
  const tail = cpu() - started - inCalls;
  return { callUs: inCalls / calls, deferredUs: tail / calls };
}

/** CPU per call, the deferred batches included (the loop yields every 100 calls, as I/O would, so batches run). */
async function cpuOf(variant: Variant, bytes: number): Promise<number> {
  const { handler, usage } = build(variant, bytes);
  const before = process.cpuUsage();
  for (let index = 0; index < calls; index++) {
    await handler(request);
    if (index % 100 === 99) await new Promise(resolve => setImmediate(resolve));
  }
  usage?.accounting.settle();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const rows: Array<Record<string, number | string>> = [];
for (const bytes of [1024, 10_240]) {
  const samples: Record<Variant, { call: number[]; deferred: number[]; cpu: number[] }> = {
    off: { call: [], deferred: [], cpu: [] },
    on: { call: [], deferred: [], cpu: [] },
    'on + budget': { call: [], deferred: [], cpu: [] }
  };
  const order: Variant[] = ['off', 'on', 'on + budget'];
  for (let round = 0; round < rounds; round++) {
    const variants = round % 2 === 0 ? order : [...order].reverse();
    for (const variant of variants) {
      const measured = await measure(variant, bytes);
      samples[variant].call.push(measured.callUs);
      samples[variant].deferred.push(measured.deferredUs);
      samples[variant].cpu.push(await cpuOf(variant, bytes));
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
  const off = { call: median(samples.off.call), cpu: median(samples.off.cpu) };

  for (const variant of order) {
    const call = median(samples[variant].call);
    const cpu = median(samples[variant].cpu);
    const deferred = median(samples[variant].deferred);
    rows.push({ result: `${bytes / 1024} KiB`, variant, 'call CPU µs': Number(call.toFixed(2)), 'added call CPU µs': Number((call - off.call).toFixed(2)), 'deferred CPU µs/call': Number(deferred.toFixed(1)), 'total CPU µs/call': Number(cpu.toFixed(1)), 'added total CPU µs/call': Number((cpu - off.cpu).toFixed(1)) });
  }
}

process.stdout.write(`token accounting, in process, ${calls} calls × ${rounds} rounds, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'})\n`);
process.stdout.write(`${formatTable(Object.keys(rows[0] ?? {}), rows.map(row => Object.values(row).map(String)))}\n`);
const out = join(repoRoot, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'usage-latest.json'), JSON.stringify({ calls, rounds, rows }, null, 2));

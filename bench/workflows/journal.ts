/**
 * What durable runs cost: `node --import tsx bench/workflows/journal.ts [--quick]`.
 *
 *  (1) The journal alone: RunJournal.run() of a unit with a 1 kB output against a SQLite file (an in-flight
 *      mark, then the output: two writes), per unit, wall and CPU.
 *  (2) End to end: a workflow mapping N items, one at a time, over an instant read-only tool (the
 *      workflow-tools fixture's `text`), with the run store on a file (every step recorded and every call
 *      journaled) versus a store that cannot be opened (nothing recorded); the difference per call.
 * Prints the figures; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { RunJournal, SqliteRunStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
const units = values.quick ? 500 : 3000;
const items = values.quick ? 100 : 400;
const rounds = values.quick ? 3 : 5;
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;
const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-journal-'));

try {
  // (1) The journal alone.
  const store = new SqliteRunStore(join(dir, 'journal.db'));
  store.startRun({ id: 'r', workflow: 'bench', status: 'running', startedAt: Date.now(), input: '{}' });
  const journal = new RunJournal({ runId: 'r', store, onWriteError: error => { throw error; } });
  const output = { content: [{ type: 'text', text: 'x'.repeat(1000) }] };
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    for (let index = 0; index < units; index++) await journal.run({ key: `u${round}.${index}`, kind: 'call', idempotent: false }, async () => output);
    const used = process.cpuUsage(cpu);
    walls.push(((performance.now() - wall) / units) * 1000);
    cpus.push((used.user + used.system) / units);
  }
  store.close();
  process.stdout.write(`journal alone: ${median(walls).toFixed(0)} µs wall, ${median(cpus).toFixed(0)} µs CPU per unit (1 kB output, file store, median of ${rounds} × ${units})\n`);

  // (2) End to end.
  const perCall: Record<string, number> = {};
  for (const [label, storePath] of [
    ['recorded and journaled', join(dir, 'runs.db')],
    ['not recorded', dir] // a folder: the store cannot be opened, runs go unrecorded
  ] as const) {
    const config = {
      servers: { fix: { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/workflow-tools.ts')], cwd: repoRoot } },
      store: { path: storePath },
      workflows: { each: { steps: [{ id: 'all', map: `{{ [1..${items}] }}`, concurrency: 1, call: 'fix__text', with: { text: '{{ $string(item) }}' } }] } }
    };
    const configDir = join(dir, label.replace(/ /g, '-'));
    mkdirSync(configDir);
    const path = join(configDir, 'manifold.yaml');
    writeFileSync(path, stringify(config));
    const core = new GatewayCore({ config: parseConfig(stringify(config), { source: path }).config, configPath: path, logger: createLogger({ level: 'silent' }) });
    await core.start();
    const times: number[] = [];
    for (let round = 0; round < rounds + 1; round++) {
      const started = performance.now();
      const result = await core.pipeline({
        method: 'tools/call',
        params: { name: 'each', arguments: {} },
        downstream: { era: 'legacy', sessionId: 'bench', signal: new AbortController().signal, clientCapabilities: {}, progressToken: undefined, notify: async () => {}, log: () => {} }
      });
      if (result.isError === true) throw new Error(JSON.stringify(result.content));
      if (round > 0) times.push(((performance.now() - started) / items) * 1000);
    }
    await core.close();
    perCall[label] = median(times);
    process.stdout.write(`${label}: ${median(times).toFixed(0)} µs per call (${items} sequential calls, median of ${rounds} runs)\n`);
  }
  process.stdout.write(`recording and journaling add ${((perCall['recorded and journaled'] ?? 0) - (perCall['not recorded'] ?? 0)).toFixed(0)} µs per call\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * What the web console costs to render on the server: `npm run bench:console` (add `-- --quick` for fewer rounds).
 *
 * Renders, in this process, the catalog page with 10,000 tools (token counts cached as the console keeps them;
 * the first, uncached render is reported apart) and a run's page with a timeline of 1,000 steps (parallel
 * branches and map items), each as the whole HTML document; reports the median and p95 of the render time and
 * the bytes each page ships (HTML, plus the stylesheet and script every page shares, cached after the first).
 * Writes bench/results/console-latest.json. Measures only; asserts nothing.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { CatalogTool } from '../src/catalog/index.js';
import { consoleCss } from '../src/console/assets/console-css.js';
import { consoleJs } from '../src/console/assets/console-js.js';
import { catalogPage } from '../src/console/pages/catalog-page.js';
import { runPage } from '../src/console/pages/run-page.js';
import { layout } from '../src/console/render/layout.js';
import { countToolTokens } from '../src/discovery/index.js';
import type { RunRecord, StepRecord } from '../src/store/index.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:console [-- --quick]\n');
  process.exit(0);
}
const rounds = values.quick ? 10 : 30;

const verbs = ['create', 'list', 'read', 'update', 'delete', 'search', 'sync', 'export'];
const nouns = ['issue', 'file', 'page', 'record', 'message', 'ticket', 'invoice', 'branch', 'user', 'dataset'];
function tool(index: number): CatalogTool {
  const server = `server${index % 50}`;
  const original = `${verbs[index % verbs.length]}_${nouns[Math.floor(index / verbs.length) % nouns.length]}_${index}`;
  const definition = {
    name: `${server}__${original}`,
    description: `${verbs[index % verbs.length]} a ${nouns[index % nouns.length]} in ${server}; returns the result as JSON with its id, its owner and when it changed.`,
    inputSchema: { type: 'object' as const, properties: { id: { type: 'string', description: 'the id' }, limit: { type: 'integer' } }, required: ['id'] },
    annotations: { readOnlyHint: index % 3 === 0, destructiveHint: index % 7 === 0 }
  };
  return { name: definition.name, upstream: server, originalName: original, definition, descriptionHash: createHash('sha256').update(definition.description).digest('hex') };
}
const tools = Array.from({ length: 10_000 }, (_, index) => tool(index));

const started = 1_796_000_000_000;
const run: RunRecord = { id: 'run_bench', workflow: 'fanout', kind: 'workflow', status: 'completed', startedAt: started, endedAt: started + 60_000, input: '{}', principal: 'local' };
const steps: StepRecord[] = Array.from({ length: 1000 }, (_, index) => {
  const group = Math.floor(index / 100);
  const path = index % 100 === 0 ? `stage${group}` : index % 2 === 0 ? `stage${group}.branch${index % 100}` : `stage${group}.items[${index % 100}]`;
  const start = started + group * 6000 + (index % 100) * 20;
  return { runId: run.id, path, kind: index % 100 === 0 ? 'parallel' : index % 5 === 0 ? 'model-turn' : 'call', tool: 'server1__read_file_1', attempt: 1, status: index % 97 === 0 ? ('failed' as const) : ('ok' as const), startedAt: start, endedAt: start + 2500 + (index % 13) * 100, outputSize: 512, ...(index % 97 === 0 ? { error: 'the server answered 500' } : {}), ...(index % 5 === 0 ? { detail: '812 in + 95 out tokens' } : {}) };
});

function measure(render: () => string): { medianMs: number; p95Ms: number; bytes: number } {
  const times: number[] = [];
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    const begin = performance.now();
    bytes = Buffer.byteLength(render());
    times.push(performance.now() - begin);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(2));
  return { medianMs: at(0.5), p95Ms: at(0.95), bytes };
}

const tokenCache = new Map<string, number>();
const tokensOf = (entry: CatalogTool) => {
  let tokens = tokenCache.get(entry.name);
  if (tokens === undefined) tokenCache.set(entry.name, (tokens = countToolTokens(entry.definition)));
  return tokens;
};
const catalog = () => layout({ title: 'Catalog and search', active: 'catalog', gateway: 'manifold', csrf: 'x', who: 'admin', body: catalogPage({ tools, tokensOf, pins: undefined, views: ['default'], query: '', view: '', results: [], filter: '', page: 1 }) }).text;
const timeline = () => layout({ title: 'Run', active: 'runs', gateway: 'manifold', csrf: 'x', who: 'admin', body: runPage({ run, steps, partial: undefined, now: started + 60_000 }) }).text;

const coldBegin = performance.now();
catalog();
const coldMs = Number((performance.now() - coldBegin).toFixed(1));
const results = { catalog10k: measure(catalog), timeline1k: measure(timeline) };
const assetBytes = Buffer.byteLength(consoleCss) + Buffer.byteLength(consoleJs);
const report = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  rounds,
  catalogFirstRenderMs: coldMs,
  ...results,
  assets: { cssBytes: Buffer.byteLength(consoleCss), jsBytes: Buffer.byteLength(consoleJs) }
};
process.stdout.write(
  formatTable(
    ['page', 'median ms', 'p95 ms', 'HTML bytes', '+ assets (first visit)'],
    [
      ['catalog, 10,000 tools', String(results.catalog10k.medianMs), String(results.catalog10k.p95Ms), String(results.catalog10k.bytes), String(results.catalog10k.bytes + assetBytes)],
      ['run timeline, 1,000 steps', String(results.timeline1k.medianMs), String(results.timeline1k.p95Ms), String(results.timeline1k.bytes), String(results.timeline1k.bytes + assetBytes)]
    ]
  ) + `\ncatalog's first render (counting 10,000 tools' tokens): ${coldMs} ms; assets: css ${report.assets.cssBytes} B, js ${report.assets.jsBytes} B\n`
);
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/console-latest.json'), JSON.stringify(report, null, 2));

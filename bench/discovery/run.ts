/**
 * Discovery benchmarks: `npm run bench:discovery` (add `-- --quick` for a short run, `-- --retrieval-only`
 * for section 3 alone, `-- --metatool <dir>` where the MetaTool set is not at ../shared/data/retrieval/metatool).
 *
 *  1. Search latency p50/p99, index build time and one server's re-index time at 500, 5,000 and 50,000
 *     tools, synthesised by varying real definitions (the default config's servers and the MetaTool set).
 *  2. Tokens of tools/list (o200k_base) for the default config and a 500-tool catalog, `all` vs `search`.
 *  3. Retrieval figures: plain BM25 (the reference) next to Manifold's search and its ablations, on the
 *     held-out sets (the test half of bench/discovery/mcp-servers, 225 tools of 19 npm MCP servers, never
 *     tuned on; bench/discovery/cjk, tools described only in Chinese, Japanese or Korean, written after the
 *     defaults were set) and on the development sets the defaults were chosen on (MetaTool,
 *     bench/discovery/default-config, the dev half of mcp-servers), which measure regressions, not quality.
 * Prints Markdown tables; writes bench/results/discovery-latest.json. Measures only; asserts nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type { Tool } from '@modelcontextprotocol/client';

import { loadConfig } from '../../src/config/index.js';
import {
  countToolListTokens,
  defaultFields,
  evaluateRetrieval,
  type IndexField,
  metaToolDefinitions,
  parseEvalQueries,
  parseEvalTools,
  percentile,
  plainBm25Retriever,
  readJsonLines,
  type SearchableTool,
  tokenEncoding,
  ToolIndex,
  type ToolIndexOptions,
  toSearchableTools
} from '../../src/discovery/index.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { formatTable } from '../lib/table.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, metatool: { type: 'string' }, 'retrieval-only': { type: 'boolean' } }
});
const quick = values.quick ?? false;
const retrievalOnly = values['retrieval-only'] ?? false;
const metatoolDir = values.metatool ?? join(repoRoot, '../shared/data/retrieval/metatool');
const out = (text: string) => process.stdout.write(text + '\n');
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  encoding: tokenEncoding
};

const evalTools = parseEvalTools(readJsonLines(join(metatoolDir, 'tools.jsonl')));
const evalQueries = parseEvalQueries(
  readJsonLines(join(metatoolDir, 'queries.jsonl')),
  new Set(evalTools.map(tool => tool.id))
);

/** Sections 1 and 2: search latency and build time at scale, and the tokens of tools/list. */
async function measureScaleAndTokens(): Promise<void> {
  // Real definitions: the default config's three servers, live, and the MetaTool set.
  const core = new GatewayCore({
    config: loadConfig(join(repoRoot, 'examples/default.yaml')).config,
    logger: createLogger({ level: 'error' })
  });
  await core.start();
  const defaultTools = core.catalog.tools.map(tool => tool.definition);
  const defaultServers = [...new Set(core.catalog.tools.map(tool => tool.upstream))];
  await core.close();

  const bases: Array<{ server: string; name: string; definition: Tool }> = [
    ...core.catalog.tools.map(tool => ({
      server: tool.upstream,
      name: tool.originalName,
      definition: tool.definition
    })),
    ...toSearchableTools(evalTools).tools.map(tool => ({
      server: tool.server,
      name: tool.originalName ?? tool.name,
      definition: tool.definition
    }))
  ];

  /** `count` tools: real definitions, copied onto numbered servers, each copy's description varied by a qualifier. */
  const qualifiers = [
    '',
    'for teams',
    'in the cloud',
    'for the staging environment',
    'with audit logging',
    'on premises',
    'for EU customers',
    'batch'
  ];
  function synthesise(count: number): SearchableTool[] {
    const tools: SearchableTool[] = [];
    for (let index = 0; index < count; index++) {
      const base = bases[index % bases.length]!;
      const copy = Math.floor(index / bases.length);
      const server = `${base.server}${copy}`;
      const name = `${server}__${base.name}`;
      const qualifier = qualifiers[copy % qualifiers.length]!;
      const description = `${base.definition.description ?? ''}${qualifier ? ` (${qualifier})` : ''}`;
      tools.push({ name, server, originalName: base.name, definition: { ...base.definition, name, description } });
    }
    return tools;
  }

  // 1. Scale
  const sampleQueries = evalQueries
    .filter((_, index) => index % Math.ceil(evalQueries.length / (quick ? 200 : 1000)) === 0)
    .map(query => query.query);
  sampleQueries.push(
    'create an issue in a repository',
    'read a file',
    'add two numbers',
    'search the knowledge graph',
    'list directory contents'
  );
  const scaleRows: Array<Record<string, number>> = [];
  for (const size of [500, 5_000, 50_000]) {
    const tools = synthesise(size);
    const index = new ToolIndex();
    const buildStart = performance.now();
    index.sync(tools);
    const buildMs = performance.now() - buildStart;
    // Incremental: one server's tools change (a list_changed), the rest stays.
    const perServer = new Map<string, number>();
    for (const tool of tools) perServer.set(tool.server, (perServer.get(tool.server) ?? 0) + 1);
    const server = [...perServer].sort((a, b) => b[1] - a[1])[0]![0];
    const changed = tools
      .filter(tool => tool.server === server)
      .map(tool => ({
        ...tool,
        definition: { ...tool.definition, description: `${tool.definition.description ?? ''} v2` }
      }));
    const updateStart = performance.now();
    index.syncServer(server, changed);
    const updateMs = performance.now() - updateStart;
    for (const query of sampleQueries.slice(0, 20)) index.search(query, { limit: 10 }); // warm-up
    const latencies: number[] = [];
    for (const query of sampleQueries) {
      const start = performance.now();
      index.search(query, { limit: 10 });
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const row = {
      tools: size,
      build_ms: buildMs,
      reindex_server_ms: updateMs,
      server_tools: changed.length,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      queries: latencies.length
    };
    scaleRows.push(row);
    process.stderr.write(`  scale ${size}: build ${buildMs.toFixed(0)} ms, p50 ${row.p50_ms.toFixed(3)} ms\n`);
  }
  results.scale = scaleRows;
  out(`## Search at scale (${sampleQueries.length} queries, top 10)\n`);
  out(
    formatTable(
      ['tools', 'index build ms', 're-index one server ms (tools)', 'search p50 ms', 'search p99 ms'],
      scaleRows.map(row => [
        String(row.tools),
        row.build_ms!.toFixed(1),
        `${row.reindex_server_ms!.toFixed(2)} (${row.server_tools})`,
        row.p50_ms!.toFixed(3),
        row.p99_ms!.toFixed(3)
      ])
    )
  );

  // 2. Tokens
  const synthetic500 = synthesise(500);
  const metaFor = (servers: string[]) => metaToolDefinitions(servers);
  const exampleSearch = (() => {
    const index = new ToolIndex();
    index.sync(synthetic500);
    const tools = index
      .search('create an issue in a repository', { limit: 5 })
      .map(match => ({ ...match.tool.definition, server: match.tool.server, score: 1 }));
    return countToolListTokens(tools);
  })();
  const tokenRows = [
    {
      catalog: `default config (${defaultTools.length} tools)`,
      all: countToolListTokens(defaultTools),
      search: countToolListTokens(metaFor(defaultServers))
    },
    {
      catalog: '500 synthesised tools',
      all: countToolListTokens(synthetic500.map(tool => tool.definition)),
      search: countToolListTokens(metaFor([...new Set(synthetic500.map(tool => tool.server))]))
    }
  ];
  results.tokens = { rows: tokenRows, retrieveResultTop5: exampleSearch };
  out(`\n## Tokens of tools/list (${tokenEncoding})\n`);
  out(
    formatTable(
      ['catalog', 'all', 'search', 'saved'],
      tokenRows.map(row => [
        row.catalog,
        String(row.all),
        String(row.search),
        `${(100 * (1 - row.search / row.all)).toFixed(1)}%`
      ])
    )
  );
  out(`\nOne retrieve_tools result with 5 full definitions (500-tool catalog): ${exampleSearch} tokens.`);
}
if (!retrievalOnly) await measureScaleAndTokens();

// 3. Retrieval quality: plain BM25 (the reference) next to Manifold's search and its ablations
const variants: Array<{
  label: string;
  build: (tools: SearchableTool[]) => { search(query: string, limit: number): string[] | Promise<string[]> };
}> = [
  { label: 'plain BM25 (reference: k1 1.2, b 0.75, one field, lowercase alphanumeric)', build: plainBm25Retriever },
  ...(
    [
      ['Manifold without synonyms', { synonyms: false }],
      ['Manifold without prefix fallback', { prefixWeight: 0 }],
      ['Manifold without the exact-word field', { exactWeight: 0 }],
      ['Manifold without the name field', { fields: withField('name', 0) }],
      ['Manifold without the parameters field', { fields: withField('parameters', 0) }],
      ['Manifold without the server field', { fields: withField('server', 0) }],
      ['Manifold (default: retrieve_tools, eval retrieval)', {}]
    ] as Array<[string, ToolIndexOptions]>
  ).map(([label, options]) => ({
    label,
    build: (tools: SearchableTool[]) => {
      const index = new ToolIndex(options);
      index.sync(tools);
      return { search: (query: string, limit: number) => index.search(query, { limit }).map(match => match.tool.name) };
    }
  }))
];
/** The default fields with one field's weight changed (0 leaves it out). */
function withField(field: IndexField, weight: number): ToolIndexOptions['fields'] {
  return { ...defaultFields, [field]: { ...defaultFields[field], weight } };
}
/** A labelled set in the shared format from a folder of this repository. */
function repoSet(key: string, folder: string, queriesFile: string, title: string) {
  const dir = join(repoRoot, folder);
  const tools = parseEvalTools(readJsonLines(join(dir, 'tools.jsonl')));
  const queries = parseEvalQueries(readJsonLines(join(dir, queriesFile)), new Set(tools.map(tool => tool.id)));
  return { key, title: `${title} (${tools.length} tools, ${queries.length} queries)`, tools, queries };
}
const sets = [
  repoSet('mcpServersTest', 'bench/discovery/mcp-servers', 'test.jsonl', '19 npm MCP servers, held-out test half'),
  repoSet('cjk', 'bench/discovery/cjk', 'queries.jsonl', 'tools described in Chinese, Japanese or Korean, held out'),
  {
    key: 'metatool',
    title: `MetaTool, development (${evalTools.length} tools, ${evalQueries.length} queries)`,
    tools: evalTools,
    queries: evalQueries
  },
  repoSet(
    'defaultConfig',
    'bench/discovery/default-config',
    'queries.jsonl',
    "the default config's servers, development"
  ),
  repoSet('mcpServersDev', 'bench/discovery/mcp-servers', 'dev.jsonl', '19 npm MCP servers, development half')
];
for (const set of sets) {
  const qualityRows: Array<{ label: string } & Awaited<ReturnType<typeof evaluateRetrieval>>> = [];
  for (const variant of variants)
    qualityRows.push({ label: variant.label, ...(await evaluateRetrieval(set.tools, set.queries, variant.build)) });
  results[set.key] = qualityRows;
  out(`\n## Retrieval on ${set.title}\n`);
  out(
    formatTable(
      ['search', 'Hit@1', 'Recall@5', 'Recall@10', 'Complete@10', 'nDCG@10', 'MRR@10', 'p50 ms', 'p99 ms'],
      qualityRows.map(row => [
        row.label,
        row['hit@1'].toFixed(1),
        row['recall@5'].toFixed(1),
        row['recall@10'].toFixed(1),
        row['complete@10'].toFixed(1),
        row['ndcg@10'].toFixed(1),
        row['mrr@10'].toFixed(1),
        row.latency_ms.p50.toFixed(3),
        row.latency_ms.p99.toFixed(3)
      ])
    )
  );
}

mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/discovery-latest.json'), JSON.stringify(results, null, 2));
process.stderr.write('wrote bench/results/discovery-latest.json\n');

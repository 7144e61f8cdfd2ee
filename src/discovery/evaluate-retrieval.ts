import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import type { Tool } from '@modelcontextprotocol/client';

import { toPublicName } from '../catalog/index.js';
import { ManifoldError } from '../core/errors.js';
import { SearchIndex } from './search-index.js';
import { parameterText, type SearchableTool } from './tool-document.js';

/** One line of a tools.jsonl file. */
export interface EvalTool {
  id: string;
  server: string;
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** One line of a queries.jsonl file. */
export interface EvalQuery {
  id: string;
  query: string;
  gold: string[];
}

/** The figures `manifold eval retrieval` prints (metrics in percent). */
export interface RetrievalReport {
  'hit@1': number;
  'recall@5': number;
  'recall@10': number;
  'complete@10': number;
  'ndcg@10': number;
  'mrr@10': number;
  latency_ms: { p50: number; p99: number };
  build_ms: number;
  tools: number;
  queries: number;
}

/** Anything that can be built from tools and asked for ranked names: the real search, or a baseline. */
export interface Retriever {
  search(query: string, limit: number): string[] | Promise<string[]>;
}

/** Reads a JSON-lines file, naming the file and line of a bad line. */
export function readJsonLines(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ManifoldError('INVALID_PARAMS', `cannot read ${path}: ${(error as Error).message}`);
  }
  const rows: unknown[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line));
    } catch (error) {
      throw new ManifoldError('INVALID_PARAMS', `${path}:${index + 1}: not JSON (${(error as Error).message})`);
    }
  });
  return rows;
}

export function parseEvalTools(rows: unknown[], source = 'tools'): EvalTool[] {
  const seen = new Set<string>();
  return rows.map((row, index) => {
    const tool = row as Partial<EvalTool> | null;
    if (!tool || typeof tool.id !== 'string' || typeof tool.server !== 'string' || typeof tool.name !== 'string') {
      throw new ManifoldError(
        'INVALID_PARAMS',
        `${source} line ${index + 1}: a tool needs string "id", "server" and "name"`
      );
    }
    if (seen.has(tool.id))
      throw new ManifoldError('INVALID_PARAMS', `${source} line ${index + 1}: duplicate tool id "${tool.id}"`);
    seen.add(tool.id);
    return tool as EvalTool;
  });
}

export function parseEvalQueries(rows: unknown[], toolIds: ReadonlySet<string>, source = 'queries'): EvalQuery[] {
  return rows.map((row, index) => {
    const query = row as Partial<EvalQuery> | null;
    if (
      !query ||
      typeof query.id !== 'string' ||
      typeof query.query !== 'string' ||
      !Array.isArray(query.gold) ||
      query.gold.length === 0
    ) {
      throw new ManifoldError(
        'INVALID_PARAMS',
        `${source} line ${index + 1}: a query needs string "id", "query" and a non-empty "gold" list`
      );
    }
    for (const gold of query.gold) {
      if (typeof gold !== 'string' || !toolIds.has(gold)) {
        throw new ManifoldError(
          'INVALID_PARAMS',
          `${source} line ${index + 1}: gold tool "${String(gold)}" is not in the tool set`
        );
      }
    }
    return query as EvalQuery;
  });
}

/**
 * The catalog entries an evaluation tool set becomes: `server` and `name` give the public name, exactly as
 * the gateway would name an upstream's tool. Returns the id of each public name, to score by.
 */
export function toSearchableTools(tools: readonly EvalTool[]): { tools: SearchableTool[]; idOf: Map<string, string> } {
  const idOf = new Map<string, string>();
  const searchable = tools.map(tool => {
    let name = toPublicName(tool.server, tool.name, true);
    // Two rows with one server and name (allowed by the format, ids differ): keep both, distinctly named.
    for (let suffix = 2; idOf.has(name); suffix++) name = `${toPublicName(tool.server, tool.name, true)}_${suffix}`;
    idOf.set(name, tool.id);
    const definition: Tool = {
      name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      inputSchema: (tool.inputSchema ?? { type: 'object' }) as Tool['inputSchema'],
      ...(tool.annotations ? { annotations: tool.annotations } : {})
    };
    return { name, server: tool.server, originalName: tool.name, definition };
  });
  return { tools: searchable, idOf };
}

/** Lowercase alphanumeric runs: the plain baseline's tokens (no splitting, stemming or stop words). */
function plainTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * The reference ranker of the shared data's README: plain BM25 (k1 1.2, b 0.75) over one field, the tool's
 * own name, description and parameter text, lowercase alphanumeric tokens. What `--ranker bm25` runs.
 */
export function plainBm25Retriever(tools: readonly SearchableTool[]): Retriever {
  const index = new SearchIndex<'text'>({ fields: { text: { weight: 1, b: 0.75 } }, k1: 1.2 });
  for (const tool of tools) {
    const text = `${tool.originalName ?? tool.name} ${tool.definition.description ?? ''} ${parameterText(tool.definition.inputSchema)}`;
    index.add(tool.name, { text: plainTokens(text) });
  }
  return {
    search: (query, limit) =>
      index.search(plainTokens(query).map(term => ({ term, weight: 1 })), { limit }).map(hit => hit.id)
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/**
 * Runs every query and scores the ranking against the gold tools: Hit@1, Recall@5, Recall@10,
 * Complete@10, nDCG@10 (binary relevance) and MRR@10, averaged over queries, in percent.
 */
export async function evaluateRetrieval(
  tools: readonly EvalTool[],
  queries: readonly EvalQuery[],
  build: (tools: SearchableTool[]) => Retriever | Promise<Retriever>,
  options: { limit?: number } = {}
): Promise<RetrievalReport> {
  const limit = options.limit ?? 10;
  const { tools: searchable, idOf } = toSearchableTools(tools);
  const started = performance.now();
  const retriever = await build(searchable);
  const buildMs = performance.now() - started;

  const sums = { hit1: 0, recall5: 0, recall10: 0, complete10: 0, ndcg10: 0, mrr10: 0 };
  const latencies: number[] = [];
  for (const query of queries) {
    const before = performance.now();
    const pending = retriever.search(query.query, limit);
    // Synchronous retrievers are timed without a microtask in between.
    const names = pending instanceof Promise ? await pending : pending;
    latencies.push(performance.now() - before);
    const ranked = names.map(name => idOf.get(name) ?? name);
    const gold = new Set(query.gold);
    const found = (k: number) => ranked.slice(0, k).filter(id => gold.has(id)).length;
    if (ranked[0] !== undefined && gold.has(ranked[0])) sums.hit1 += 1;
    sums.recall5 += found(5) / gold.size;
    sums.recall10 += found(10) / gold.size;
    if (found(10) === gold.size) sums.complete10 += 1;
    let dcg = 0;
    ranked.slice(0, 10).forEach((id, index) => {
      if (gold.has(id)) dcg += 1 / Math.log2(index + 2);
    });
    let ideal = 0;
    for (let index = 0; index < Math.min(gold.size, 10); index++) ideal += 1 / Math.log2(index + 2);
    sums.ndcg10 += dcg / ideal;
    const first = ranked.slice(0, 10).findIndex(id => gold.has(id));
    if (first >= 0) sums.mrr10 += 1 / (first + 1);
  }
  const count = Math.max(queries.length, 1);
  const percent = (sum: number) => round((100 * sum) / count, 2);
  latencies.sort((a, b) => a - b);
  return {
    'hit@1': percent(sums.hit1),
    'recall@5': percent(sums.recall5),
    'recall@10': percent(sums.recall10),
    'complete@10': percent(sums.complete10),
    'ndcg@10': percent(sums.ndcg10),
    'mrr@10': percent(sums.mrr10),
    latency_ms: { p50: round(percentile(latencies, 50), 3), p99: round(percentile(latencies, 99), 3) },
    build_ms: round(buildMs, 1),
    tools: tools.length,
    queries: queries.length
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

import { parseWholeNumber, UsageError } from '../usage-error.js';
import {
  createOpenAiEmbedder,
  evaluateRetrieval,
  HybridToolSearch,
  parseEvalQueries,
  parseEvalTools,
  plainBm25Retriever,
  readJsonLines,
  ToolIndex,
  VectorIndex
} from '../../discovery/index.js';
import type { Output } from '../output.js';
import { type ParsedCommand, stringOption } from '../parsed-command.js';

/**
 * `manifold eval retrieval --tools <tools.jsonl> --queries <queries.jsonl>`: runs every query through the
 * search that retrieve_tools uses (ToolIndex, default options) and prints the retrieval figures. Needs no
 * config and starts no server.
 */
export async function runEval(parsed: ParsedCommand, output: Output): Promise<number> {
  const [what] = parsed.positionals;
  if (what !== 'retrieval')
    throw new UsageError(`unknown evaluation "${what ?? ''}": the one there is, is "manifold eval retrieval --tools <tools.jsonl> --queries <queries.jsonl>"`
    );
  const toolsPath = stringOption(parsed, 'tools');
  const queriesPath = stringOption(parsed, 'queries');
  if (toolsPath === undefined || queriesPath === undefined)
    throw new UsageError('eval retrieval needs --tools <tools.jsonl> and --queries <queries.jsonl>'
    );
  const limit = parseWholeNumber('limit', stringOption(parsed, 'limit'), 10, 1);

  const tools = parseEvalTools(readJsonLines(toolsPath), toolsPath);
  const queries = parseEvalQueries(readJsonLines(queriesPath), new Set(tools.map(tool => tool.id)), queriesPath);
  const embeddingsUrl = stringOption(parsed, 'embeddings-url');
  const embeddingsModel = stringOption(parsed, 'embeddings-model');
  if ((embeddingsUrl === undefined) !== (embeddingsModel === undefined)) {
    throw new UsageError('--embeddings-url and --embeddings-model go together');
  }
  const ranker = stringOption(parsed, 'ranker') ?? 'manifold';
  if (ranker !== 'manifold' && ranker !== 'bm25')
    throw new UsageError(`--ranker is "manifold" (the default) or "bm25", got "${ranker}"`);
  if (ranker === 'bm25' && embeddingsUrl !== undefined)
    throw new UsageError('--ranker bm25 is the plain baseline: it takes no --embeddings-url');
  const report = await evaluateRetrieval(
    tools,
    queries,
    async searchable => {
      if (ranker === 'bm25') return plainBm25Retriever(searchable);
      const index = new ToolIndex();
      index.sync(searchable);
      if (embeddingsUrl === undefined || embeddingsModel === undefined) {
        return { search: (query, count) => index.search(query, { limit: count }).map(match => match.tool.name) };
      }
      // As retrieve_tools with discovery.embeddings: BM25F fused with the endpoint's ranking.
      const embedder = createOpenAiEmbedder({
        url: embeddingsUrl,
        model: embeddingsModel,
        apiKey: process.env.MANIFOLD_EMBEDDINGS_API_KEY
      });
      const hybrid = new HybridToolSearch(index, new VectorIndex(embedder));
      await hybrid.search('warm-up', { limit: 1 }); // embeds the tools: part of the build, not of query latency
      return {
        search: async (query, count) => (await hybrid.search(query, { limit: count })).map(match => match.tool.name)
      };
    },
    { limit }
  );
  if (parsed.values.json) {
    output.out(JSON.stringify(report));
    return 0;
  }
  const figure = (value: number) => value.toFixed(1).padStart(6);
  output.out(
    [
      `retrieval${ranker === 'bm25' ? ' (plain BM25)' : ''}: ${report.tools} tools, ${report.queries} queries, top ${limit}`,
      `Hit@1        ${figure(report['hit@1'])}`,
      `Recall@5     ${figure(report['recall@5'])}`,
      `Recall@10    ${figure(report['recall@10'])}`,
      `Complete@10  ${figure(report['complete@10'])}`,
      `nDCG@10      ${figure(report['ndcg@10'])}`,
      `MRR@10       ${figure(report['mrr@10'])}`,
      `latency      p50 ${report.latency_ms.p50} ms, p99 ${report.latency_ms.p99} ms`,
      `index build  ${report.build_ms} ms`
    ].join('\n')
  );
  return 0;
}

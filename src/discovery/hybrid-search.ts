import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { type SearchableTool, toolFieldText } from './tool-document.js';
import type { ToolIndex, ToolMatch, ToolSearchOptions } from './tool-index.js';
import { splitWords } from './tokenize.js';
import { fuseRankings, type VectorIndex } from './vector-index.js';

export interface HybridSearchOptions {
  /** Weight of the embedding ranking in the fusion (BM25's is 1). */
  weight?: number;
  /** How deep each ranking goes before fusion. */
  candidates?: number;
  logger?: Logger;
}

/** The text a tool is embedded by: its name in words, title, description and parameter text. */
export function embeddingText(tool: SearchableTool): string {
  const fields = toolFieldText(tool);
  return [
    splitWords(fields.name).join(' '),
    fields.title,
    fields.description,
    fields.parameters ? `Parameters: ${fields.parameters}` : '',
    fields.tags
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * BM25F and embeddings fused by reciprocal rank. The lexical index stays the source of truth for which tools
 * exist; vectors are brought up to date before each search (only new or changed tools are embedded). If the
 * embeddings endpoint fails, the search answers from BM25 alone and logs why.
 */
export class HybridToolSearch {
  private readonly weight: number;
  private readonly candidates: number;
  private readonly logger: Logger | undefined;
  private lastError: string | undefined;
  /** The lexical index's revision the vectors were last brought up to. */
  private syncedRevision = -1;

  constructor(
    private readonly index: ToolIndex,
    private readonly vectors: VectorIndex,
    options: HybridSearchOptions = {}
  ) {
    this.weight = options.weight ?? 1;
    this.candidates = options.candidates ?? 50;
    this.logger = options.logger;
  }

  async search(query: string, options: ToolSearchOptions = {}, signal?: AbortSignal): Promise<ToolMatch[]> {
    const limit = options.limit ?? 10;
    const depth = Math.max(this.candidates, limit * 5);
    const lexical = this.index.search(query, { ...options, limit: depth });
    let semantic: string[];
    try {
      const revision = this.index.revision;
      if (revision !== this.syncedRevision) {
        await this.vectors.sync(new Map(this.index.tools().map(tool => [tool.name, embeddingText(tool)])), signal);
        this.syncedRevision = revision;
      }
      const vector = await this.vectors.embedQuery(query, signal);
      const { server, accept } = options;
      semantic = this.vectors
        .search(vector, {
          limit: depth,
          accept: name => {
            const tool = this.index.get(name);
            return (
              tool !== undefined &&
              (server === undefined || tool.server === server) &&
              (accept === undefined || accept(tool))
            );
          }
        })
        .map(hit => hit.id);
      this.lastError = undefined;
    } catch (error) {
      const message = errorMessage(error);
      if (message !== this.lastError) this.logger?.warn(`embeddings unavailable, searching with BM25 only: ${message}`);
      this.lastError = message;
      return lexical.slice(0, limit);
    }
    const fused = fuseRankings([
      { ids: lexical.map(match => match.tool.name), weight: 1 },
      { ids: semantic, weight: this.weight }
    ]);
    const matches: ToolMatch[] = [];
    for (const { id, score } of fused.slice(0, limit)) {
      const tool = this.index.get(id);
      if (tool) matches.push({ tool, score });
    }
    return matches;
  }
}

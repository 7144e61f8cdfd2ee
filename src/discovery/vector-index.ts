import type { Embedder } from './embedder.js';
import type { ScoredId } from './search-index.js';

interface Stored {
  text: string;
  vector: Float32Array;
}

/**
 * Unit vectors of tool texts, embedded on demand: `sync` embeds only texts it has not seen, and concurrent
 * syncs share the work. Search is exact (cosine over every vector); at catalog sizes that is a few ms.
 */
export class VectorIndex {
  private readonly vectors = new Map<string, Stored>();
  private readonly embedder: Embedder;

  constructor(embedder: Embedder) {
    this.embedder = embedder;
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Holds exactly these documents (id → text), embedding the new and changed ones. */
  async sync(documents: ReadonlyMap<string, string>, signal?: AbortSignal): Promise<void> {
    for (const id of [...this.vectors.keys()]) if (!documents.has(id)) this.vectors.delete(id);
    const missing = [...documents].filter(([id, text]) => this.vectors.get(id)?.text !== text);
    if (missing.length === 0) return;
    const embedded = await this.embedder.embed(
      missing.map(([, text]) => text),
      signal
    );
    missing.forEach(([id, text], index) => {
      const vector = embedded[index];
      if (vector && documents.get(id) === text) this.vectors.set(id, { text, vector: normalise(vector) });
    });
  }

  async embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array> {
    const [vector] = await this.embedder.embed([query], signal);
    return normalise(vector ?? []);
  }

  search(query: Float32Array, options: { limit: number; accept?: (id: string) => boolean }): ScoredId[] {
    const scored: ScoredId[] = [];
    for (const [id, { vector }] of this.vectors) {
      if (vector.length !== query.length || (options.accept && !options.accept(id))) continue;
      let dot = 0;
      for (let index = 0; index < vector.length; index++) dot += (vector[index] ?? 0) * (query[index] ?? 0);
      scored.push({ id, score: dot });
    }
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, options.limit);
  }
}

function normalise(vector: readonly number[]): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(vector, value => value / norm);
}

/**
 * Reciprocal rank fusion (Cormack et al. 2009): each ranking adds `weight / (k + rank)` for every id it
 * ranks. Robust to the two scores living on different scales, which BM25 and cosine do.
 */
export function fuseRankings(rankings: ReadonlyArray<{ ids: readonly string[]; weight: number }>, k = 60): ScoredId[] {
  const fused = new Map<string, number>();
  for (const { ids, weight } of rankings) {
    ids.forEach((id, rank) => fused.set(id, (fused.get(id) ?? 0) + weight / (k + rank + 1)));
  }
  return [...fused].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

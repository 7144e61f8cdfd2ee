/** Turns texts into vectors (one per text, in order). Implementations live in `embeddings/`. */
export interface Embedder {
  /** A short description for logs and `manifold views` (e.g. `openai-compatible text-embedding-3-small`). */
  readonly label: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

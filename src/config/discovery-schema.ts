import * as z from 'zod/v4';

/** An OpenAI-compatible `/embeddings` endpoint whose rankings are fused with BM25 (off unless configured). */
export const embeddingsSchema = z.strictObject({
  /** Base URL; `/embeddings` is appended (`https://api.openai.com/v1`, `http://localhost:11434/v1`). */
  url: z.url(),
  model: z.string().min(1),
  /** Sent as `Authorization: Bearer <apiKey>`; use `${VAR}`. */
  apiKey: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** Weight of the embedding ranking in the reciprocal-rank fusion (BM25's is 1). */
  weight: z.number().positive().default(1),
  /** Texts per request. */
  batchSize: z.number().int().positive().default(64)
});

export const discoveryOptionsSchema = z.strictObject({
  embeddings: embeddingsSchema.optional()
});

export type EmbeddingsConfig = z.infer<typeof embeddingsSchema>;
export type DiscoveryOptions = z.infer<typeof discoveryOptionsSchema>;

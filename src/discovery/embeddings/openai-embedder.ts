import { errorMessage, ManifoldError } from '../../core/errors.js';
import type { Embedder } from '../embedder.js';

export interface OpenAiEmbedderOptions {
  /** Base URL of an OpenAI-compatible API (`https://api.openai.com/v1`, a local server's `/v1`); `/embeddings` is appended. */
  url: string;
  model: string;
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** Texts per request. */
  batchSize?: number | undefined;
  timeoutMs?: number | undefined;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/**
 * An embedder that POSTs `{model, input: [...]}` to `<url>/embeddings` and reads `data[].embedding` (ordered
 * by `data[].index`): the OpenAI embeddings API, which Ollama, vLLM, LM Studio, llama.cpp and most hosted
 * providers also serve.
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
  const batchSize = options.batchSize ?? 64;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers
  };

  const embedBatch = async (input: readonly string[], signal: AbortSignal | undefined): Promise<number[][]> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: options.model, input }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout
      });
    } catch (error) {
      throw new ManifoldError(
        'UPSTREAM_UNAVAILABLE',
        `embeddings endpoint ${endpoint} did not answer: ${errorMessage(error)}`,
        { cause: error }
      );
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      throw new ManifoldError('UPSTREAM_ERROR', `embeddings endpoint ${endpoint} answered ${response.status}: ${text}`);
    }
    const body = (await response.json()) as { data?: Array<{ index?: number; embedding?: unknown }> };
    const data = Array.isArray(body.data) ? body.data : [];
    const vectors: number[][] = new Array<number[]>(input.length);
    data.forEach((item, position) => {
      const index = typeof item.index === 'number' ? item.index : position;
      if (Array.isArray(item.embedding) && item.embedding.every(value => typeof value === 'number'))
        vectors[index] = item.embedding;
    });
    for (let index = 0; index < input.length; index++) {
      if (!vectors[index])
        throw new ManifoldError(
          'UPSTREAM_ERROR',
          `embeddings endpoint ${endpoint} returned no embedding for input ${index} of ${input.length}`
        );
    }
    return vectors;
  };

  return {
    label: `openai-compatible ${options.model} at ${options.url}`,
    embed: async (texts, signal) => {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize)
        vectors.push(...(await embedBatch(texts.slice(start, start + batchSize), signal)));
      return vectors;
    }
  };
}

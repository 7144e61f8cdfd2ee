import { createRequire } from 'node:module';

import type * as OpenAiCompatibleProvider from '@ai-sdk/openai-compatible';

import type { ModelConfig } from '../../config/index.js';
import { LanguageModelBackend } from '../language-model-backend.js';
import type { ModelBackend } from '../model-backend.js';

const require = createRequire(import.meta.url);

/**
 * A model behind any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LiteLLM, OpenRouter):
 * `POST <baseURL>/chat/completions`, `Authorization: Bearer <apiKey>` when a key is set.
 */
export function createOpenAiBackend(name: string, config: ModelConfig): ModelBackend {
  // Loaded with the first OpenAI-compatible model (a gateway without one never loads the provider's code).
  const { createOpenAICompatible } = require('@ai-sdk/openai-compatible') as typeof OpenAiCompatibleProvider;
  const baseURL = (config.baseURL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const provider = createOpenAICompatible({
    name: `manifold.${name}`,
    baseURL,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    headers: config.headers,
    includeUsage: true
  });
  return new LanguageModelBackend({
    name,
    config,
    model: provider.chatModel(config.model ?? ''),
    url: `${baseURL}/chat/completions`
  });
}

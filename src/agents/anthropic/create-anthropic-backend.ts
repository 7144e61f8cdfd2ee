import { createRequire } from 'node:module';

import type * as AnthropicProvider from '@ai-sdk/anthropic';

import type { ModelConfig } from '../../config/index.js';
import { LanguageModelBackend } from '../language-model-backend.js';
import type { ModelBackend } from '../model-backend.js';

const require = createRequire(import.meta.url);

/** A model behind the Anthropic Messages API: `POST <baseURL>/messages`, `x-api-key: <apiKey>`. */
export function createAnthropicBackend(name: string, config: ModelConfig): ModelBackend {
  // Loaded with the first Anthropic model (a gateway without one never loads the provider's code).
  const { createAnthropic } = require('@ai-sdk/anthropic') as typeof AnthropicProvider;
  const baseURL = (config.baseURL ?? 'https://api.anthropic.com/v1').replace(/\/+$/, '');
  const provider = createAnthropic({
    baseURL,
    // The provider insists on a key (it reads ANTHROPIC_API_KEY otherwise); a local proxy may need none.
    apiKey: config.apiKey ?? '',
    headers: config.headers
  });
  return new LanguageModelBackend({
    name,
    config,
    model: provider.messages(config.model ?? ''),
    url: `${baseURL}/messages`
  });
}

import type { ModelConfig } from '../config/index.js';
import { createAnthropicBackend } from './anthropic/create-anthropic-backend.js';
import type { ModelBackend } from './model-backend.js';
import { createOpenAiBackend } from './openai/create-openai-backend.js';
import { createSamplingBackend } from './sampling/create-sampling-backend.js';

/** The backend for a configured model (`models.<name>`): the one place that picks an implementation. */
export function createModelBackend(name: string, config: ModelConfig): ModelBackend {
  switch (config.provider) {
    case 'openai':
      return createOpenAiBackend(name, config);
    case 'anthropic':
      return createAnthropicBackend(name, config);
    case 'sampling':
      return createSamplingBackend(name, config);
  }
}

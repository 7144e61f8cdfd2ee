import { modelRunResumer, type ModelRunResumer } from '../agents/index.js';
import type { RouterConfig } from '../config/index.js';
import type { RouterRunner } from './router-runner.js';

/**
 * Goes on with recorded router runs: the journaled decision is replayed (the model is not asked again); what
 * follows it, as `modelRunResumer` says.
 */
export function routerResumer(runner: RouterRunner): ModelRunResumer {
  return modelRunResumer<RouterConfig>('router', runner);
}

import { type ModelRunResumer, parseRunDefinition, type RunDefinition } from '../agents/index.js';
import type { RouterConfig } from '../config/index.js';
import type { RouterRunner } from './router-runner.js';

/**
 * Goes on with recorded router runs (`manifold runs resume`, runs_resume, `gateway.resumeInterrupted`): with the
 * router's config it started with and the same request. The journaled decision is replayed (the model is not asked
 * again); a server route's tool loop goes on from its journaled turns and tool calls; an agent or workflow route
 * goes on with its linked run (`<id>.routed`): its recorded result when it completed, else resumed from its own journal.
 */
export function routerResumer(runner: RouterRunner): ModelRunResumer {
  return {
    check: run => {
      const definition = parseRunDefinition<RouterConfig>(run, 'router');
      if (typeof definition === 'string') return definition;
      return runner.missingFor(definition.name, definition.config);
    },
    resume: (run, resume, downstream) => {
      const definition = parseRunDefinition<RouterConfig>(run, 'router') as RunDefinition<RouterConfig>;
      return runner.call(
        definition.name,
        { method: 'tools/call', params: { name: definition.name, arguments: JSON.parse(run.arguments ?? '{}') as Record<string, unknown> }, downstream },
        { runId: run.id, checkpoints: resume.checkpoints, force: resume.force, config: definition.config }
      );
    }
  };
}

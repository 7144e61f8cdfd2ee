import type { AgentConfig, OrchestratorConfig } from '../config/index.js';
import type { DownstreamContext, GatewayResult } from '../core/pipeline.js';
import type { Checkpoint, RunRecord } from '../store/index.js';
import type { AgentRunner } from './agent-runner.js';
import type { OrchestratorRunner } from './orchestrator-runner.js';

/**
 * How a kind of recorded run is resumed (the shape of the workflows' `RunResumer`): `check` says, before the run
 * is claimed, why it cannot run with the config now; `resume` runs it again with its journal.
 */
export interface ModelRunResumer {
  check(run: RunRecord): string | undefined;
  resume(run: RunRecord, resume: { checkpoints: readonly Checkpoint[]; force: boolean }, downstream: DownstreamContext): Promise<GatewayResult>;
}

/** A recorded agent, orchestrator or router run's definition: its name and the config it started with. */
export interface RunDefinition<Config> {
  name: string;
  config: Config;
}

/** Parses a recorded run's definition (`{"<kind>": name, "config": {…}}`), or says why it cannot be. */
export function parseRunDefinition<Config>(run: RunRecord, kind: 'agent' | 'orchestrator' | 'router'): RunDefinition<Config> | string {
  try {
    const parsed = JSON.parse(run.definition ?? '') as Record<string, unknown>;
    if (typeof parsed[kind] === 'string' && parsed.config !== null && typeof parsed.config === 'object') return { name: parsed[kind], config: parsed.config as Config };
  } catch {
    // Said below.
  }
  return `its recorded definition is not ${kind === 'orchestrator' ? 'an' : 'a'} ${kind} run's ({"${kind}", "config"})`;
}

function argumentsOf(run: RunRecord): Record<string, unknown> {
  return JSON.parse(run.arguments ?? '{}') as Record<string, unknown>;
}

/**
 * Goes on with recorded agent runs (`manifold runs resume`, runs_resume): the agent runs again with the config it
 * started with and the same task, and its journal replays the model turns and tool calls that were done, so the
 * model is asked again only from the first turn without a journaled answer and no finished tool call is repeated.
 */
export function agentResumer(runner: AgentRunner): ModelRunResumer {
  return {
    check: run => {
      const definition = parseRunDefinition<AgentConfig>(run, 'agent');
      if (typeof definition === 'string') return definition;
      return runner.hasModel(definition.config.model) ? undefined : `agent "${definition.name}" cannot run with the config now: its model "${definition.config.model}" is not configured (models.${definition.config.model})`;
    },
    resume: (run, resume, downstream) => {
      const definition = parseRunDefinition<AgentConfig>(run, 'agent') as RunDefinition<AgentConfig>;
      return runner.run(
        definition.name,
        { method: 'tools/call', params: { name: definition.name, arguments: argumentsOf(run) }, downstream },
        { runId: run.id, checkpoints: resume.checkpoints, force: resume.force, config: definition.config }
      );
    }
  };
}

/**
 * Goes on with recorded orchestrator runs: with the orchestrator's config it started with and the workers (agents)
 * and models configured now, by name. The journal replays each planner call, each finished worker task and the
 * synthesis; a task that was in flight goes on from its own journaled turns and tool calls.
 */
export function orchestratorResumer(runner: OrchestratorRunner): ModelRunResumer {
  return {
    check: run => {
      const definition = parseRunDefinition<OrchestratorConfig>(run, 'orchestrator');
      if (typeof definition === 'string') return definition;
      return runner.missingFor(definition.name, definition.config);
    },
    resume: (run, resume, downstream) => {
      const definition = parseRunDefinition<OrchestratorConfig>(run, 'orchestrator') as RunDefinition<OrchestratorConfig>;
      return runner.call(
        definition.name,
        { method: 'tools/call', params: { name: definition.name, arguments: argumentsOf(run) }, downstream },
        { runId: run.id, checkpoints: resume.checkpoints, force: resume.force, config: definition.config }
      );
    }
  };
}

import type { AgentConfig, OrchestratorConfig } from '../config/index.js';
import type { DownstreamContext, GatewayRequest, GatewayResult } from '../core/pipeline.js';
import type { Checkpoint, RunRecord } from '../store/index.js';
import type { ModelRunResume } from './agent-run-hooks.js';
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

/**
 * What resuming a kind of model run needs of its runner: what the recorded config is missing now (by name), and a
 * call of the same tool with that config and the run's journal.
 */
export interface ResumableModelRunner<Config> {
  missingFor(name: string, config: Config): string | undefined;
  call(name: string, request: GatewayRequest, resume: ModelRunResume<Config>): Promise<GatewayResult>;
}

/**
 * Goes on with recorded runs of one kind (`manifold runs resume`, runs_resume, `gateway.resumeInterrupted`): the
 * same tool runs again with the config it started with and the same arguments, and its journal replays what was
 * done, so a model is asked again only where no answer was journaled and no finished tool call is repeated.
 *
 * - agent: the model turns and tool calls;
 * - orchestrator: each planner call, each finished worker task and the synthesis (a task that was in flight goes
 *   on from its own journaled turns and tool calls);
 * - router: the decision; a server route's tool loop from its journal; an agent or workflow route goes on with its
 *   linked run (`<id>.routed`): its recorded result when it completed, else resumed from its own journal.
 */
export function modelRunResumer<Config>(kind: 'agent' | 'orchestrator' | 'router', runner: ResumableModelRunner<Config>): ModelRunResumer {
  return {
    check: run => {
      const definition = parseRunDefinition<Config>(run, kind);
      return typeof definition === 'string' ? definition : runner.missingFor(definition.name, definition.config);
    },
    resume: (run, resume, downstream) => {
      const definition = parseRunDefinition<Config>(run, kind) as RunDefinition<Config>;
      const request: GatewayRequest = { method: 'tools/call', params: { name: definition.name, arguments: JSON.parse(run.arguments ?? '{}') as Record<string, unknown> }, downstream };
      return runner.call(definition.name, request, { runId: run.id, checkpoints: resume.checkpoints, force: resume.force, config: definition.config });
    }
  };
}

/** Agent runs: the agent's model must still be configured (its tools are the servers' now). */
export function agentResumer(runner: AgentRunner): ModelRunResumer {
  return modelRunResumer<AgentConfig>('agent', {
    missingFor: (name, config) =>
      runner.hasModel(config.model) ? undefined : `agent "${name}" cannot run with the config now: its model "${config.model}" is not configured (models.${config.model})`,
    call: (name, request, resume) => runner.run(name, request, resume)
  });
}

/** Orchestrator runs: its workers (agents) and models configured now, by name. */
export function orchestratorResumer(runner: OrchestratorRunner): ModelRunResumer {
  return modelRunResumer<OrchestratorConfig>('orchestrator', runner);
}

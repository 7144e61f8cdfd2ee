import type { GatewayResult, DownstreamContext } from '../core/pipeline.js';
import type { Checkpoint, RunRecord } from '../store/index.js';
import { parseAgentRunDefinition } from './agent-run-hooks.js';
import type { AgentRunner } from './agent-runner.js';

/**
 * Goes on with a recorded agent run (`manifold runs resume`, runs_resume): the agent runs again with the config it
 * started with and the same task, and its journal replays the model turns and tool calls that were done, so the
 * model is asked again only from the first turn without a journaled answer and no finished tool call is repeated.
 */
export function resumeAgentRun(
  runner: AgentRunner,
  run: RunRecord,
  resume: { checkpoints: readonly Checkpoint[]; force: boolean },
  downstream: DownstreamContext
): Promise<GatewayResult> {
  const definition = parseAgentRunDefinition(run.definition ?? '');
  if (typeof definition === 'string') {
    return Promise.resolve({ isError: true, content: [{ type: 'text', text: `Cannot resume run ${run.id}: ${definition}.` }] });
  }
  const args = JSON.parse(run.arguments ?? '{}') as Record<string, unknown>;
  return runner.run(
    definition.agent,
    { method: 'tools/call', params: { name: definition.agent, arguments: args }, downstream },
    { runId: run.id, checkpoints: resume.checkpoints, force: resume.force, config: definition.config }
  );
}

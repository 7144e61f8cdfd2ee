import type { Tool } from '@modelcontextprotocol/client';

import { followLocalTools, type Catalog, type LocalTool } from '../catalog/index.js';
import type { AgentConfig, OrchestratorConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import type { GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { principalOf } from '../core/principal.js';
import type { AccessPolicy } from '../rules/index.js';
import type { Logger } from '../telemetry/logger.js';
import { type AgentRunHooks, type ModelRunResume, type ModelRunsContext, recordModelRun } from './agent-run-hooks.js';
import type { AgentRunner } from './agent-runner.js';
import { agentAnnotations, agentTools, toModelTool } from './agent-tools.js';
import { runOrchestrator, type WorkerSetup } from './run-orchestrator.js';

/** The catalog source under which orchestrator tools are registered. */
export const orchestratorSource = 'orchestrators';

export interface OrchestratorRunnerOptions {
  orchestrators: Readonly<Record<string, OrchestratorConfig>>;
  agents: Readonly<Record<string, AgentConfig>>;
  /** Builds and keeps the models' backends (shared with the agents). */
  agentRunner: AgentRunner;
  catalog: Catalog;
  /** The gateway pipeline; every tool call of every worker goes through it. */
  pipeline: Handler;
  /** Config `rules:`: an agent is offered only the tools its caller may see. */
  access?: AccessPolicy | undefined;
  logger: Logger;
  /** Where each call is recorded as a run (the gateway's run store). */
  runs?: ModelRunsContext | undefined;
}

/**
 * Serves each configured orchestrator as a catalog tool named by its key, input `{ task }`. The config schema
 * has checked that orchestrators name declared models and agents.
 */
export class OrchestratorRunner {
  private readonly options: OrchestratorRunnerOptions;
  private readonly logger: Logger;
  private unsubscribe: (() => void) | undefined;

  constructor(options: OrchestratorRunnerOptions) {
    this.options = options;
    this.logger = options.logger.child('orchestrators');
  }

  /** Registers the orchestrators' tools, and follows the catalog (their annotations follow their workers' tools). */
  start(): void {
    const names = Object.keys(this.options.orchestrators);
    if (names.length === 0) return;
    this.unsubscribe = followLocalTools(this.options.catalog, orchestratorSource, () =>
      Object.entries(this.options.orchestrators).map(([name, orchestrator]) => this.localTool(name, orchestrator))
    );
    this.logger.info(`${names.length} orchestrator(s): ${names.join(', ')}`);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Runs an orchestrator for a request as a recorded, journaled run (its catalog tool's handler), or goes on with a
   * recorded one (`resume`: with the config it started with, its journal replayed).
   */
  call(name: string, request: GatewayRequest, resume?: ModelRunResume<OrchestratorConfig>): Promise<GatewayResult> {
    const orchestrator = resume?.config ?? this.options.orchestrators[name];
    if (!orchestrator) return Promise.resolve(toolError(`unknown orchestrator "${name}"`));
    return recordModelRun(this.options.runs, this.logger, {
      kind: 'orchestrator',
      name,
      args: { ...(request.params.arguments as object) },
      definition: { orchestrator: name, config: orchestrator },
      resume,
      principal: principalOf(request.downstream),
      execute: hooks => this.run(name, request, hooks, orchestrator)
    });
  }

  /**
   * What a recorded run of an orchestrator needs now and is missing (its workers are the agents configured now, by
   * name; its models too), or undefined when it can run.
   */
  missingFor(name: string, orchestrator: OrchestratorConfig): string | undefined {
    const missing = orchestrator.workers.filter(worker => !this.options.agents[worker]).map(worker => `worker "${worker}" is not a configured agent (agents.${worker})`);
    const models = [orchestrator.model, ...orchestrator.workers.map(worker => this.options.agents[worker]?.model).filter((model): model is string => model !== undefined)];
    missing.push(...[...new Set(models)].filter(model => !this.options.agentRunner.hasModel(model)).map(model => `model "${model}" is not configured (models.${model})`));
    return missing.length > 0 ? `orchestrator "${name}" cannot run with the config now: its ${missing.join('; its ')}` : undefined;
  }

  /** Runs an orchestrator for a request (`config`: the one a resumed run started with; default: the config's). */
  async run(name: string, request: GatewayRequest, hooks?: AgentRunHooks, config?: OrchestratorConfig): Promise<GatewayResult> {
    const orchestrator = config ?? this.options.orchestrators[name];
    if (!orchestrator) return toolError(`unknown orchestrator "${name}"`);
    const args = request.params.arguments as Record<string, unknown> | undefined;
    const task = args?.task;
    if (typeof task !== 'string' || task.trim() === '')
      return toolError(`Invalid arguments for orchestrator "${name}": expected {"task": "<what to do, in words>"}.`);
    const extra = Object.keys(args ?? {}).filter(key => key !== 'task');
    if (extra.length > 0)
      return toolError(
        `Invalid arguments for orchestrator "${name}": unknown argument(s) ${extra.map(key => `"${key}"`).join(', ')}; it takes only "task".`
      );
    const workers = new Map<string, WorkerSetup>();
    let backend;
    try {
      backend = this.options.agentRunner.backend(orchestrator.model);
      for (const worker of orchestrator.workers) {
        const agent = this.options.agents[worker];
        if (!agent) return toolError(`Orchestrator "${name}": worker "${worker}" is not a configured agent.`);
        workers.set(worker, {
          agent,
          backend: this.options.agentRunner.backend(agent.model),
          tools: agentTools(agent, this.options.catalog, this.options.access?.toolFilter(principalOf(request.downstream))).map(toModelTool)
        });
      }
    } catch (error) {
      return toolError(`Orchestrator "${name}" cannot run: a model cannot be set up: ${errorMessage(error)}`);
    }
    const result = await runOrchestrator({
      name,
      orchestrator,
      backend,
      workers,
      task,
      request,
      pipeline: this.options.pipeline,
      hooks
    });
    const structured = result.structuredContent as
      { reason?: string; tasks?: unknown[]; durationMs?: number; usage?: { totalTokens: number } } | undefined;
    const summary = `orchestrator ${name}: ${structured?.reason ?? 'done'} after ${structured?.tasks?.length ?? 0} task(s), ${structured?.usage?.totalTokens ?? 0} tokens, ${structured?.durationMs ?? 0} ms`;
    if (result.isError === true) this.logger.warn(summary);
    else this.logger.debug(summary);
    return result;
  }

  private localTool(name: string, orchestrator: OrchestratorConfig): LocalTool {
    const tools = orchestrator.workers.flatMap(worker => {
      const agent = this.options.agents[worker];
      return agent ? agentTools(agent, this.options.catalog) : [];
    });
    const definition: Tool = {
      name,
      description:
        orchestrator.description ??
        `Orchestrator: a model ("${orchestrator.model}") plans a task, gives its parts to workers (${orchestrator.workers.join(', ')}) that run at the same time where they can, and writes the answer from their results. Give it the task in words.`,
      inputSchema: {
        type: 'object',
        properties: {
          task: { type: 'string', description: 'What to do, in words, with everything the workers need to know.' }
        },
        required: ['task'],
        additionalProperties: false
      },
      annotations: agentAnnotations(tools)
    };
    return {
      definition,
      // Recorded and journaled in the run store: resumable after a restart.
      call: request => this.call(name, request),
      tags: ['orchestrator', 'model', ...orchestrator.workers]
    };
  }
}

function toolError(text: string): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

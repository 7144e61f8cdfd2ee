import type { Tool } from '@modelcontextprotocol/client';

import { followLocalTools, type Catalog, type LocalTool } from '../catalog/index.js';
import type { AgentConfig, ModelConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import type { GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { runLinkOf } from '../store/index.js';
import { principalOf } from '../core/principal.js';
import type { AccessPolicy } from '../rules/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tracing } from '../telemetry/tracing/index.js';
import { agentAnnotations, agentTools, toModelTool } from './agent-tools.js';
import { createModelBackend } from './create-model-backend.js';
import { tracedBackend } from './traced-backend.js';
import type { ModelBackend } from './model-backend.js';
import { type AgentResume, type AgentRunHooks, type ModelRunsContext, recordModelRun } from './agent-run-hooks.js';
import { runAgent } from './run-agent.js';

/** The catalog source under which agent tools are registered. */
export const agentSource = 'agents';

export interface AgentRunnerOptions {
  models: Readonly<Record<string, ModelConfig>>;
  agents: Readonly<Record<string, AgentConfig>>;
  catalog: Catalog;
  /** The gateway pipeline; every tool call of every agent goes through it. */
  pipeline: Handler;
  logger: Logger;
  /** A span per model call (`chat {model}`); off when absent. */
  tracing?: Tracing | undefined;
  /** Builds a model's backend (tests may substitute); default: by its provider. */
  createBackend?: (name: string, config: ModelConfig) => ModelBackend;
  /** Where each call is recorded and journaled as a run (the gateway's run store); without it calls are not recorded. */
  runs?: ModelRunsContext | undefined;
  /** Config `rules:`: an agent is offered only the tools its caller may see. */
  access?: AccessPolicy | undefined;
}

/**
 * Serves each configured agent as a catalog tool named by its key, input `{ task }`. The config schema has
 * checked that agents name declared models and servers.
 */
export class AgentRunner {
  private readonly options: AgentRunnerOptions;
  private readonly logger: Logger;
  private readonly backends = new Map<string, ModelBackend>();
  private unsubscribe: (() => void) | undefined;

  constructor(options: AgentRunnerOptions) {
    this.options = options;
    this.logger = options.logger.child('agents');
  }

  /** The backend of a configured model, built on first use. */
  backend(name: string): ModelBackend {
    let backend = this.backends.get(name);
    if (!backend) {
      const config = this.options.models[name];
      if (!config) throw new Error(`unknown model "${name}"`);
      backend = tracedBackend((this.options.createBackend ?? createModelBackend)(name, config), config.provider, this.options.tracing);
      this.backends.set(name, backend);
    }
    return backend;
  }

  /** Whether a model of this name is configured. */
  hasModel(name: string): boolean {
    return this.options.models[name] !== undefined;
  }

  /** Registers the agents' tools in the catalog, and follows its changes (their annotations follow their tools). */
  start(): void {
    const names = Object.keys(this.options.agents);
    if (names.length === 0) return;
    this.unsubscribe = followLocalTools(this.options.catalog, agentSource, () =>
      Object.entries(this.options.agents).map(([name, agent]) => this.localTool(name, agent))
    );
    this.logger.info(`${names.length} agent(s): ${names.join(', ')}`);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Runs an agent for a request (its catalog tool's handler), or goes on with a recorded run (`resume`). A call
   * linked to a run id (a router's agent route, see RunLink) runs under that id, or, when its caller is resumed,
   * goes on with that run: its recorded result if it completed, else resumed from its journal.
   */
  async run(name: string, request: GatewayRequest, resume?: AgentResume): Promise<GatewayResult> {
    const link = resume ? undefined : runLinkOf(request.downstream, name);
    const continued = link ? this.options.runs?.continueLinked?.(link, request.downstream) : undefined;
    if (continued) return continued;
    const agent = resume?.config ?? this.options.agents[name];
    if (!agent) return toolError(`unknown agent "${name}"`);
    const args = request.params.arguments as Record<string, unknown> | undefined;
    const task = args?.task;
    if (typeof task !== 'string' || task.trim() === '') {
      return toolError(`Invalid arguments for agent "${name}": expected {"task": "<what to do, in words>"}.`);
    }
    const extra = Object.keys(args ?? {}).filter(key => key !== 'task');
    if (extra.length > 0)
      return toolError(
        `Invalid arguments for agent "${name}": unknown argument(s) ${extra.map(key => `"${key}"`).join(', ')}; it takes only "task".`
      );
    let backend: ModelBackend;
    try {
      backend = this.backend(agent.model);
    } catch (error) {
      return toolError(`Agent "${name}" cannot run: model "${agent.model}" cannot be set up: ${errorMessage(error)}`);
    }
    const started = performance.now();
    const principal = principalOf(request.downstream);
    const visible = this.options.access?.toolFilter(principal);
    const execute = (hooks: AgentRunHooks | undefined) =>
      runAgent({ name, agent, backend, tools: agentTools(agent, this.options.catalog, visible).map(toModelTool), task, request, pipeline: this.options.pipeline, hooks });
    const result = await recordModelRun(this.options.runs, this.logger, { kind: 'agent', name, args: { task }, definition: { agent: name, config: agent }, resume, runId: link?.runId, execute, principal });
    const structured = result.structuredContent as
      { turns?: number; reason?: string; usage?: { totalTokens: number } } | undefined;
    const summary = `agent ${name}: ${structured?.reason ?? 'done'} after ${structured?.turns ?? 0} turn(s), ${structured?.usage?.totalTokens ?? 0} tokens, ${Math.round(performance.now() - started)} ms`;
    if (result.isError === true) this.logger.warn(summary);
    else this.logger.debug(summary);
    return result;
  }

  private localTool(name: string, agent: AgentConfig): LocalTool {
    const definition: Tool = {
      name,
      description:
        agent.description ??
        `Agent: a model ("${agent.model}") that does a task in several steps with the tools of ${agent.servers.join(', ')}, and answers with the result. Give it the task in words.`,
      inputSchema: {
        type: 'object',
        properties: {
          task: { type: 'string', description: 'What the agent should do, in words, with everything it needs to know.' }
        },
        required: ['task'],
        additionalProperties: false
      },
      annotations: agentAnnotations(agentTools(agent, this.options.catalog))
    };
    return { definition, call: request => this.run(name, request), tags: ['agent', 'model', ...agent.servers] };
  }
}

function toolError(text: string): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

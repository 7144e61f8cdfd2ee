import * as z from 'zod/v4';

import { durationSchema } from './duration.js';
import { httpUrlSchema } from './http-url.js';
import { declaredNames, type ReferenceIssue, toolNameClashes, unknownModel } from './references.js';

/**
 * Model and agent names: an agent is a catalog tool named by its key, so the name must be one every LLM API
 * accepts as a tool name, and may not contain `__` (which would read as `<server>__<tool>`).
 */
export const agentNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*(?<!_)$/;

/**
 * A model (`models.<name>`): `openai` speaks the OpenAI chat-completions API (OpenAI, Ollama, vLLM, LiteLLM,
 * OpenRouter: any compatible `baseURL`), `anthropic` the Anthropic Messages API, `sampling` asks the calling
 * client's own model through MCP `sampling/createMessage`.
 */
export const modelSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'sampling'], {
    error:
      'expected "openai" (any OpenAI-compatible chat-completions endpoint), "anthropic" (the Messages API) or "sampling" (the calling client\'s own model)'
  }),
  /**
   * The API's base URL, up to the version segment: `http://127.0.0.1:11434/v1` (Ollama), `https://api.openai.com/v1`,
   * `https://api.anthropic.com/v1`. Required for `openai`; `anthropic` defaults to Anthropic's.
   */
  baseURL: httpUrlSchema('expected an http(s) URL, e.g. http://127.0.0.1:11434/v1').optional(),
  /** The model id the endpoint knows (`gpt-4.1-mini`, `llama3.1`, `claude-sonnet-4-5`); for `sampling`, a hint to the client. */
  model: z.string().min(1, 'expected the model id the endpoint serves').optional(),
  /** Sent as `Authorization: Bearer` (openai) or `x-api-key` (anthropic); use `${ENV_VAR}`. */
  apiKey: z.string().optional(),
  /** Extra HTTP headers on every request. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Per model call (one turn), including retries' waits. */
  timeout: durationSchema.default(120_000),
  /** Retries of a call that failed in a way a retry can fix (429, 5xx, connection refused), with backoff. */
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** The most output tokens per call (default: the provider's; 4096 for sampling, which requires one). */
  maxOutputTokens: z.number().int().min(1).optional(),
  /** Sampling temperature; absent: the endpoint's default. */
  temperature: z.number().min(0).max(2).optional()
});

/** An agent (`agents.<name>`): a catalog tool that runs a model in a tool loop over some servers' tools. */
export const agentSchema = z.strictObject({
  /** A key of `models`. */
  model: z.string().min(1),
  /** The servers (keys of `servers`) whose tools the agent may use; only these are offered to the model. */
  servers: z.array(z.string().min(1)).min(1, 'name at least one server whose tools the agent may use'),
  /** Globs on tool names (public `everything__echo` or the server's own `echo`) to narrow the servers' tools. */
  tools: z.array(z.string().min(1)).optional(),
  /** The system prompt: what the agent is for and how it should work. */
  instruction: z.string().optional(),
  /** The most model calls in one run; a run that still wants tools after this many fails with reason max_turns. */
  maxTurns: z.number().int().min(1).max(1000).default(10),
  /** The tool's description (what clients and other models read to decide to call it). */
  description: z.string().optional()
});

/** A `superRefine` of a block whose keys are names (`agent`, `router`…): each must match `pattern`, at most 64 characters. */
export function checkNames(kind: string, pattern: RegExp) {
  return (entries: Record<string, unknown>, context: z.core.$RefinementCtx) => {
    for (const name of Object.keys(entries)) {
      if (!pattern.test(name) || name.length > 64) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `${kind} name "${name}" must use letters, digits, "-" and single "_" (not "__", not at either end), at most 64 characters`
        });
      }
    }
  };
}

export const modelsSchema = z
  .record(z.string(), modelSchema)
  .default({})
  .superRefine((models, context) => {
    checkNames('model', agentNamePattern)(models, context);
    for (const [name, model] of Object.entries(models)) {
      if (model.provider === 'openai' && model.baseURL === undefined) {
        context.addIssue({
          code: 'custom',
          path: [name, 'baseURL'],
          message:
            'required for provider "openai": the endpoint, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama)'
        });
      }
      if (model.provider !== 'sampling' && model.model === undefined) {
        context.addIssue({
          code: 'custom',
          path: [name, 'model'],
          message: `required for provider "${model.provider}": the model id the endpoint serves`
        });
      }
      if (model.provider === 'sampling') {
        for (const key of ['baseURL', 'apiKey'] as const) {
          if (model[key] !== undefined)
            context.addIssue({
              code: 'custom',
              path: [name, key],
              message: 'not used by provider "sampling" (the calling client\'s own model); remove it'
            });
        }
        if (Object.keys(model.headers).length > 0)
          context.addIssue({
            code: 'custom',
            path: [name, 'headers'],
            message: 'not used by provider "sampling"; remove it'
          });
      }
    }
  });

export const agentsSchema = z
  .record(z.string(), agentSchema)
  .default({})
  .superRefine(checkNames('agent', agentNamePattern));

/**
 * The references between blocks: an agent's model and servers must be declared. Returns issues with their
 * config paths (`agents.probe.model`), for the top-level schema's refinement.
 */
export function checkAgentReferences(config: {
  models: Record<string, unknown>;
  agents: Record<string, AgentConfig>;
  servers: Record<string, unknown>;
  workflows?: Record<string, unknown>;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const [name, agent] of Object.entries(config.agents)) {
    issues.push(...toolNameClashes(['agents', name], name, [['a workflow', config.workflows ?? {}]]));
    issues.push(...unknownModel(['agents', name, 'model'], agent.model, config.models));
    agent.servers.forEach((server, index) => {
      if (!(server in config.servers)) {
        issues.push({
          path: ['agents', name, 'servers', index],
          message: `unknown server "${server}"; declared servers: ${declaredNames(config.servers)}`
        });
      }
    });
  }
  return issues;
}

export type ModelConfig = z.infer<typeof modelSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;

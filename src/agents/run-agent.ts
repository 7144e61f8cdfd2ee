import type { AgentConfig } from '../config/index.js';
import { errorMessage, isManifoldError } from '../core/errors.js';
import { StepInFlight } from '../store/index.js';
import type { DownstreamContext, GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import type { AgentRunHooks } from './agent-run-hooks.js';
import {
  type ModelBackend,
  type ModelMessage,
  type ModelToolCall,
  type ModelToolDefinition,
  type ModelToolResult,
  parseToolArguments
} from './model-backend.js';

/** What happened to one tool call the model asked for. */
export type StepOutcome = 'ok' | 'error' | 'not_offered' | 'invalid_arguments';

/** One tool call of a run, as returned in `structuredContent.steps`. */
export interface AgentStep {
  turn: number;
  tool: string;
  /** The arguments as parsed, or the model's text when it was not a JSON object. */
  arguments: unknown;
  outcome: StepOutcome;
  durationMs: number;
  /** The error the model was told, for outcomes other than `ok`. */
  error?: string;
}

/** Tokens of one model call. */
export interface ModelCallUsage {
  turn: number;
  model: string;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  attempts: number;
}

export interface AgentUsage {
  calls: ModelCallUsage[];
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Why a run ended without an answer (`structuredContent.reason` of its tool error). */
export type AgentFailure = 'max_turns' | 'model_error' | 'cancelled' | 'no_tools';

export interface RunAgentOptions {
  /** The agent's name (`agents.<name>`). */
  name: string;
  agent: AgentConfig;
  backend: ModelBackend;
  /** The tools offered to the model: only these may be called. */
  tools: readonly ModelToolDefinition[];
  task: string;
  /** The caller's request: tool calls go through `pipeline` with its downstream context. */
  request: GatewayRequest;
  pipeline: Handler;
  /** Records and journals each model turn and tool call (a direct agent call's run); without it they simply run. */
  hooks?: AgentRunHooks | undefined;
}

/** The most tool calls of one turn in flight at once. */
const maxParallelToolCalls = 8;

/** The most characters of one tool result the model is shown; longer ones are cut with a note saying so. */
const maxResultChars = 50_000;

/**
 * Runs an agent's tool loop: the model is called with the task and the offered tools; each tool call it asks
 * for goes through the gateway pipeline as a `tools/call` of the caller; results go back to the model, until it
 * answers without calling a tool (success) or `maxTurns` model calls have been made (a tool error, reason
 * `max_turns`). A tool the model invents, or arguments that are not a JSON object, are answered as tool
 * errors and the loop goes on.
 */
export async function runAgent(options: RunAgentOptions): Promise<GatewayResult> {
  const { agent, backend, tools, request, pipeline, name } = options;
  const downstream = request.downstream;
  const offered = new Set(tools.map(tool => tool.name));
  const steps: AgentStep[] = [];
  const usage: AgentUsage = { calls: [], inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  const record = (extra: Record<string, unknown>) => ({ agent: name, model: backend.name, ...extra, steps, usage });
  const fail = (reason: AgentFailure, text: string, extra: Record<string, unknown> = {}) => ({
    isError: true,
    content: [{ type: 'text', text }],
    structuredContent: record({ reason, ...extra })
  });

  if (tools.length === 0) {
    return fail(
      'no_tools',
      `Agent "${name}" has no tools to work with: its servers (${agent.servers.join(', ')}) list none that match${agent.tools ? ` its tools globs (${agent.tools.join(', ')})` : ''}. Are they down? See manifold doctor.`
    );
  }
  // Tool calls travel as the caller's (identity, era, capabilities, cancellation, logs, requests to the client),
  // without its progress token and without the multi-round-trip fields of its own request.
  const toolCallContext: DownstreamContext = {
    era: downstream.era,
    sessionId: downstream.sessionId,
    ...(downstream.requestScoped ? { requestScoped: true } : {}),
    ...(downstream.principal ? { principal: downstream.principal } : {}),
    ...(downstream.view !== undefined ? { view: downstream.view } : {}),
    signal: downstream.signal,
    clientCapabilities: downstream.clientCapabilities,
    ...(downstream.logLevel ? { logLevel: downstream.logLevel } : {}),
    progressToken: undefined,
    notify: async () => {},
    log: (level, data, logger) => downstream.log(level, data, logger),
    ...(downstream.requestClient ? { requestClient: downstream.requestClient } : {})
  };
  const messages: ModelMessage[] = [{ role: 'user', text: options.task }];
  const system = agent.instruction ?? defaultInstruction(agent);
  for (let turn = 1; turn <= agent.maxTurns; turn++) {
    if (downstream.progressToken !== undefined) {
      void downstream
        .notify({
          method: 'notifications/progress',
          params: {
            progressToken: downstream.progressToken,
            progress: turn - 1,
            total: agent.maxTurns,
            message: `agent ${name}: turn ${turn}`
          }
        })
        .catch(() => {});
    }
    const started = performance.now();
    let answer;
    try {
      const generate = () => backend.generate({ system, messages, tools, signal: downstream.signal, caller: downstream });
      answer = options.hooks ? await options.hooks.modelTurn(turn, generate) : await generate();
    } catch (error) {
      const reason: AgentFailure = isManifoldError(error) && error.code === 'CANCELLED' ? 'cancelled' : 'model_error';
      return fail(reason, `Agent "${name}" stopped at turn ${turn}: ${errorMessage(error)}`, { turns: turn });
    }
    usage.calls.push({
      turn,
      model: backend.name,
      inputTokens: answer.usage.inputTokens,
      outputTokens: answer.usage.outputTokens,
      durationMs: Math.round(performance.now() - started),
      attempts: answer.attempts
    });
    usage.inputTokens += answer.usage.inputTokens;
    usage.outputTokens += answer.usage.outputTokens;
    usage.totalTokens = usage.inputTokens + usage.outputTokens;
    if (answer.toolCalls.length === 0) {
      return {
        content: [{ type: 'text', text: answer.text || '(the model answered with no text)' }],
        structuredContent: record({ turns: turn, finishReason: answer.finishReason })
      };
    }
    messages.push({ role: 'assistant', text: answer.text, toolCalls: answer.toolCalls });
    // Calls of one turn are independent by the model's own account: run them together, a few at a time.
    const results = await mapBounded(answer.toolCalls, maxParallelToolCalls, (call, index) => callTool(call, turn, index));
    if (downstream.signal.aborted)
      return fail('cancelled', `Agent "${name}" was cancelled at turn ${turn}.`, { turns: turn });
    messages.push({ role: 'tool', results });
  }
  return fail(
    'max_turns',
    `Agent "${name}" did not finish within ${agent.maxTurns} model turns (agents.${name}.maxTurns): the model still asked for tools. The steps it took are in structuredContent; raise maxTurns or narrow the task.`,
    { turns: agent.maxTurns }
  );

  async function callTool(call: ModelToolCall, turn: number, index: number): Promise<ModelToolResult> {
    const started = performance.now();
    const finish = (outcome: StepOutcome, args: unknown, text: string): ModelToolResult => {
      steps.push({
        turn,
        tool: call.name,
        arguments: args,
        outcome,
        durationMs: Math.round(performance.now() - started),
        ...(outcome === 'ok' ? {} : { error: text })
      });
      return { callId: call.id, name: call.name, text, isError: outcome !== 'ok' };
    };
    if (!offered.has(call.name)) {
      return finish(
        'not_offered',
        call.arguments,
        `There is no tool "${call.name}" among your tools; call one of: ${[...offered].join(', ')}.`
      );
    }
    const args = parseToolArguments(call.arguments);
    if (args === undefined) {
      return finish(
        'invalid_arguments',
        call.arguments,
        `The arguments of "${call.name}" are not a JSON object: ${call.arguments.slice(0, 200)}. Call it again with a JSON object that matches its input schema.`
      );
    }
    try {
      const work = async () => {
        const result = await pipeline({ method: 'tools/call', params: { name: call.name, arguments: args }, downstream: auditedContext(toolCallContext, downstream, turn, index, options.hooks) });
        return { isError: result.isError === true, text: resultText(result) };
      };
      const result = options.hooks ? await options.hooks.toolCall(turn, index, call.name, args, work) : await work();
      return finish(result.isError ? 'error' : 'ok', args, result.text);
    } catch (error) {
      if (error instanceof StepInFlight) throw error;
      return finish('error', args, `The call failed: ${errorMessage(error)}`);
    }
  }
}

function defaultInstruction(agent: AgentConfig): string {
  return (
    `You are an agent working with the tools of these MCP servers: ${agent.servers.join(', ')}. ` +
    'Do the task you are given by calling the tools as needed; when it is done, answer with the result in plain text.'
  );
}

/** A tool result as text for the model: text blocks as they are, other blocks and structured content as JSON. */
export function resultText(result: GatewayResult): string {
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const parts: string[] = [];
  for (const block of content) {
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (block.type === 'image' || block.type === 'audio')
      parts.push(`[${String(block.type)} ${typeof block.mimeType === 'string' ? block.mimeType : ''}]`);
    else parts.push(JSON.stringify(block));
  }
  if (parts.length === 0 && result.structuredContent !== undefined)
    parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join('\n') || '(no content)';
  return text.length > maxResultChars
    ? `${text.slice(0, maxResultChars)}\n[cut: the result has ${text.length} characters; the first ${maxResultChars} are shown]`
    : text;
}

/** `items.map(work)` with at most `limit` in flight, results in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The context of one tool call of an agent inside a run, for the audit log: a workflow's agent step (the caller's
 * run; `<step>/turn N call M`), or the agent's own recorded run (a direct agent, an orchestrator's worker, a
 * router's server route; its step path, `turn N call M`, `step 1 task 2 echoer turn N call M`).
 */
function auditedContext(context: DownstreamContext, caller: DownstreamContext, turn: number, index: number, hooks: AgentRunHooks | undefined): DownstreamContext {
  const call = `turn ${turn} call ${index + 1}`;
  if (caller.run && (!hooks || hooks.runId === caller.run.id)) return { ...context, run: { id: caller.run.id, step: `${caller.run.step !== undefined ? `${caller.run.step}/` : ''}${call}` } };
  if (hooks) return { ...context, run: { id: hooks.runId, step: hooks.scopePath ? `${hooks.scopePath} ${call}` : call } };
  return context;
}

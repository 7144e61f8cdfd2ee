import type { Tool } from '@modelcontextprotocol/client';

import { errorMessage } from '../core/errors.js';
import type { RunJournal, StepRecord } from '../store/index.js';
import type { AgentRunHooks, DescribeUnit } from './agent-run-hooks.js';

/** Where the hooks record a step per unit (a run's step records), beside its journal entry. */
export interface StepSink {
  start(record: { path: string; kind: StepRecord['kind']; tool?: string; input?: string }): number | undefined;
  end(handle: number | undefined, end: { ok: boolean; outputSize?: number; error?: string; detail?: string }): void;
}

/** The most characters of a tool call's recorded arguments. */
const maxInputChars = 2000;

/**
 * Hooks over a run's journal (an agent's, orchestrator's or router's run; a workflow run's agent step): each model
 * turn, tool call and other unit is journaled under a key (prefixed by `scope.key`) and recorded as a step (its path
 * prefixed by `scope.path`). A model turn in flight at a crash is made again; a tool call in flight is made again
 * only when its tool is read-only or idempotent (else StepInFlight, the run stops interrupted until forced).
 */
export function journalHooks(options: {
  journal: RunJournal;
  force: boolean;
  /** A tool's definition now (its annotations say whether a call in flight is safe to repeat). */
  findTool(name: string): Tool | undefined;
  steps: StepSink;
  scope?: { path: string; key: string } | undefined;
}): AgentRunHooks {
  const { journal, steps, scope } = options;
  const step = async <T>(record: Parameters<StepSink['start']>[0], work: () => Promise<{ output: T; replayed: boolean }>, describe: DescribeUnit<T>): Promise<T> => {
    const handle = steps.start(record);
    try {
      const { output, replayed } = await work();
      const { ok, detail, error } = describe(output);
      const said = [detail, replayed ? 'replayed from the journal: not done again' : undefined].filter(Boolean).join('; ');
      steps.end(handle, { ok, outputSize: JSON.stringify(output ?? null).length, ...(error ? { error } : {}), ...(said ? { detail: said } : {}) });
      return output;
    } catch (error) {
      steps.end(handle, { ok: false, error: errorMessage(error) });
      throw error;
    }
  };
  const path = (text: string) => (scope ? `${scope.path} ${text}` : text);
  const key = (text: string) => (scope ? `${scope.key}.${text}` : text);
  return {
    runId: journal.runId,
    scopePath: scope?.path,
    force: options.force,
    modelTurn: (turn, work) =>
      step(
        { path: path(`turn ${turn}`), kind: 'model-turn', tool: 'model' },
        // A model call has no effect outside: one in flight at a crash is simply made again.
        () => journal.run({ key: key(`turn:${turn}`), kind: 'model-turn', idempotent: true, label: 'model' }, work),
        answer => ({ ok: true, detail: `${answer.usage.inputTokens} in + ${answer.usage.outputTokens} out tokens${answer.toolCalls.length > 0 ? `, ${answer.toolCalls.length} tool call(s)` : ''}` })
      ),
    toolCall: (turn, index, tool, args, work) => {
      const annotations = options.findTool(tool)?.annotations;
      const idempotent = annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
      const input = JSON.stringify(args);
      return step(
        { path: path(`turn ${turn} call ${index + 1}`), kind: 'tool-call', tool, input: input.length > maxInputChars ? `${input.slice(0, maxInputChars)}…` : input },
        () => journal.run({ key: key(`turn:${turn}.call:${index}`), kind: 'call', idempotent, label: tool }, work),
        outcome => (outcome.isError ? { ok: false, error: outcome.text.slice(0, 500) } : { ok: true })
      );
    },
    unit: (unit, work, describe = () => ({ ok: true }), keep) =>
      step(
        { path: path(unit.path), kind: unit.kind, tool: unit.tool },
        () => journal.run({ key: key(unit.key), kind: unit.kind, idempotent: true, label: unit.tool }, work, keep),
        describe
      ),
    scoped: inner => journalHooks({ ...options, scope: scope ? { path: `${scope.path} ${inner.path}`, key: `${scope.key}.${inner.key}` } : inner })
  };
}

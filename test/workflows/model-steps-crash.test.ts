/**
 * Model steps survive a crash: the gateway (a real process) is killed with SIGKILL at journal points inside model
 * steps (MANIFOLD_TEST_CRASH_AFTER), restarted, and the run resumed over MCP. The scripted model server outlives
 * the gateways and records every model request, so the test counts model calls across processes; the counter
 * fixture counts tool calls.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { systemPrompt, toolResults } from '../agents/wire.js';
import { connectHttp, fixtureServer, manifoldCommand, stopChild, waitForStderr, writeConfig } from '../helpers/gateway.js';

async function startGateway(configPath: string, crashAfter?: string): Promise<{ url: string; child: ChildProcess; stderr: () => string } & AsyncDisposable> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(crashAfter ? { MANIFOLD_TEST_CRASH_AFTER: crashAfter } : {}) }
  });
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 30_000);
  return { url: match[1] as string, child, stderr, [Symbol.asyncDispose]: () => stopChild(child, 5000) };
}

async function crashed(gateway: { child: ChildProcess; stderr: () => string }): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) await once(gateway.child, 'exit');
  assert.equal(gateway.child.signalCode, 'SIGKILL', `the gateway should have killed itself:\n${gateway.stderr()}`);
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: any }> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ text?: string }>).map(block => block.text ?? '').join('\n');
  return { isError: result.isError === true, text, structured: result.structuredContent ?? {} };
}

function counts(file: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) result[line] = (result[line] ?? 0) + 1;
  return result;
}

describe('model steps: kill -9 the gateway inside them, restart, resume', { timeout: 240_000 }, () => {
  it('completed model calls (an aggregate, an evaluate loop\'s generation and rating) are not made again after a crash', async () => {
    await using model = await startScriptedModelServer();
    let ratings = 0;
    let drafts = 0;
    model.reset((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('Sum up.')) return { text: 'summary of a', usage: { input: 10, output: 2 } };
      if (system.startsWith('Judge.')) return { text: ratings++ === 0 ? '{"rating": "FAIR", "feedback": "shorter"}' : '{"rating": "GOOD", "feedback": ""}' };
      return { text: `draft ${++drafts}` };
    });
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    await using config = writeConfig({
      gateway: { runTools: true },
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      workflows: {
        digest: {
          steps: [
            { id: 'sum', parallel: { a: { call: 'c__read', with: { key: 'a' } } }, aggregate: { model: 'local', instruction: 'Sum up.' } },
            {
              id: 'rate',
              evaluate: { task: 'Rewrite: {{ steps.sum.result }}', generator: { model: 'local', instruction: 'Write.' }, evaluator: { model: 'local', instruction: 'Judge.' }, minRating: 'GOOD', maxRefinements: 2 }
            },
            { id: 'last', call: 'c__write', with: { key: 'last' } }
          ],
          output: { summary: '{{ steps.sum.result }}', text: '{{ steps.rate.result.text }}', rating: '{{ steps.rate.result.rating }}', rounds: '{{ $count(steps.rate.result.history) }}' }
        }
      }
    });
    let runId: string;
    {
      // 1. Killed right after the aggregate's answer was journaled (before the parallel step's outcome was).
      await using gateway = await startGateway(config.path, 'call-done:sum.aggregate');
      await using client = await connectHttp(gateway.url);
      runId = (await callTool(client, 'runs_start', { workflow: 'digest', arguments: {} })).structured.run_id;
      await crashed(gateway);
    }
    assert.equal(model.requests.length, 1);
    {
      // 2. Resumed; killed after the first rating was journaled (the loop must go on to a second draft).
      await using gateway = await startGateway(config.path, 'call-done:rate.rate1');
      await using client = await connectHttp(gateway.url);
      const resumed = await callTool(client, 'runs_resume', { run_id: runId });
      assert.equal(resumed.isError, false, resumed.text);
      await crashed(gateway);
    }
    // The aggregate was not asked again: draft 1 and rating 1 are the only new calls.
    assert.equal(model.requests.length, 3);
    {
      await using gateway = await startGateway(config.path);
      await using client = await connectHttp(gateway.url);
      const final = await callTool(client, 'runs_resume', { run_id: runId, wait: true });
      assert.equal(final.isError, false, final.text);
      assert.deepEqual(
        { summary: final.structured.summary, text: final.structured.text, rating: final.structured.rating, rounds: final.structured.rounds },
        { summary: 'summary of a', text: 'draft 2', rating: 'GOOD', rounds: 2 }
      );
    }
    // Five model calls in all (aggregate, draft 1, rating 1, draft 2, rating 2), each made once; the tools once each.
    assert.equal(model.requests.length, 5);
    assert.deepEqual(
      model.requests.map(request => systemPrompt(request).split('\n')[0]),
      ['Sum up.', 'Write.', 'Judge.', 'Write.', 'Judge.']
    );
    assert.deepEqual(counts(file), { 'read a': 1, 'write last': 1 });
  });
  it('an agent step in flight goes on from its journaled turns and tool calls; a finished one is not run again', async () => {
    await using model = await startScriptedModelServer((_index, request) => {
      const results = toolResults(request).length;
      if (results === 0) return { toolCalls: [{ name: 'c__read', arguments: { key: 'a' } }], usage: { input: 10, output: 1 } };
      if (results === 1) return { toolCalls: [{ name: 'c__write', arguments: { key: 'b' } }], usage: { input: 20, output: 2 } };
      return { text: 'read a, wrote b', usage: { input: 30, output: 3 } };
    });
    await using scratch = writeConfig({});
    const file = join(scratch.dir, 'calls.log');
    await using config = writeConfig({
      gateway: { runTools: true },
      servers: { c: fixtureServer('counter.ts', [file]) },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      agents: { worker: { model: 'local', servers: ['c'] } },
      workflows: {
        chores: {
          steps: [
            { id: 'probe', agent: 'worker', task: 'read a, then write b' },
            { id: 'after', call: 'c__write', with: { key: 'last' } }
          ],
          output: { said: '{{ steps.probe.result.text }}', turns: '{{ steps.probe.result.turns }}' }
        }
      }
    });
    let runId: string;
    {
      // 1. Killed inside the agent step, right after its first tool call returned.
      await using gateway = await startGateway(config.path, 'call-done:probe.turn:1.call:0');
      await using client = await connectHttp(gateway.url);
      runId = (await callTool(client, 'runs_start', { workflow: 'chores', arguments: {} })).structured.run_id;
      await crashed(gateway);
    }
    assert.equal(model.requests.length, 1);
    assert.deepEqual(counts(file), { 'read a': 1 });
    {
      // 2. Resumed: the agent goes on at turn 2 (fed the journaled read); killed once the whole step is journaled.
      await using gateway = await startGateway(config.path, 'call-done:probe');
      await using client = await connectHttp(gateway.url);
      const resumed = await callTool(client, 'runs_resume', { run_id: runId });
      assert.equal(resumed.isError, false, resumed.text);
      await crashed(gateway);
    }
    assert.equal(model.requests.length, 3);
    assert.deepEqual(toolResults(model.requests[1]!).map(entry => JSON.parse(entry.text)), [{ key: 'a', read: 1 }]);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1 });
    {
      // 3. Resumed again: the finished agent step is not run again (no model call); the last step runs.
      await using gateway = await startGateway(config.path);
      await using client = await connectHttp(gateway.url);
      const final = await callTool(client, 'runs_resume', { run_id: runId, wait: true });
      assert.equal(final.isError, false, final.text);
      assert.deepEqual({ said: final.structured.said, turns: final.structured.turns }, { said: 'read a, wrote b', turns: 3 });
    }
    assert.equal(model.requests.length, 3);
    assert.deepEqual(counts(file), { 'read a': 1, 'write b': 1, 'write last': 1 });
  });
});

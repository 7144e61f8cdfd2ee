/**
 * Durable runs, for real: the gateway is a real process, killed with SIGKILL at exact journal points
 * (MANIFOLD_TEST_CRASH_AFTER), restarted, and its runs resumed over MCP and with `manifold runs resume`. The
 * counter fixture appends a line to a file each time one of its tools really runs, so the test counts calls
 * across processes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import { connectHttp, fixtureServer, manifoldCommand, stopChild, waitFor, waitForStderr, writeConfig } from '../helpers/gateway.js';

interface Gateway extends AsyncDisposable {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

/** `manifold serve --http 0`; with `crashAfter`, the process kills itself (SIGKILL) at that journal point. */
async function startGateway(configPath: string, crashAfter?: string): Promise<Gateway> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(crashAfter ? { MANIFOLD_TEST_CRASH_AFTER: crashAfter } : {}) }
  });
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 30_000);
  return { url: match[1] as string, child, stderr, [Symbol.asyncDispose]: () => stopChild(child, 5000) };
}

/** Waits for a gateway that was told to crash to kill itself. */
async function crashed(gateway: Gateway): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) await once(gateway.child, 'exit');
  assert.equal(gateway.child.signalCode, 'SIGKILL', `the gateway should have killed itself:\n${gateway.stderr()}`);
}

/** `manifold runs resume <id>` (the CLI runs it in its own process); its exit code and output. */
async function cliResume(configPath: string, runId: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'runs', 'resume', runId, '--config', configPath, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** `manifold runs [args]`: its stdout. */
async function cliRuns(configPath: string, args: string[]): Promise<string> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'runs', ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await once(child, 'exit');
  return stdout;
}

type Structured = Record<string, unknown> & { status?: string; run_id?: string };

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: Structured }> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ text?: string }>).map(block => block.text ?? '').join('\n');
  return { isError: result.isError === true, text, structured: (result.structuredContent ?? {}) as Structured };
}

async function waitForStatus(client: Client, runId: string, statuses: string[]): Promise<Structured> {
  let last: Structured = {};
  await waitFor(
    async () => {
      last = (await callTool(client, 'runs_status', { run_id: runId })).structured;
      return statuses.includes(last.status ?? '');
    },
    `run ${runId} to be ${statuses.join(' or ')} (last: ${JSON.stringify(last)})`,
    30_000
  );
  return last;
}

/** How often each tool ran with each key, from the counter's file. */
function counts(file: string): Record<string, number> {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const result: Record<string, number> = {};
  for (const line of lines) result[line] = (result[line] ?? 0) + 1;
  return result;
}

/** A config with the counter server and a workflow of calls, a map and a parallel step (all in a fixed order). */
function durableConfig(gateway: Record<string, unknown> = {}) {
  const config = writeConfig({});
  const file = join(config.dir, 'calls.log');
  const written = writeConfig({
    servers: { c: fixtureServer('counter.ts', [file]) },
    gateway: { runTools: true, ...gateway },
    workflows: {
      pipeline: {
        input: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } }, required: ['items'] },
        steps: [
          { id: 'first', call: 'c__write', with: { key: 'first' } },
          { id: 'each', map: '{{ input.items }}', concurrency: 1, call: 'c__write', with: { key: "{{ 'item-' & item }}" } },
          {
            id: 'both',
            concurrency: 1,
            parallel: { r: { call: 'c__read', with: { key: 'r' } }, w: { call: 'c__write', with: { key: 'w' } } }
          },
          { id: 'last', call: 'c__write', with: { key: "{{ 'last-' & $string($count(steps.each.result)) }}" } }
        ],
        output: { first: '{{ steps.first.result.wrote }}', items: '{{ steps.each.result.key }}', read: '{{ steps.both.result.r.read }}', last: '{{ steps.last.result.key }}' }
      }
    }
  });
  return {
    path: written.path,
    file,
    [Symbol.asyncDispose]: async () => {
      await written[Symbol.asyncDispose]();
      await config[Symbol.asyncDispose]();
    }
  };
}

const expectedOutput = { first: 1, items: ['item-a', 'item-b', 'item-c'], read: 1, last: 'last-3' };
const everyCallOnce = { 'write first': 1, 'write item-a': 1, 'write item-b': 1, 'write item-c': 1, 'read r': 1, 'write w': 1, 'write last-3': 1 };

describe('durable runs: kill -9 the gateway, restart, resume', { timeout: 240_000 }, () => {
  it('resumes after crashes at several journal points; every finished call ran exactly once', async () => {
    await using config = durableConfig();
    let runId: string;
    {
      // 1. Killed in the middle of the map, after item 1's result was journaled.
      await using gateway = await startGateway(config.path, 'call-done:each[1]');
      await using client = await connectHttp(gateway.url);
      const started = await callTool(client, 'runs_start', { workflow: 'pipeline', arguments: { items: ['a', 'b', 'c'] } });
      assert.equal(started.isError, false, started.text);
      runId = started.structured.run_id as string;
      assert.match(runId, /^run_/);
      await crashed(gateway);
    }
    assert.deepEqual(counts(config.file), { 'write first': 1, 'write item-a': 1, 'write item-b': 1 });
    {
      // 2. Restarted: the run is marked interrupted. Resumed over MCP; killed again after the map step's outcome was journaled.
      await using gateway = await startGateway(config.path, 'step-done:step:each');
      await using client = await connectHttp(gateway.url);
      const status = await callTool(client, 'runs_status', { run_id: runId });
      assert.equal(status.structured.status, 'interrupted', status.text);
      assert.deepEqual(status.structured.partial_results, { first: { key: 'first', wrote: 1 } });
      const resumed = await callTool(client, 'runs_resume', { run_id: runId });
      assert.equal(resumed.isError, false, resumed.text);
      await crashed(gateway);
    }
    assert.deepEqual(counts(config.file), { 'write first': 1, 'write item-a': 1, 'write item-b': 1, 'write item-c': 1 });
    {
      // 3. Resumed with the CLI (its own process), killed after the parallel step's read-only branch was journaled.
      await using gateway = await startGateway(config.path);
      await using client = await connectHttp(gateway.url);
      assert.equal((await callTool(client, 'runs_status', { run_id: runId })).structured.status, 'interrupted');
      const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'runs', 'resume', runId, '--config', config.path], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MANIFOLD_TEST_CRASH_AFTER: 'call-done:both.r' }
      });
      await once(child, 'exit');
      assert.equal(child.signalCode, 'SIGKILL');
      // The gateway that is still up marks it when asked to resume it (its process is gone).
      assert.deepEqual(counts(config.file), { 'write first': 1, 'write item-a': 1, 'write item-b': 1, 'write item-c': 1, 'read r': 1 });
      const final = await callTool(client, 'runs_resume', { run_id: runId, wait: true });
      assert.equal(final.isError, false, final.text);
      assert.deepEqual(final.structured, expectedOutput);
      const status = await callTool(client, 'runs_status', { run_id: runId });
      assert.equal(status.structured.status, 'completed');
      assert.equal(status.structured.resumes, 3);
      assert.deepEqual(status.structured.progress, { steps_done: 4, steps_total: 4 });
      assert.deepEqual((status.structured.result as { structuredContent?: unknown }).structuredContent, expectedOutput);
    }
    assert.deepEqual(counts(config.file), everyCallOnce);
    // The timeline shows the map's items reused from the journal on the first resume, not called again.
    const timeline = await cliRuns(config.path, [runId]);
    assert.match(timeline, /each\[1\]\s+c__write\s+ok\s+\d+ B \(resumed: the result this call returned before is reused/);
    assert.match(timeline, /resumed 3 times/);
  });

  it('a call in flight that is not idempotent stops the resumed run as interrupted until resumed with --force', async () => {
    await using config = durableConfig();
    let runId: string;
    {
      // Killed after the write of branch w ran but before its result was journaled: did it take effect? Unknown to the gateway.
      await using gateway = await startGateway(config.path, 'call-result:both.w');
      await using client = await connectHttp(gateway.url);
      runId = (await callTool(client, 'runs_start', { workflow: 'pipeline', arguments: { items: ['a', 'b', 'c'] } })).structured.run_id as string;
      await crashed(gateway);
    }
    assert.equal(counts(config.file)['write w'], 1);
    {
      await using gateway = await startGateway(config.path);
      await using client = await connectHttp(gateway.url);
      const refused = await callTool(client, 'runs_resume', { run_id: runId });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /step "both\.w" \(tool "c__write"\) was in flight/);
      assert.match(refused.text, /--force.*force: true/);
      assert.equal(refused.structured.status, 'interrupted');
      assert.equal((await callTool(client, 'runs_status', { run_id: runId })).structured.status, 'interrupted');
    }
    const cli = await cliResume(config.path, runId);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /step "both\.w" \(tool "c__write"\) was in flight.*--force/s);
    assert.equal(counts(config.file)['write w'], 1, 'nothing ran without --force');
    const forced = await cliResume(config.path, runId, ['--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr + forced.stdout);
    assert.deepEqual((JSON.parse(forced.stdout) as { structuredContent: unknown }).structuredContent, expectedOutput);
    // Forced: the in-flight write ran again (at-least-once, as asked); every finished call still once.
    assert.deepEqual(counts(config.file), { ...everyCallOnce, 'write w': 2 });
  });

  it('a read-only call in flight is simply run again on resume', async () => {
    await using config = durableConfig();
    let runId: string;
    {
      await using gateway = await startGateway(config.path, 'call-result:both.r');
      await using client = await connectHttp(gateway.url);
      runId = (await callTool(client, 'runs_start', { workflow: 'pipeline', arguments: { items: ['a'] } })).structured.run_id as string;
      await crashed(gateway);
    }
    const resumed = await cliResume(config.path, runId);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.deepEqual(counts(config.file), { 'write first': 1, 'write item-a': 1, 'read r': 2, 'write w': 1, 'write last-1': 1 });
    // The history shows it: resumed once, completed, and which calls were reused rather than made again.
    const timeline = await cliRuns(config.path, [runId]);
    assert.match(timeline, new RegExp(`run ${runId}  workflow pipeline  completed .*resumed 1 time`));
    assert.match(timeline, /both\.r\s+c__read\s+failed\s+interrupted: process \d+ stopped while it ran/);
    assert.match(timeline, /both\.r\s+c__read\s+ok/);
    assert.doesNotMatch(timeline, /running/);
    const list = await cliRuns(config.path, []);
    assert.match(list, new RegExp(`${runId}\\s+pipeline\\s+completed`));
  });

  it('with gateway.resumeInterrupted, a restarted gateway resumes the runs it found interrupted by itself', async () => {
    await using config = durableConfig({ resumeInterrupted: true });
    let runId: string;
    {
      await using gateway = await startGateway(config.path, 'call-done:each[1]');
      await using client = await connectHttp(gateway.url);
      runId = (await callTool(client, 'runs_start', { workflow: 'pipeline', arguments: { items: ['a', 'b', 'c'] } })).structured.run_id as string;
      await crashed(gateway);
    }
    await using gateway = await startGateway(config.path);
    await using client = await connectHttp(gateway.url);
    const done = await waitForStatus(client, runId, ['completed', 'failed', 'interrupted']);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual((done.result as { structuredContent?: unknown }).structuredContent, expectedOutput);
    assert.match(gateway.stderr(), new RegExp(`resumed 1 interrupted run\\(s\\) \\(gateway.resumeInterrupted\\): ${runId}`));
    assert.deepEqual(counts(config.file), everyCallOnce);
  });
});

describe('runs_start / runs_status / runs_cancel over MCP', { timeout: 120_000 }, () => {
  it('starts a long run at once, reports its progress and partial results, cancels it; a cancelled run resumes without repeating finished calls', async () => {
    const holder = writeConfig({});
    const file = join(holder.dir, 'calls.log');
    await using config = writeConfig({
      servers: { c: fixtureServer('counter.ts', [file]) },
      gateway: { runTools: true },
      workflows: {
        slow: {
          steps: [
            { id: 'a', call: 'c__write', with: { key: 'a' } },
            { id: 'nap', call: 'c__sleep', with: { key: 'nap', ms: 60_000 } },
            { id: 'b', call: 'c__write', with: { key: 'b' } }
          ]
        }
      }
    });
    await using _holder = holder;
    await using gateway = await startGateway(config.path);
    await using client = await connectHttp(gateway.url);
    const begun = Date.now();
    const started = await callTool(client, 'runs_start', { workflow: 'slow' });
    assert.ok(Date.now() - begun < 5000, 'runs_start returns at once');
    const runId = started.structured.run_id as string;
    assert.equal(started.structured.status, 'running');
    await waitFor(async () => (await callTool(client, 'runs_status', { run_id: runId })).structured.partial_results !== undefined && counts(file)['write a'] === 1, 'step a');
    const running = await waitForStatus(client, runId, ['running']);
    await waitFor(async () => ((await callTool(client, 'runs_status', { run_id: runId })).structured.progress as { steps_done: number }).steps_done === 1, 'progress 1');
    assert.deepEqual((await callTool(client, 'runs_status', { run_id: runId })).structured.partial_results, { a: { key: 'a', wrote: 1 } });
    assert.equal((running.progress as { steps_total: number }).steps_total, 3);

    const cancelled = await callTool(client, 'runs_cancel', { run_id: runId });
    assert.equal(cancelled.structured.status, 'cancelled', cancelled.text);
    assert.match(String((cancelled.structured.result as { content: Array<{ text: string }> }).content[0]?.text), /was cancelled at step "nap"/);
    assert.equal(counts(file)['write b'], undefined);

    // Unknown ids and runs that cannot be resumed are tool errors that say what to do.
    const unknown = await callTool(client, 'runs_status', { run_id: 'run_nope' });
    assert.equal(unknown.isError, true);
    assert.match(unknown.text, /No run "run_nope"/);

    // Resumed: a is not written again, the nap (read-only, cancelled) runs again; cancelled once more.
    const resumed = await callTool(client, 'runs_resume', { run_id: runId });
    assert.equal(resumed.isError, false, resumed.text);
    assert.equal(resumed.structured.status, 'running');
    assert.equal(resumed.structured.resumes, 1);
    const again = await callTool(client, 'runs_cancel', { run_id: runId });
    assert.equal(again.structured.status, 'cancelled', again.text);
    assert.equal(counts(file)['write a'], 1, 'a finished call is never repeated');
    const badArguments = await callTool(client, 'runs_start', { workflow: 'slow', arguments: 'x' });
    assert.equal(badArguments.isError, true);
    assert.match(badArguments.text, /Invalid arguments for workflow "slow"/);
    const noWorkflow = await callTool(client, 'runs_start', { workflow: 'nope' });
    assert.equal(noWorkflow.isError, true);
    assert.match(noWorkflow.text, /There is no workflow "nope"/);
    const completed = await callTool(client, 'runs_resume', { run_id: 'run_nope' });
    assert.equal(completed.isError, true);
    assert.match(completed.text, /no run "run_nope"/);
  });
});

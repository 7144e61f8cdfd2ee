/**
 * How workflows fail and what they leave behind, found in a QA pass: warnings in the gateway's log under a
 * big map, failures that the run record missed, messages that pointed to the wrong place, a nested
 * workflow's failure, a run store that cannot be opened.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { renderTimeline } from '../../src/cli/commands/runs.js';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext, GatewayResult } from '../../src/core/pipeline.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { checkWorkflowDefinitions, runIdMetaKey } from '../../src/workflows/index.js';
import { Limiter } from '../../src/workflows/limiter.js';
import { connectStdio, manifoldCommand, repoRoot, writeConfig } from '../helpers/gateway.js';
import { fixtureServers, startTestGateway, type TestGateway, textOf } from './helpers.js';

const run = promisify(execFile);

const workflows: Record<string, unknown> = {
  wide_map: { steps: [{ id: 'm', map: '[1..60]', concurrency: 2, call: 'fix__text', with: { text: '{{ $string(item) }}' } }] },
  wide_parallel: {
    concurrency: 2,
    steps: [{ id: 'p', parallel: Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`b${index}`, { call: 'fix__text', with: { text: String(index) } }])) }]
  },
  bad_arithmetic: {
    steps: [
      { id: 'a', call: 'fix__text', with: { text: '{"n": "abc"}' } },
      { id: 'b', call: 'fix__needs', with: { a: 'x', b: '{{ steps.a.result.n + 1 }}' } }
    ]
  },
  skipped_retry: {
    input: { type: 'object', properties: { key: { type: 'string' } } },
    steps: [{ id: 'w', call: 'fix__flaky_write', with: { key: '{{ input.key }}', failures: 1 }, retry: { attempts: 3, backoff: '10ms' } }]
  },
  hanging_map: {
    steps: [
      { id: 'first', call: 'fix__text', with: { text: '"x"' } },
      { id: 'm', map: '[1..10]', concurrency: 2, call: 'fix__hang', with: { label: '{{ "qa-map-" & $string(index) }}' } }
    ]
  },
  branch_order: {
    steps: [{ id: 'p', parallel: { slow: { call: 'fix__sleep', with: { ms: 80, label: 'qa-order' } }, fast: { call: 'fix__text', with: { text: '1' } } } }]
  },
  typed_args: {
    input: { type: 'object', properties: { n: { type: 'integer', minimum: 1 }, opts: { type: 'object', properties: { deep: { type: 'string' } } } }, required: ['n'] },
    steps: [{ id: 'a', call: 'fix__text', with: { text: '"ok"' } }]
  },
  bad_output: {
    steps: [{ id: 'a', call: 'fix__text', with: { text: 'not a number' } }],
    output: '{{ $number(steps.a.result) }}'
  },
  refused_arguments: {
    steps: [{ id: 's', call: 'fix__needs', with: { a: 'x', b: 'not a number' }, retry: { attempts: 3, backoff: '10ms' } }]
  },
  three_steps: {
    steps: [
      { id: 'one', call: 'fix__text', with: { text: '1' } },
      { id: 'many', map: '[1,2]', concurrency: 1, call: 'fix__text', with: { text: '{{ $string(item) }}' } },
      { id: 'three', call: 'fix__text', with: { text: '3' } }
    ]
  },
  inner_fails: {
    steps: [
      { id: 'first', call: 'fix__text', with: { text: '{"done": 1}' } },
      { id: 'boom', call: 'fix__fail', with: { message: 'inner boom' } }
    ]
  },
  outer_calls: {
    steps: [
      { id: 'before', call: 'fix__text', with: { text: '"ok"' } },
      { id: 'inner', call: 'inner_fails' }
    ]
  }
};

describe('workflow failures and their records', () => {
  let gateway: TestGateway;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-qa-'));
    gateway = await startTestGateway({ servers: fixtureServers, workflows, store: { path: join(dir, 'runs.db') } });
  });
  after(async () => {
    await gateway[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  const steps = (result: GatewayResult) => gateway.core.workflows.store!.getRun(String((result._meta as Record<string, unknown> | undefined)?.[runIdMetaKey]))!.steps;

  it('a map or parallel wider than its concurrency puts no MaxListenersExceededWarning in the log', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      assert.equal((await gateway.call('wide_map')).isError, undefined);
      assert.equal((await gateway.call('wide_parallel')).isError, undefined);
      await new Promise(resolve => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter(warning => warning.startsWith('MaxListenersExceededWarning')), []);
  });

  it('a parallel step\'s result lists its branches in the order they are declared, not the order they finished', async () => {
    const result = await gateway.call('branch_order');
    assert.deepEqual(Object.keys(result.structuredContent ?? {}), ['slow', 'fast']);
    assert.match(textOf(result), /^\{"slow":\{.*\},"fast":1\}$/);
  });

  it('the limiter waits on one abort listener per signal, and an abort stops every waiter', async () => {
    const limiter = new Limiter(1);
    const controller = new AbortController();
    let release!: () => void;
    const holder = limiter.run(() => new Promise<void>(resolve => (release = resolve)));
    const waiters = Array.from({ length: 50 }, () => limiter.run(async () => 'ran', controller.signal));
    assert.equal(limiter.abortListeners, 1);
    controller.abort(new Error('stop'));
    const settled = await Promise.allSettled(waiters);
    assert.ok(settled.every(outcome => outcome.status === 'rejected'));
    assert.equal(limiter.abortListeners, 0);
    release();
    await holder;
    assert.equal(await limiter.run(async () => 'free again'), 'free again');
  });

  it('the limiter serves and stops its waiters in linear time (a huge map, then a cancel)', async () => {
    // One run through `count` waiters, then `count` waiters stopped by one abort; the best of two.
    const cost = async (count: number): Promise<number> => {
      let best = Infinity;
      for (let round = 0; round < 2; round++) {
        const started = performance.now();
        const limiter = new Limiter(8);
        await Promise.all(Array.from({ length: count }, (_, index) => limiter.run(async () => index)));
        const stopping = new Limiter(8);
        const controller = new AbortController();
        const waiting = Array.from({ length: count }, () => stopping.run(() => new Promise<void>(() => {}), controller.signal).catch(() => 'stopped'));
        controller.abort(new Error('cancelled'));
        assert.ok((await Promise.all(waiting.slice(8))).every(outcome => outcome === 'stopped'));
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    // 40,000 waiters: about a second when linear (a few under a loaded machine); the queue that shifted and
    // spliced per waiter (as before) took over 30 s.
    const ms = await cost(40_000);
    assert.ok(ms < 15_000, `40,000 waiters took ${Math.round(ms)} ms`);
  });

  it('an expression that fails at run time is recorded as the failed step, and the hint names the run', async () => {
    const result = await gateway.call('bad_arithmetic');
    assert.equal(result.isError, true);
    const runId = String((result._meta as Record<string, unknown> | undefined)?.[runIdMetaKey]);
    const error = (result.structuredContent as { error: { step: string; reason: string; message: string; hint: string } }).error;
    assert.equal(error.step, 'b');
    assert.equal(error.reason, 'expression');
    assert.match(error.message, /steps\.a\.result\.n \+ 1/);
    assert.match(error.hint, new RegExp(`manifold runs ${runId}`));
    const recorded = steps(result).find(step => step.path === 'b');
    assert.ok(recorded, 'step b is in the run record');
    assert.equal(recorded.status, 'failed');
    assert.equal(recorded.tool, 'fix__needs');
    assert.match(recorded.error ?? '', /must evaluate to a number/);
  });

  it('invalid arguments are named as the caller wrote them, not as Ajv\'s data/…', async () => {
    assert.equal(textOf(await gateway.call('typed_args', { n: 0 })), 'Invalid arguments for workflow "typed_args": "n" must be >= 1. Fix them and call again.');
    assert.equal(textOf(await gateway.call('typed_args', { n: 1, opts: { deep: 3 } })), 'Invalid arguments for workflow "typed_args": "opts.deep" must be string. Fix them and call again.');
    assert.equal(textOf(await gateway.call('typed_args', {})), 'Invalid arguments for workflow "typed_args": the arguments must have required property \'n\'. Fix them and call again.');
  });

  it('an output expression that fails at run time points at the results it read, not at workflows check', async () => {
    const result = await gateway.call('bad_output');
    const error = (result.structuredContent as { error: { step: string; hint: string }; partial_results: Record<string, unknown> });
    assert.equal(error.error.step, 'output');
    assert.doesNotMatch(error.error.hint, /workflows check/);
    assert.match(error.error.hint, /partial_results/);
    assert.deepEqual(error.partial_results, { a: 'not a number' });
  });

  it('arguments the server refuses (an SDK\'s "Input validation error" result) are not retried, and say what to fix', async () => {
    const result = await gateway.call('refused_arguments');
    const error = (result.structuredContent as { error: { step: string; reason: string; message: string; hint: string } }).error;
    assert.equal(error.reason, 'rejected');
    assert.match(error.message, /^the server refused the arguments: Input validation error: .*\bb\b/);
    assert.match(error.hint, /fix the step's "with"/);
    assert.deepEqual(steps(result).map(step => step.attempt), [1], 'one attempt, no retries');
  });

  it('every progress notification is delivered before the result, even when sending one takes time', async () => {
    const seen: number[] = [];
    const downstream: DownstreamContext = {
      era: 'legacy',
      sessionId: 'qa-progress',
      signal: new AbortController().signal,
      clientCapabilities: {},
      progressToken: 'qa',
      // A transport that takes a moment per message: what is still being sent when the result goes out is lost.
      notify: async notification => {
        await new Promise(resolve => setTimeout(resolve, 20));
        seen.push((notification.params as { progress: number }).progress);
      },
      log: () => {}
    };
    const result = await gateway.core.pipeline({ method: 'tools/call', params: { name: 'three_steps', arguments: {} }, downstream });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(seen, [1, 1.5, 2, 3]);
  });

  it('a failure whose retry was skipped says so in the error', async () => {
    const result = await gateway.call('skipped_retry', { key: `qa-skip-${Date.now()}` });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /retry skipped: tool "fix__flaky_write" is neither read-only nor idempotent \(retry\.force: true overrides\)/);
  });

  it('cancelling mid-map names the map step, not an item that never started', async () => {
    const controller = new AbortController();
    const pending = gateway.call('hanging_map', {}, { signal: controller.signal });
    await waitForStarted(gateway, 'qa-map-', 2);
    controller.abort();
    const result = await pending;
    const content = result.structuredContent as { status: string; error: { step: string; reason: string; message: string }; partial_results: Record<string, unknown> };
    assert.equal(content.status, 'cancelled');
    assert.equal(content.error.step, 'm');
    assert.equal(content.error.reason, 'cancelled');
    assert.match(content.error.message, /0 of 10 items had finished/);
    assert.deepEqual(content.partial_results.first, 'x');
    assert.match(textOf(result), /^Workflow "hanging_map" was cancelled at step "m": the caller cancelled the run/);
    const items = steps(result).filter(step => step.path.startsWith('m['));
    assert.ok(items.length >= 2 && items.every(step => step.status === 'failed' && step.error === 'the caller cancelled the run'), JSON.stringify(items));
  });

  it('a nested workflow\'s failure names its inner step, and its finished steps are in the partial results', async () => {
    const result = await gateway.call('outer_calls');
    assert.equal(result.isError, true);
    const content = result.structuredContent as { error: { step: string; tool: string; reason: string; message: string }; partial_results: Record<string, unknown> };
    assert.equal(content.error.step, 'inner');
    assert.equal(content.error.tool, 'inner_fails');
    assert.equal(content.error.reason, 'tool-error');
    assert.equal(content.error.message, 'workflow "inner_fails" failed at step "boom" (tool "fix__fail"): the tool reported an error: inner boom');
    assert.match((content.error as { hint?: string }).hint ?? '', /manifold runs run_\w+/);
    assert.deepEqual(content.partial_results, { before: 'ok', inner: { first: { done: 1 } } });
    // One failure, one "What to do", one run line: the inner run's text is not nested inside.
    assert.equal(textOf(result).match(/What to do/g)?.length, 1);
  });
});

/** Waits until the fixture has started `count` hang calls whose label starts with `prefix`. */
async function waitForStarted(gateway: TestGateway, prefix: string, count: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const journal = (await gateway.journal()) as unknown as { started: string[] };
    if (journal.started.filter(label => label.startsWith(prefix)).length >= count) return;
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  throw new Error(`the hang calls ${prefix}* did not start`);
}

describe('a workflow that calls itself through run_workflow', () => {
  it('stops at the nesting limit with an error, instead of recursing without end (the gateway hung)', { timeout: 30_000 }, async () => {
    await using gateway = await startTestGateway({
      servers: fixtureServers,
      gateway: { adHocWorkflows: true },
      workflows: { loop: { steps: [{ id: 'again', call: 'run_workflow', with: { workflow: { steps: [{ id: 'x', call: 'loop' }] } } }] } },
      store: { path: ':memory:' }
    });
    const result = await gateway.call('loop');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /workflows are nested 16 deep, the most allowed\. A workflow calls itself/);
    assert.equal(gateway.core.workflows.store!.listRuns({ limit: 1000 }).length, 16);
  });
});

describe('an input schema without "type"', () => {
  it('is listed with type "object", so tools/list stays valid for real clients', async () => {
    await using config = writeConfig({
      servers: fixtureServers,
      store: { path: ':memory:' },
      workflows: { untyped: { input: { properties: { x: { type: 'string' } }, required: ['x'] }, steps: [{ id: 'a', call: 'fix__text', with: { text: '{{ input.x }}' } }] } }
    });
    await using connected = await connectStdio(config.path, { era: 'legacy' });
    const { tools } = await connected.client.listTools();
    assert.deepEqual(tools.find(tool => tool.name === 'untyped')?.inputSchema, { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] });
    const result = await connected.client.callTool({ name: 'untyped', arguments: { x: 'hello' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'hello' }]);
  });
});

describe('a step whose server is down', () => {
  it('fails as unavailable, naming the server, not as an unknown tool to fix', async () => {
    await using gateway = await startTestGateway({
      servers: { ...fixtureServers, dead: { command: '/nonexistent/qa-server' } },
      workflows: { uses_dead: { steps: [{ id: 'a', call: 'fix__text', with: { text: '"x"' } }, { id: 'b', call: 'dead__search' }] } },
      store: { path: ':memory:' }
    });
    const result = await gateway.call('uses_dead');
    assert.equal(result.isError, true);
    const error = (result.structuredContent as { error: { step: string; reason: string; message: string; hint: string } }).error;
    assert.equal(error.step, 'b');
    assert.equal(error.reason, 'unavailable');
    // Worded by the workflow engine, or by the gateway when it knows the server's tools are not listed yet.
    assert.match(error.message, /^tool "dead__search" (is not available|cannot be called): (its )?server "dead" (is not connected|is down)/);
    assert.doesNotMatch(error.hint, /fix the tool name/);
  });
});

describe('run store and definition messages', () => {
  it('a store that cannot be opened is named, with what to do (not "rebuild better-sqlite3")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-qa-store-'));
    try {
      const notDatabase = join(dir, 'notes.db');
      writeFileSync(notDatabase, 'this is not a SQLite file, just some text that is long enough');
      assert.throws(() => new SqliteRunStore(notDatabase), (error: Error) => {
        assert.match(error.message, new RegExp(`cannot open the run store ${notDatabase}: `));
        assert.match(error.message, /store\.path/);
        return true;
      });
      const folder = join(dir, 'a-folder');
      mkdirSync(folder);
      assert.throws(() => new SqliteRunStore(folder), (error: Error) => {
        assert.match(error.message, new RegExp(`cannot open the run store ${folder}: `));
        assert.doesNotMatch(error.message, /rebuild|did not load/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a short-form map\'s problems point at its own "with", not at a "do" it does not have', () => {
    const yaml = [
      'servers: {}',
      'workflows:',
      '  w:',
      '    steps:',
      '      - id: m',
      '        map: "[1, 2]"',
      '        call: x__y',
      "        with: { text: '{{ item ]] }}' }"
    ].join('\n');
    const { config } = parseConfig(yaml, { source: 'qa.yaml' });
    const { problems } = checkWorkflowDefinitions(config.workflows);
    assert.deepEqual(
      problems.map(problem => problem.path),
      ['workflows.w.steps.0.with.text']
    );
  });

  it('runs <id> shows the arguments each step was given', () => {
    const text = renderTimeline({ id: 'run_x', workflow: 'w', status: 'failed', startedAt: 1000, endedAt: 1010, input: '{}', error: 'b: broke' }, [
      { runId: 'run_x', path: 'a', kind: 'call', tool: 'fix__text', attempt: 1, status: 'ok', startedAt: 1001, endedAt: 1004, input: '{"text":"hello"}', outputSize: 10 },
      { runId: 'run_x', path: 'b', kind: 'call', tool: 'fix__needs', attempt: 2, status: 'failed', startedAt: 1005, endedAt: 1009, input: '{"a":"x","b":5}', error: 'broke' }
    ]);
    assert.match(text, /^ {2}a {2}\{"text":"hello"\}$/m);
    assert.match(text, /^ {2}b \(try 2\) {2}\{"a":"x","b":5\}$/m);
  });

  it('manifold run does not send the user to manifold runs when the store could not record the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-qa-cli-'));
    try {
      const folder = join(dir, 'store-is-a-folder');
      mkdirSync(folder);
      // Pinning off: with no store it holds every tool back (fail closed); this test is about the run store.
      await using config = writeConfig({
        servers: fixtureServers,
        store: { path: folder },
        security: { pinning: false, approval: { enabled: false } },
        workflows: { one: { steps: [{ id: 'a', call: 'fix__text', with: { text: '"hi"' } }] } }
      });
      let out = '';
      let err = '';
      const code = await main(['run', 'one', '--config', config.path, '--log-level', 'silent'], { out: text => void (out += text + '\n'), err: text => void (err += text + '\n') });
      assert.equal(code, 0, err);
      assert.equal(out.trim(), 'hi');
      assert.match(err, /run run_\w+ completed in [\d.]+ s \(not recorded: the run store is not available\)/);
      assert.doesNotMatch(err, /manifold runs run_/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('workflows check prints each problem once, without the gateway\'s background warnings', async () => {
    await using config = writeConfig({ servers: fixtureServers, workflows: { w: { steps: [{ id: 'a', call: 'fix__nope' }] } } });
    const outcome = await run(manifoldCommand.command, [...manifoldCommand.args, 'workflows', 'check', '--config', config.path], { cwd: repoRoot }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error
    );
    assert.equal(outcome.code, 1);
    assert.equal(outcome.stdout.match(/unknown tool "fix__nope"/g)?.length, 1, outcome.stdout);
    assert.doesNotMatch(outcome.stderr, /will fail when run/);
  });
});

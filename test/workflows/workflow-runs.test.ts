import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { runIdMetaKey } from '../../src/workflows/index.js';
import { defaultServers, waitFor } from '../helpers/gateway.js';
import { fixtureServers, startTestGateway, type TestGateway, textOf } from './helpers.js';

const sleep = (label: string, ms = 300) => ({ call: 'fix__sleep', with: { ms, label } });

const workflows: Record<string, unknown> = {
  chain_fixture: {
    input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    steps: [
      { id: 'first', call: 'fix__text', with: { text: '{{ $string({"n": input.n, "tag": "t"}) }}' } },
      { id: 'second', call: 'fix__needs', with: { a: '{{ steps.first.result.tag }}-{{ steps.first.result.n }}', b: '{{ steps.first.result.n + 1 }}' } },
      { id: 'third', call: 'fix__structured', with: { value: '{{ steps.second.result }}' } }
    ],
    output: "{{ {'a': steps.third.result.value.a, 'b': steps.third.result.value.b, 'plain': steps.first.result} }}"
  },
  chain_memory: {
    input: { type: 'object', properties: { name: { type: 'string' }, note: { type: 'string' } }, required: ['name', 'note'] },
    steps: [
      { id: 'create', call: 'memory__create_entities', with: { entities: [{ name: '{{ input.name }}', entityType: 'test', observations: ['{{ input.note }}'] }] } },
      { id: 'open', call: 'memory__open_nodes', with: { names: '{{ [steps.create.result.entities.name] }}' } },
      { id: 'echo', call: 'everything__echo', with: { message: '{{ steps.open.result.entities[0].observations[0] }}' } }
    ],
    output: '{{ steps.echo.result }}'
  },
  fan_out: {
    steps: [{ id: 'all', parallel: { a: sleep('fan-a'), b: sleep('fan-b'), c: sleep('fan-c') } }]
  },
  fan_out_continue: {
    steps: [
      {
        id: 'all',
        parallel: { good: sleep('cont-good', 50), bad: { call: 'fix__fail', with: { message: 'branch broke' }, onError: 'continue' }, other: { call: 'fix__text', with: { text: '[1,2]' } } }
      }
    ],
    output: "{{ {'good': steps.all.result.good.label, 'bad': steps.all.result.bad, 'other': steps.all.result.other} }}"
  },
  retry_idempotent: {
    input: { type: 'object', properties: { key: { type: 'string' } } },
    steps: [{ id: 'f', call: 'fix__flaky', with: { key: '{{ input.key }}', failures: 2 }, retry: { attempts: 3, backoff: '10ms' } }]
  },
  retry_write: {
    input: { type: 'object', properties: { key: { type: 'string' } } },
    steps: [{ id: 'f', call: 'fix__flaky_write', with: { key: '{{ input.key }}', failures: 2 }, retry: { attempts: 3, backoff: '10ms' } }]
  },
  retry_write_forced: {
    input: { type: 'object', properties: { key: { type: 'string' } } },
    steps: [{ id: 'f', call: 'fix__flaky_write', with: { key: '{{ input.key }}', failures: 2 }, retry: { attempts: 3, backoff: '10ms', force: true } }]
  },
  fan_out_fails: {
    steps: [
      { id: 'first', call: 'fix__text', with: { text: '"ok"' } },
      {
        id: 'all',
        parallel: {
          quick: { call: 'fix__text', with: { text: '{"done": true}' } },
          late: { call: 'fix__sleep', with: { ms: 1000, label: 'late-timeout' }, timeout: '300ms' },
          slow: { call: 'fix__sleep', with: { ms: 5000, label: 'sibling-cancelled' } }
        }
      }
    ]
  },
  slow_retries: {
    input: { type: 'object', properties: { key: { type: 'string' } } },
    steps: [{ id: 'f', call: 'fix__flaky', with: { key: '{{ input.key }}', failures: 5 }, retry: { attempts: 3, backoff: '10s' } }]
  },
  hangs: {
    steps: [
      { id: 'warm', call: 'fix__text', with: { text: 'ok' } },
      { id: 'wait', parallel: { one: { call: 'fix__hang', with: { label: 'cancel-one' } }, two: { call: 'fix__hang', with: { label: 'cancel-two' } } } }
    ]
  },
  map_partial: {
    steps: [
      { id: 'list', call: 'fix__text', with: { text: '["r0","r1","r2","boom","r4"]' } },
      {
        id: 'each',
        map: 'steps.list.result',
        concurrency: 1,
        do: {
          switch: [{ when: "item = 'boom'", do: { call: 'fix__fail', with: { message: 'rate limited by the repo host; retry after 60 s' } } }],
          default: { call: 'fix__structured', with: { value: '{{ item & "-" & index }}' } }
        }
      },
      { id: 'never', call: 'fix__text', with: { text: 'not reached' } }
    ]
  },
  map_ordered: {
    input: { type: 'object', properties: { ms: { type: 'array', items: { type: 'number' } } } },
    steps: [{ id: 'each', map: '{{ input.ms }}', concurrency: 3, call: 'fix__sleep', with: { ms: '{{ item }}', label: 'map-{{ index }}' } }],
    output: '{{ steps.each.result.label }}'
  },
  big_result: {
    steps: [
      { id: 'big', call: 'fix__big', with: { bytes: 1_048_576 } },
      { id: 'measure', call: 'fix__needs', with: { a: '{{ $substring(steps.big.result.data, 0, 3) }}', b: '{{ $length(steps.big.result.data) }}' } }
    ],
    output: "{{ {'size': steps.big.result.size, 'measured': steps.measure.result.b, 'head': steps.measure.result.a} }}"
  },
  capped: {
    concurrency: 2,
    steps: [{ id: 'all', parallel: { a: sleep('cap-a', 150), b: sleep('cap-b', 150), c: sleep('cap-c', 150), d: sleep('cap-d', 150) } }]
  },
  map_capped: {
    steps: [{ id: 'each', map: '[1,2,3,4,5,6]', concurrency: 3, call: 'fix__sleep', with: { ms: 100, label: 'mapcap-{{ index }}' } }]
  },
  step_timeout: {
    steps: [{ id: 'slow', call: 'fix__sleep', with: { ms: 5000, label: 'timeout-victim' }, timeout: '200ms' }]
  },
  deadline: {
    timeout: '300ms',
    steps: [
      { id: 'quick', call: 'fix__text', with: { text: '1' } },
      { id: 'slow', call: 'fix__sleep', with: { ms: 5000, label: 'deadline-victim' } }
    ]
  },
  with_fallback: {
    steps: [{ id: 'primary', call: 'fix__fail', with: { message: 'primary down' }, fallback: { call: 'fix__text', with: { text: '{"from": "fallback"}' } } }]
  },
  routed: {
    input: { type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'] },
    steps: [
      {
        id: 'route',
        route: [
          { when: "input.kind = 'bug'", do: { call: 'fix__text', with: { text: 'bug path' } } },
          { when: "input.kind = 'feature'", do: { call: 'fix__text', with: { text: 'feature path' } } }
        ],
        default: { call: 'fix__text', with: { text: 'default path' } }
      }
    ]
  },
  progress_steps: {
    steps: [
      { id: 'one', call: 'fix__text', with: { text: '1' } },
      { id: 'many', map: '[1,2,3,4]', concurrency: 2, call: 'fix__sleep', with: { ms: 20, label: 'progress' } },
      { id: 'three', call: 'fix__text', with: { text: '3' } }
    ]
  },
  nested: {
    steps: [{ id: 'inner', call: 'chain_fixture', with: { n: 1 } }],
    output: '{{ steps.inner.result.b }}'
  },
  writes: {
    steps: [{ id: 'w', call: 'fix__flaky_write', with: { key: 'annot', failures: 0 } }]
  },
  typed_output: {
    outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    steps: [{ id: 'a', call: 'fix__text', with: { text: '{"n": "not a number"}' } }]
  }
};

describe('workflows against real upstreams', () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway({ servers: { ...fixtureServers, ...defaultServers('/tmp') }, workflows, gateway: { adHocWorkflows: true } });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('a chain passes data between steps: JSON text is parsed, structuredContent preferred', async () => {
    const result = await gateway.call('chain_fixture', { n: 41 });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, { a: 't-41', b: 42, plain: { n: 41, tag: 't' } });
  });

  it('a chain over the npm servers (memory → memory → everything)', async () => {
    const name = `wf-test-${Date.now()}`;
    const result = await gateway.call('chain_memory', { name, note: 'observed in a workflow' });
    assert.equal(textOf(result), 'Echo: observed in a workflow');
    await gateway.call('memory__delete_entities', { entityNames: [name] });
  });

  it('parallel branches overlap in time (by their recorded intervals)', async () => {
    const result = await gateway.call('fan_out');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(Object.keys(result.structuredContent as object).sort(), ['a', 'b', 'c']);
    const runId = (result._meta as Record<string, string>)[runIdMetaKey]!;
    const recorded = gateway.core.workflows.store!.getRun(runId)!;
    const calls = recorded.steps.filter(step => step.kind === 'call');
    assert.equal(calls.length, 3);
    const latestStart = Math.max(...calls.map(step => step.startedAt));
    const earliestEnd = Math.min(...calls.map(step => step.endedAt!));
    assert.ok(latestStart < earliestEnd, `gateway intervals do not all overlap: ${JSON.stringify(calls.map(step => [step.path, step.startedAt, step.endedAt]))}`);
    // The server's own clock agrees: all three sleeps were in progress at one moment.
    const intervals = (await gateway.journal()).intervals.filter(interval => interval.label.startsWith('fan-'));
    assert.equal(intervals.length, 3);
    assert.ok(Math.max(...intervals.map(interval => interval.start)) < Math.min(...intervals.map(interval => interval.end)));
  });

  it('a failing branch with onError: continue leaves the other branches\' results', async () => {
    const result = await gateway.call('fan_out_continue');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, { good: 'cont-good', bad: null, other: [1, 2] });
    assert.match(textOf(result), /1 step\(s\) failed and were continued.*all\.bad: the tool reported an error: branch broke/s);
  });

  it('retries an idempotent tool until it succeeds', async () => {
    const key = `idem-${Date.now()}`;
    const result = await gateway.call('retry_idempotent', { key });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, { key, calls: 3 });
    assert.equal((await gateway.journal()).calls[key], 3);
  });

  it('does not retry a tool that is neither read-only nor idempotent, unless forced', async () => {
    const key = `write-${Date.now()}`;
    const result = await gateway.call('retry_write', { key });
    assert.equal(result.isError, true);
    assert.equal((await gateway.journal()).calls[key], 1, 'the non-idempotent tool was called again');
    const runId = (result._meta as Record<string, string>)[runIdMetaKey]!;
    const steps = gateway.core.workflows.store!.getRun(runId)!.steps;
    assert.match(steps[0]!.detail ?? '', /retry skipped: tool "fix__flaky_write" is neither read-only nor idempotent/);

    const forcedKey = `forced-${Date.now()}`;
    const forced = await gateway.call('retry_write_forced', { key: forcedKey });
    assert.equal(forced.isError, undefined, textOf(forced));
    assert.equal((await gateway.journal()).calls[forcedKey], 3);
  });

  it('cancellation by the caller stops the run and reaches the upstream calls in flight', async () => {
    const controller = new AbortController();
    const running = gateway.call('hangs', {}, { signal: controller.signal });
    await waitFor(async () => {
      const runs = gateway.core.workflows.store!.listRuns({ workflow: 'hangs', limit: 1 });
      const steps = runs[0] ? gateway.core.workflows.store!.getRun(runs[0].id)!.steps : [];
      return steps.filter(step => step.tool === 'fix__hang').length === 2;
    }, 'both hang calls to start');
    controller.abort();
    const result = await running;
    assert.equal(result.isError, true);
    assert.equal((result.structuredContent as { status: string }).status, 'cancelled');
    await waitFor(async () => {
      const labels = (await gateway.journal()).cancelled.map(entry => entry.label);
      return labels.includes('cancel-one') && labels.includes('cancel-two');
    }, 'the fixture to see both calls cancelled');
    const run = gateway.core.workflows.store!.getRun((result._meta as Record<string, string>)[runIdMetaKey]!)!;
    assert.equal(run.run.status, 'cancelled');
  });

  it('a cancellation while waiting to retry ends the run as cancelled, without more tries', async () => {
    const key = `backoff-${Date.now()}`;
    const controller = new AbortController();
    const running = gateway.call('slow_retries', { key }, { signal: controller.signal });
    await waitFor(async () => (await gateway.journal()).calls[key] === 1, 'the first try');
    controller.abort();
    const result = await running;
    assert.equal((result.structuredContent as { status: string }).status, 'cancelled');
    assert.match(textOf(result), /the caller cancelled the run/);
    assert.equal((await gateway.journal()).calls[key], 1);
  });

  it('a failed run returns which step failed, why, what to do, and partial results', async () => {
    const result = await gateway.call('map_partial');
    assert.equal(result.isError, true);
    const text = textOf(result);
    assert.match(text, /failed at step "each\[3\]\.case0" \(tool "fix__fail"\): the tool reported an error: rate limited by the repo host; retry after 60 s/);
    assert.match(text, /3 of 5 items had finished/);
    assert.match(text, /What to do: /);
    assert.match(text, /partial_results/);
    const structured = result.structuredContent as { partial_results: Record<string, unknown>; error: { step: string; reason: string } };
    assert.deepEqual(structured.partial_results, {
      list: ['r0', 'r1', 'r2', 'boom', 'r4'],
      each: [{ value: 'r0-0' }, { value: 'r1-1' }, { value: 'r2-2' }, null, null]
    });
    assert.equal(structured.error.reason, 'tool-error');
  });

  /** The most intervals in progress at one moment. */
  const maxOverlap = (intervals: Array<{ start: number; end: number }>) => {
    const events = intervals.flatMap(interval => [
      { at: interval.start, delta: 1 },
      { at: interval.end, delta: -1 }
    ]);
    events.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let current = 0;
    let most = 0;
    for (const event of events) {
      current += event.delta;
      most = Math.max(most, current);
    }
    return most;
  };

  it('the workflow\'s concurrency caps the tool calls in flight', async () => {
    const result = await gateway.call('capped');
    assert.equal(result.isError, undefined, textOf(result));
    const intervals = (await gateway.journal()).intervals.filter(interval => interval.label.startsWith('cap-'));
    assert.equal(intervals.length, 4);
    assert.equal(maxOverlap(intervals), 2);
  });

  it('a map\'s concurrency caps the items in flight', async () => {
    const result = await gateway.call('map_capped');
    assert.equal(result.isError, undefined, textOf(result));
    const intervals = (await gateway.journal()).intervals.filter(interval => interval.label.startsWith('mapcap-'));
    assert.equal(intervals.length, 6);
    assert.equal(maxOverlap(intervals), 3);
  });

  it('a failing branch stops its siblings; the finished ones are in the partial results', async () => {
    const result = await gateway.call('fan_out_fails');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /failed at step "all\.late" \(tool "fix__sleep"\): the step timed out: no answer within 300 ms/);
    assert.deepEqual((result.structuredContent as { partial_results: unknown }).partial_results, { first: 'ok', all: { quick: { done: true } } });
    await waitFor(async () => (await gateway.journal()).cancelled.some(entry => entry.label === 'sibling-cancelled'), 'the sibling to be cancelled upstream');
  });

  it('map keeps results in item order under concurrency', async () => {
    const result = await gateway.call('map_ordered', { ms: [120, 10, 60, 5, 30] });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(JSON.parse(textOf(result)), ['map-0', 'map-1', 'map-2', 'map-3', 'map-4']);
  });

  it('a run survives a 1 MB result and passes it on', async () => {
    const result = await gateway.call('big_result');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, { size: 1_048_576, measured: 1_048_546, head: 'xxx' });
    const run = gateway.core.workflows.store!.getRun((result._meta as Record<string, string>)[runIdMetaKey]!)!;
    assert.ok(run.steps[0]!.outputSize! > 1_000_000);
  });

  it('a step timeout fails the step and cancels its call upstream', async () => {
    const result = await gateway.call('step_timeout');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /step "slow" \(tool "fix__sleep"\): the step timed out: no answer within 200 ms/);
    await waitFor(async () => (await gateway.journal()).cancelled.some(entry => entry.label === 'timeout-victim'), 'the timed-out call to be cancelled upstream');
  });

  it('the workflow deadline stops the run with the finished steps as partial results', async () => {
    const result = await gateway.call('deadline');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /deadline of 300 ms passed/);
    assert.deepEqual((result.structuredContent as { partial_results: unknown }).partial_results, { quick: 1 });
    await waitFor(async () => (await gateway.journal()).cancelled.some(entry => entry.label === 'deadline-victim'), 'the call to be cancelled upstream');
  });

  it('a fallback step stands in for a failed one', async () => {
    const result = await gateway.call('with_fallback');
    assert.deepEqual(result.structuredContent, { from: 'fallback' });
  });

  it('switch/route takes the first matching rule, else the default', async () => {
    assert.equal(textOf(await gateway.call('routed', { kind: 'feature' })), 'feature path');
    assert.equal(textOf(await gateway.call('routed', { kind: 'bug' })), 'bug path');
    assert.equal(textOf(await gateway.call('routed', { kind: 'question' })), 'default path');
  });

  it('sends progress to the caller as steps finish', async () => {
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await gateway.call('progress_steps', {}, { onProgress: params => seen.push(params) });
    assert.equal(result.isError, undefined, textOf(result));
    assert.ok(seen.length >= 5, JSON.stringify(seen));
    assert.ok(seen.every(entry => entry.total === 3));
    for (let index = 1; index < seen.length; index++) assert.ok(seen[index]!.progress > seen[index - 1]!.progress);
    assert.equal(seen.at(-1)!.progress, 3);
    assert.ok(seen.some(entry => /"many": 2 of 4 items done/.test(entry.message ?? '')));
  });

  it('validates arguments against the input schema', async () => {
    const result = await gateway.call('chain_fixture', { n: 'x' });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Invalid arguments for workflow "chain_fixture"/);
  });

  it('checks the output against a declared outputSchema', async () => {
    const result = await gateway.call('typed_output');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /does not match its outputSchema/);
  });

  it('a workflow can call another workflow through the pipeline', async () => {
    const result = await gateway.call('nested');
    assert.equal(textOf(result), '2');
  });

  it('derives annotations from the steps: read-only only if every step is', () => {
    const definitionOf = (name: string) => gateway.core.catalog.findTool(name)!.definition;
    assert.equal(definitionOf('fan_out').annotations?.readOnlyHint, true);
    assert.equal(definitionOf('chain_memory').annotations?.readOnlyHint, false);
    assert.equal(definitionOf('writes').annotations?.readOnlyHint, false);
    assert.equal(definitionOf('writes').annotations?.destructiveHint, true);
    assert.equal(definitionOf('writes').annotations?.idempotentHint, false);
    assert.equal(definitionOf('nested').annotations?.readOnlyHint, true);
    assert.deepEqual(definitionOf('chain_fixture').inputSchema, (workflows.chain_fixture as { input: unknown }).input);
  });

  it('records each run with its steps\' inputs, sizes and durations', async () => {
    const result = await gateway.call('chain_fixture', { n: 1 });
    const run = gateway.core.workflows.store!.getRun((result._meta as Record<string, string>)[runIdMetaKey]!)!;
    assert.equal(run.run.workflow, 'chain_fixture');
    assert.equal(run.run.status, 'completed');
    assert.deepEqual(JSON.parse(run.run.input), { n: 1 });
    assert.deepEqual(
      run.steps.map(step => [step.path, step.tool, step.status]),
      [
        ['first', 'fix__text', 'ok'],
        ['second', 'fix__needs', 'ok'],
        ['third', 'fix__structured', 'ok']
      ]
    );
    assert.deepEqual(JSON.parse(run.steps[1]!.input!), { a: 't-1', b: 2 });
    assert.ok(run.steps.every(step => step.endedAt! >= step.startedAt && step.outputSize! > 0));
  });

  it('run_workflow runs an ad-hoc definition with the same checks', async () => {
    assert.ok(gateway.core.catalog.findTool('run_workflow'));
    const result = await gateway.call('run_workflow', {
      workflow: {
        steps: [
          { id: 'a', call: 'fix__text', with: { text: '{"x": 2}' } },
          { id: 'b', call: 'everything__get-sum', with: { a: '{{ steps.a.result.x }}', b: '{{ input.y }}' } }
        ]
      },
      arguments: { y: 40 }
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(textOf(result), /42/);

    const bad = await gateway.call('run_workflow', {
      workflow: { steps: [{ id: 'a', call: 'fix__nope' }, { id: 'b', call: 'fix__needs', with: { a: '{{ steps.c.result }}' } }] }
    });
    assert.equal(bad.isError, true);
    const text = textOf(bad);
    assert.match(text, /nothing was run/);
    assert.match(text, /workflow\.steps\.0\.call: unknown tool "fix__nope"/);
    assert.match(text, /workflow\.steps\.1\.with\.a: there is no step "c"/);
    assert.match(text, /workflow\.steps\.1\.with: tool "fix__needs" requires "b"/);
  });
});

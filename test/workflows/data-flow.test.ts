/**
 * Regression issue 9 #16: silent gaps in data flow. A `with` argument whose template yields nothing was
 * dropped (the server then said "Required at query"); a map's items continued past were null with no error
 * to read; a failure inside a normal result ({"error": …}) could not fail the step; intermediate values had
 * to be repeated. Through the real engine and pipeline, against a third-party-shaped stdio server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { GatewayResult } from '../../src/core/pipeline.js';
import { checkWorkflowDefinitions, runIdMetaKey } from '../../src/workflows/index.js';
import { parseConfig } from '../../src/config/index.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';
import { startTestGateway, type TestGateway, textOf } from './helpers.js';

const servers = { tp: fixtureServer('third-party.ts', [], { cwd: repoRoot }) };

const workflows: Record<string, unknown> = {
  missing_argument: {
    input: { type: 'object', properties: { q: { type: 'string' } } },
    steps: [{ id: 'search', call: 'tp__lookup', with: { query: '{{ input.qeury }}' } }]
  },
  optional_argument: {
    input: { type: 'object', properties: { q: { type: 'string' } } },
    steps: [{ id: 'sheet', call: 'tp__read_sheet', with: { key: 'k', 'note?': '{{ input.note }}' } }]
  },
  optional_required: {
    steps: [{ id: 'search', call: 'tp__lookup', with: { 'query?': '{{ input.q }}' } }]
  },
  continued_items: {
    steps: [
      { id: 'each', map: "['ok', 'bad', 'ok', 'worse']", do: { call: 'tp__strict', with: { n: "{{ item = 'ok' ? 1 : -1 }}" }, onError: 'continue' } },
      { id: 'report', call: 'tp__lookup', with: { query: "{{ $string(steps.each.status) & ' ' & $join(steps.each.errors.$string(index), ',') }}" } },
      { id: 'boom', call: 'tp__strict', with: { n: 0 } }
    ]
  },
  soft_error: {
    steps: [
      {
        id: 'check',
        call: 'tp__validate',
        with: { diagram: 'broken' },
        failWhen: 'result.error',
        fallback: { call: 'tp__validate', with: { diagram: 'ok' } }
      }
    ]
  },
  soft_error_retried: {
    steps: [{ id: 'q', call: 'tp__lookup', with: { query: '' }, failWhen: "$exists(result.error)", retry: { attempts: 2, backoff: '5ms', force: true }, onError: 'continue' }],
    output: '{{ steps.q }}'
  },
  bad_let: {
    steps: [{ id: 'a', let: { n: '{{ $number("abc") }}' }, call: 'tp__lookup', with: { query: '{{ $string(vars.n) }}' } }]
  },
  named_values: {
    input: { type: 'object', properties: { name: { type: 'string', default: 'Ada' } } },
    steps: [
      { id: 'first', let: { who: '{{ $uppercase(input.name) }}', greeting: "{{ 'hello ' & vars.who }}" }, call: 'tp__lookup', with: { query: '{{ vars.greeting }}' } },
      { id: 'second', call: 'tp__read_sheet', with: { key: '{{ vars.who & "-" & steps.first.result.hits[0] }}' } }
    ],
    output: "{{ {'who': vars.who, 'rows': steps.second.result.rows} }}"
  }
};

describe('regression issue 9 #16: data flow without silent gaps', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({ servers, workflows, store: { path: ':memory:' } });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });
  const errorOf = (result: GatewayResult) => (result.structuredContent as { error: { step: string; reason: string; message: string } }).error;

  it('a `with` argument whose template yields nothing fails the step, naming the step, the argument and the template', async () => {
    const result = await gateway.call('missing_argument', { q: 'x' });
    assert.equal(result.isError, true);
    const error = errorOf(result);
    assert.equal(error.step, 'search');
    assert.equal(error.reason, 'expression');
    assert.match(error.message, /argument "query" of "with" yielded nothing: \{\{ input\.qeury \}\}/);
    assert.match(error.message, /"query\?"/);
    // Nothing reached the server.
    const calls = JSON.parse(textOf(await gateway.call('tp__calls'))) as Record<string, number>;
    assert.equal(calls['lookup:'], undefined);
  });

  it('an argument written "key?" is left out when it yields nothing', async () => {
    const result = await gateway.call('optional_argument');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(JSON.parse(textOf(result).split('\n')[0]!), { rows: ['k'] });
  });

  it('workflows check warns when a required argument is set only optionally', () => {
    const lines = gateway.core.workflows.check().map(problem => `${problem.severity}: ${problem.path}: ${problem.message}`);
    assert.ok(
      lines.includes('warning: workflows.optional_required.steps.0.with: tool "tp__lookup" requires "query", which "with" sets only when it has a value ("query?"): the call fails when it has none'),
      lines.join('\n')
    );
  });

  it('a map\'s items continued past: steps.<id>.errors and status "partial" for expressions, and in partial_results', async () => {
    const result = await gateway.call('continued_items');
    assert.equal(result.isError, true);
    const content = result.structuredContent as { partial_results: Record<string, unknown> };
    assert.deepEqual(content.partial_results.each, [{ n: 1 }, null, { n: 1 }, null]);
    const errors = content.partial_results['each.errors'] as Array<{ index: number; error: string }>;
    assert.deepEqual(errors.map(entry => entry.index), [1, 3]);
    assert.match(errors[0]!.error, /n must be a positive number/);
    assert.deepEqual(content.partial_results.report, { hits: ['partial 1,3'] });
    const run = gateway.core.workflows.store!.getRun(String((result._meta as Record<string, unknown>)[runIdMetaKey]))!;
    assert.match(run.steps.find(step => step.path === 'each')?.detail ?? '', /partial: 2 of 4 items failed/);
  });

  it('failWhen fails a step whose result reports a failure, and its fallback runs', async () => {
    const result = await gateway.call('soft_error');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(JSON.parse(textOf(result).split('\n')[0]!), { valid: true });
    const run = gateway.core.workflows.store!.getRun(String((result._meta as Record<string, unknown>)[runIdMetaKey]))!;
    const check = run.steps.find(step => step.path === 'check');
    assert.equal(check?.status, 'failed');
    assert.match(check?.error ?? '', /matched failWhen "result.error": \{"valid":false,"error":"diagram is invalid"\}/);
  });

  it('failWhen is a tool error: retried under the retry policy, then onError: continue records it', async () => {
    const result = await gateway.call('soft_error_retried');
    assert.equal(result.isError, undefined, textOf(result));
    const step = JSON.parse(textOf(result).split('\n')[0]!) as { status: string; error: string };
    assert.equal(step.status, 'failed');
    assert.match(step.error, /query is empty/);
    const run = gateway.core.workflows.store!.getRun(String((result._meta as Record<string, unknown>)[runIdMetaKey]))!;
    assert.equal(run.steps.filter(entry => entry.path === 'q').length, 3);
  });

  it('let names values in order; later steps and the output read them as vars.<name>', async () => {
    const result = await gateway.call('named_values');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, { who: 'ADA', rows: ['ADA-hello ADA'] });
  });

  it('a let that fails fails its step, naming the variable', async () => {
    const result = await gateway.call('bad_let');
    assert.equal(result.isError, true);
    const error = errorOf(result);
    assert.equal(error.step, 'a');
    assert.equal(error.reason, 'expression');
    assert.match(error.message, /^let "n": expression "\$number\("abc"\)" failed/);
  });

  it('definitions: failWhen and let are checked at load (a bad expression, a variable read before it is set, twice set)', () => {
    const { problems } = checkWorkflowDefinitions({
      w: parseConfig(
        JSON.stringify({
          workflows: {
            w: {
              steps: [
                { id: 'a', call: 'x__y', with: { v: '{{ vars.later }}' }, failWhen: 'result.error ]' },
                { id: 'b', let: { later: '{{ steps.a.result }}' }, call: 'x__y' },
                { id: 'c', let: { later: '1' }, call: 'x__y' }
              ]
            }
          }
        })
      ).config.workflows.w!
    });
    const lines = problems.map(problem => `${problem.path}: ${problem.message}`);
    assert.ok(lines.some(line => /^workflows\.w\.steps\.0\.with\.v: vars\.later is not set here/.test(line)), lines.join('\n'));
    assert.ok(lines.some(line => /^workflows\.w\.steps\.0\.failWhen: bad expression/.test(line)), lines.join('\n'));
    assert.ok(lines.some(line => /^workflows\.w\.steps\.2\.let\.later: variable "later" is already set by workflows\.w\.steps\.1\.let/.test(line)), lines.join('\n'));
  });
});

/**
 * Workflows over servers shaped like real third-party ones (issue 9, defects 11-14 and 16): JSON-RPC internal
 * errors, failures inside normal results, annotations missing or wrong; schemas with defaults and outputs
 * that do not match. Through the real engine and pipeline, against a real stdio fixture server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { GatewayResult } from '../../src/core/pipeline.js';
import { runIdMetaKey } from '../../src/workflows/index.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';
import { startTestGateway, type TestGateway, textOf } from './helpers.js';

const servers = { tp: fixtureServer('third-party.ts', [], { cwd: repoRoot }) };

const workflows: Record<string, unknown> = {
  render_retried: {
    steps: [{ id: 'chart', call: 'tp__render', with: { key: 'forced', failures: 2 }, retry: { attempts: 3, backoff: '10ms', force: true } }]
  },
  render_once: {
    steps: [{ id: 'chart', call: 'tp__render', with: { key: 'once', failures: 5 } }]
  },
  strict_refused: {
    steps: [{ id: 's', call: 'tp__strict', with: { n: -1 }, retry: { attempts: 3, backoff: '10ms', force: true } }]
  },
  typed_output: {
    outputSchema: { type: 'object', properties: { url: { type: 'number' } }, required: ['url'] },
    steps: [{ id: 'chart', call: 'tp__render', with: { key: 'typed', failures: 0 } }]
  },
  defaults: {
    input: {
      type: 'object',
      properties: {
        n: { type: 'integer', default: 3 },
        opts: { type: 'object', default: {}, properties: { depth: { type: 'integer', default: 2 }, name: { type: 'string' } } },
        given: { type: 'string', default: 'unused' }
      },
      required: ['n']
    },
    steps: [{ id: 'echo', call: 'tp__lookup', with: { query: '{{ $string(input) }}' } }]
  }
};

const resultOf = (result: GatewayResult) => JSON.parse(textOf(result).split('\n')[0]!) as unknown;

describe('workflows over third-party-shaped servers', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({ servers, workflows, gateway: { adHocWorkflows: true }, store: { path: ':memory:' } });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });
  const runOf = (result: GatewayResult) => gateway.core.workflows.store!.getRun(String((result._meta as Record<string, unknown> | undefined)?.[runIdMetaKey]))!;

  it('regression issue 9 #11: a -32603 Internal error is a tool failure, retried under retry.force', async () => {
    const result = await gateway.call('render_retried');
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(resultOf(result), { url: 'chart://forced' });
    const attempts = runOf(result).steps.filter(step => step.path === 'chart').map(step => step.status);
    assert.deepEqual(attempts, ['failed', 'failed', 'ok']);
  });

  it('regression issue 9 #11: without retries, a -32603 says the tool failed (reason tool-error), not that it refused the call', async () => {
    const result = await gateway.call('render_once');
    assert.equal(result.isError, true);
    const error = (result.structuredContent as { error: { reason: string; message: string } }).error;
    assert.equal(error.reason, 'tool-error');
    assert.match(error.message, /-32603|Internal error/);
    assert.doesNotMatch(textOf(result), /refused/);
  });

  it('regression issue 9 #11: a -32602 Invalid params is still the caller\'s fault: rejected, never retried', async () => {
    const result = await gateway.call('strict_refused');
    assert.equal(result.isError, true);
    assert.equal((result.structuredContent as { error: { reason: string } }).error.reason, 'rejected');
    assert.equal(runOf(result).steps.filter(step => step.path === 's').length, 1);
  });

  it('regression issue 9 #12: an output that fails its outputSchema is a failed run, reason "output", with the run id', async () => {
    const result = await gateway.call('typed_output');
    assert.equal(result.isError, true);
    assert.match(textOf(result), /does not match its outputSchema/);
    const content = result.structuredContent as { run_id: string; status: string; error: { reason: string; step: string }; output: unknown };
    assert.equal(content.status, 'failed');
    assert.equal(content.error.reason, 'output');
    assert.deepEqual(content.output, { url: 'chart://typed' });
    assert.equal(content.run_id, (result._meta as Record<string, unknown>)[runIdMetaKey]);
    const record = runOf(result).run;
    assert.equal(record.status, 'failed');
    assert.match(record.error ?? '', /outputSchema/);
  });

  it('regression issue 9 #12: run_workflow checks its outputSchema too', async () => {
    const result = await gateway.call('run_workflow', { workflow: workflows.typed_output });
    assert.equal(result.isError, true);
    assert.equal((result.structuredContent as { error: { reason: string } }).error.reason, 'output');
  });

  it('regression issue 9 #13: input defaults are applied, nested ones too, before the run (and before "required")', async () => {
    const result = await gateway.call('defaults', { given: 'mine' });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(JSON.parse((resultOf(result) as { hits: string[] }).hits[0]!), { given: 'mine', n: 3, opts: { depth: 2 } });
    const nested = await gateway.call('defaults', { opts: { name: 'x' } });
    assert.deepEqual(JSON.parse((resultOf(nested) as { hits: string[] }).hits[0]!), { opts: { name: 'x', depth: 2 }, n: 3, given: 'unused' });
  });

  it('regression issue 9 #13: run_workflow applies its input defaults', async () => {
    const result = await gateway.call('run_workflow', { workflow: workflows.defaults });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(JSON.parse((resultOf(result) as { hits: string[] }).hits[0]!), { n: 3, opts: { depth: 2 }, given: 'unused' });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { Catalog } from '../catalog/index.js';
import { approvalOptionsSchema } from '../config/index.js';
import { composePipeline, type DownstreamContext, type GatewayRequest, type GatewayResult } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import { approvalStatePrefix, StateSeal } from '../core/state-seal.js';
import { openApprovalStore } from '../store/index.js';
import { createLogger } from '../telemetry/logger.js';
import { ApprovalGate } from './approval-gate.js';
import { approvalInputKey } from './approval-texts.js';

const logger = createLogger({ level: 'silent' });
const alice: Principal = { name: 'alice', kind: 'key' };
const bob: Principal = { name: 'bob', kind: 'key' };

/** A real catalog with two gateway tools, a real gate (`always: danger*`) and a handler that counts the calls that ran. */
function setUp(clock = { now: 1_000_000 }) {
  const catalog = new Catalog([], logger);
  const tool = (name: string) => ({ definition: { name, inputSchema: { type: 'object' as const } }, call: async () => ({ content: [] }) });
  catalog.setLocalTools('workflows', [tool('danger'), tool('danger_too'), tool('safe')]);
  const seal = new StateSeal();
  const gate = new ApprovalGate({
    options: approvalOptionsSchema.parse({ always: ['danger*'], expiry: '1m' }),
    servers: {},
    catalog,
    seal,
    store: () => openApprovalStore(':memory:'),
    logger,
    now: () => clock.now
  });
  const ran: string[] = [];
  const pipeline = composePipeline([gate.middleware], async request => {
    ran.push(`${String(request.params.name)} ${JSON.stringify(request.params.arguments)}`);
    return { content: [{ type: 'text', text: 'ran' }] };
  });
  const call = (name: string, args: Record<string, unknown>, extra: Partial<DownstreamContext> = {}): Promise<GatewayResult> => {
    const downstream: DownstreamContext = {
      era: 'modern',
      sessionId: 'request:1',
      principal: alice,
      signal: new AbortController().signal,
      clientCapabilities: { elicitation: {} },
      progressToken: undefined,
      notify: async () => {},
      log: () => {},
      ...extra
    };
    const request: GatewayRequest = { method: 'tools/call', params: { name, arguments: args }, downstream };
    return pipeline(request);
  };
  return { gate, seal, ran, call, clock };
}

const accept = { [approvalInputKey]: { action: 'accept', content: {} } };

async function firstState(context: ReturnType<typeof setUp>, args: Record<string, unknown>): Promise<string> {
  const first = await context.call('danger', args);
  assert.equal(first.resultType, 'input_required');
  return first.requestState as string;
}

describe('approval gate: sealed, single-use input_required state', () => {
  it('a 2026 request is answered input_required; accept runs it once; the state does not work twice', async () => {
    const context = setUp();
    const state = await firstState(context, { id: 1 });
    assert.ok(state.startsWith(approvalStatePrefix));
    assert.equal(context.ran.length, 0);
    const done = await context.call('danger', { id: 1 }, { requestState: state, inputResponses: accept });
    assert.equal(done.isError, undefined);
    assert.deepEqual(context.ran, ['danger {"id":1}']);
    await assert.rejects(context.call('danger', { id: 1 }, { requestState: state, inputResponses: accept }), /used already/);
    assert.equal(context.ran.length, 1);
    // A tool the policy leaves alone is not asked about.
    await context.call('safe', {});
    assert.equal(context.ran.length, 2);
  });

  it('decline and cancel return a tool error naming the tool and the decision', async () => {
    const context = setUp();
    for (const action of ['decline', 'cancel'] as const) {
      const state = await firstState(context, { id: action });
      const result = await context.call('danger', { id: action }, { requestState: state, inputResponses: { [approvalInputKey]: { action } } });
      assert.equal(result.isError, true);
      assert.match((result.content as { text: string }[])[0]!.text, new RegExp(`"danger".*decision: ${action}`));
    }
    assert.equal(context.ran.length, 0);
  });

  it('property: every forged, tampered, replayed, other-principal, other-tool, other-args or expired state is refused and nothing runs', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('forged-random' as const), body: fc.string({ minLength: 0, maxLength: 80 }), mac: fc.base64String({ maxLength: 60 }) }),
      fc.record({ kind: fc.constant('forged-other-key' as const), claims: fc.record({ n: fc.uuid(), p: fc.constant('key:alice'), t: fc.constant('danger'), d: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), exp: fc.integer({ min: 2_000_000, max: 9_000_000 }) }) }),
      fc.record({ kind: fc.constant('tampered-char' as const), at: fc.nat(), char: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.') }),
      fc.record({ kind: fc.constant('tampered-claims' as const), field: fc.constantFrom('p', 't', 'd', 'exp', 'n') }),
      fc.record({ kind: fc.constant('replayed' as const) }),
      fc.record({ kind: fc.constant('other-principal' as const) }),
      fc.record({ kind: fc.constant('other-tool' as const) }),
      fc.record({ kind: fc.constant('other-args' as const), value: fc.jsonValue() }),
      fc.record({ kind: fc.constant('expired' as const), after: fc.integer({ min: 60_000, max: 10_000_000 }) })
    );
    await fc.assert(
      fc.asyncProperty(mutation, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }), async (change, args) => {
        const context = setUp();
        const state = await firstState(context, args);
        const [body = '', mac = ''] = state.slice(approvalStatePrefix.length).split('.');
        let given = state;
        let extra: Partial<DownstreamContext> = {};
        let name = 'danger';
        let callArgs: Record<string, unknown> = args;
        switch (change.kind) {
          case 'forged-random':
            given = `${approvalStatePrefix}${change.body}.${change.mac}`;
            break;
          case 'forged-other-key':
            given = new StateSeal().seal(approvalStatePrefix, 'manifold.approval', change.claims);
            break;
          case 'tampered-char': {
            const index = change.at % state.length;
            if (state[index] === change.char) return; // not a change
            given = state.slice(0, index) + change.char + state.slice(index + 1);
            break;
          }
          case 'tampered-claims': {
            const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
            claims[change.field] = change.field === 'exp' ? claims.exp + 3_600_000 : `${claims[change.field]}x`;
            given = `${approvalStatePrefix}${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
            break;
          }
          case 'replayed':
            await context.call('danger', args, { requestState: state, inputResponses: accept });
            assert.equal(context.ran.length, 1);
            context.ran.length = 0;
            break;
          case 'other-principal':
            extra = { principal: bob };
            break;
          case 'other-tool':
            name = 'danger_too';
            break;
          case 'other-args':
            callArgs = { ...args, extra: change.value };
            break;
          case 'expired':
            context.clock.now += change.after;
            break;
        }
        await assert.rejects(
          context.call(name, callArgs, { ...extra, requestState: given, inputResponses: accept }),
          (error: { code?: string; message?: string }) => error.code === 'INVALID_PARAMS' && /approval requestState .* is refused|requestState was not handed out for an approved call/.test(error.message ?? '')
        );
        assert.deepEqual(context.ran, [], `${change.kind}: nothing ran`);
      }),
      { seed: 1313, numRuns: 300 }
    );
  });
});

describe('approval gate: a workflow step is asked once', () => {
  it('a retried step with the same call is not asked again; another step is', async () => {
    const context = setUp();
    let asked = 0;
    const requestClient = async () => {
      asked++;
      return { action: 'accept' };
    };
    const step = (id: string): Partial<DownstreamContext> => ({ era: 'legacy', requestClient, run: { id: 'run-1', step: id } });
    await context.call('danger', { n: 1 }, step('write'));
    await context.call('danger', { n: 1 }, step('write'));
    assert.equal(asked, 1, 'the retry of step "write" was not asked');
    await context.call('danger', { n: 1 }, step('write_again'));
    assert.equal(asked, 2, 'another step is asked');
    assert.equal(context.ran.length, 3);
  });
});

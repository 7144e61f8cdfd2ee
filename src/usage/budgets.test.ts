import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Catalog } from '../catalog/index.js';
import { budgetSchema } from '../config/index.js';
import { type ManifoldError } from '../core/errors.js';
import type { GatewayRequest } from '../core/pipeline.js';
import { countTextTokens } from '../discovery/index.js';
import { openRunStore } from '../store/index.js';
import { createLogger } from '../telemetry/logger.js';
import { answerText } from './answer-text.js';
import { Usage } from './usage.js';

const logger = createLogger({ level: 'error', sink: () => {} });
const hour = 3_600_000;

function setup(budgets: unknown[], store = openRunStore(':memory:'), start = Date.UTC(2027, 0, 31, 22, 30)) {
  const clock = { now: start };
  const usage = new Usage({
    options: { enabled: true, maxPending: 100 },
    budgets: budgets.map(budget => budgetSchema.parse(budget)),
    catalog: new Catalog([], logger),
    store: () => store,
    isWorkflow: () => false,
    logger,
    now: () => clock.now
  });
  return { usage, store, clock };
}

const answer = (text: string) => ({ content: [{ type: 'text', text }] });
const request = (method: GatewayRequest['method'], params: Record<string, unknown>, principal: string, view?: string): GatewayRequest => ({
  method,
  params,
  downstream: {
    era: 'modern',
    sessionId: 's',
    principal: { name: principal, kind: 'key' },
    ...(view !== undefined ? { view } : {}),
    signal: new AbortController().signal,
    clientCapabilities: undefined,
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  }
});

describe('budgets over the token accounting', () => {
  it('an hour budget refuses from the call after the crossing one, and lets calls through again in the next hour', async () => {
    const { usage, clock } = setup([{ name: 'hourly', per: 'hour', resultTokens: 40 }]);
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    const handler = usage.middleware(async () => answer(text));
    const tokens = countTextTokens(answerText(answer(text)));
    assert.ok(tokens < 40 && tokens * 2 >= 40, `${tokens} tokens per answer`);
    assert.notEqual((await handler(request('tools/call', { name: 't' }, 'ann'))).isError, true);
    assert.notEqual((await handler(request('tools/call', { name: 't' }, 'ann'))).isError, true);
    const refused = await handler(request('tools/call', { name: 't' }, 'ann'));
    assert.equal(refused.isError, true);
    assert.match(JSON.stringify(refused), new RegExp(`spent for ann: ${tokens * 2} of 40 result tokens this hour \\(UTC\\); resets at 2027-01-31T23:00:00.000Z \\(in 30 m\\)`));
    // Another principal has its own count.
    assert.notEqual((await handler(request('tools/call', { name: 't' }, 'ben'))).isError, true);
    clock.now += hour / 2;
    assert.notEqual((await handler(request('tools/call', { name: 't' }, 'ann'))).isError, true, 'a new hour, a new count');
  });

  it('a day budget by view counts every caller of the view, holds across a restart (read from the store), and refuses a prompt with a JSON-RPC error', async () => {
    const budgets = [{ name: 'search-daily', per: 'day', by: 'view', view: 'search', tokens: 30 }];
    const first = setup(budgets);
    const handler = first.usage.middleware(async () => answer('a fairly long answer with quite a few words in it, twenty or more tokens for sure'));
    await handler(request('tools/call', { name: 't' }, 'ann', 'search'));
    await handler(request('tools/call', { name: 't' }, 'ben', 'other'));
    await handler(request('tools/call', { name: 't' }, 'ben', 'search'));
    first.usage.close();
    // A new gateway on the same store: today's counts are read back.
    const second = setup(budgets, first.store, first.clock.now + hour);
    const next = second.usage.middleware(async () => answer('x'));
    await assert.rejects(next(request('prompts/get', { name: 'p' }, 'cat', 'search')), (error: ManifoldError) => {
      assert.equal(error.code, 'BUDGET_EXCEEDED');
      assert.match(error.message, /^token budget "search-daily" spent for view "search": \d+ of 30 tokens \(results and model\) this day \(UTC\); resets at 2027-02-01T00:00:00.000Z \(in 30 m\)$/);
      assert.equal((error.data?.budget as { view: string }).view, 'search');
      return true;
    });
    assert.notEqual((await next(request('tools/call', { name: 't' }, 'cat', 'other'))).isError, true, 'another view is not held');
    second.clock.now += hour;
    assert.notEqual((await next(request('tools/call', { name: 't' }, 'cat', 'search'))).isError, true, 'a new day (UTC), a new count');
  });

  it('model tokens an answer reports count for modelTokens budgets and in the stored rows', async () => {
    const { usage, store } = setup([{ name: 'models', per: 'day', modelTokens: 100 }]);
    const handler = usage.middleware(async () => ({ ...answer('done'), _meta: { 'manifold/usage': { totalTokens: 120 } } }));
    assert.notEqual((await handler(request('tools/call', { name: 'agent' }, 'ann'))).isError, true);
    const refused = await handler(request('tools/call', { name: 'agent' }, 'ann'));
    assert.match(JSON.stringify(refused), /spent for ann: 120 of 100 model tokens this day/);
    assert.equal(store.usageSince(0).reduce((total, row) => total + row.modelTokens, 0), 120);
  });

  it('counting is deferred: an answer is queued when it returns and tokenized in a later batch', async () => {
    const { usage, store } = setup([]);
    const handler = usage.middleware(async () => answer('deferred'));
    await handler(request('tools/call', { name: 't', arguments: { q: 'a' } }, 'ann'));
    assert.equal(usage.accounting.counted, 0, 'nothing tokenized on the call');
    await new Promise(resolve => setImmediate(resolve));
    assert.equal(usage.accounting.counted, 1);
    const [row] = store.usageSince(0);
    assert.equal(row?.resultTokens, countTextTokens(answerText(answer('deferred'))));
    assert.equal(row?.inputTokens, countTextTokens('{"q":"a"}'));
  });
});

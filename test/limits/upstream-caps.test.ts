/**
 * `limits.upstreams.<server>`: a server's calls in progress never exceed its cap (seen at the fixture itself),
 * more wait in a bounded queue instead of failing, one more is refused with the key to raise, and a cancelled
 * call leaves the queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type ManifoldError } from '../../src/core/errors.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';
import { type LimitsGateway, limitOf, peakOverlap, startLimitsGateway, textOf } from './limits-gateway.js';

const fix = fixtureServer('workflow-tools.ts', [], { cwd: repoRoot });

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('limits.upstreams: per-server concurrency caps queue instead of failing', () => {
  let gateway: LimitsGateway;
  before(async () => {
    gateway = await startLimitsGateway({
      servers: { fix, solo: fix },
      limits: { upstreams: { fix: { maxInFlight: 3 }, solo: { maxInFlight: 1, maxQueue: 1 } } }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('20 concurrent calls to a server capped at 3: all complete, never more than 3 at the server at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => gateway.call('fix__sleep', { ms: 60, label: `cap-${index}` }))
    );
    assert.ok(
      results.every(result => result.isError !== true),
      JSON.stringify(results.find(result => result.isError))
    );
    const journal = JSON.parse(textOf(await gateway.call('fix__journal'))) as {
      intervals: Array<{ label: string; start: number; end: number }>;
    };
    const intervals = journal.intervals.filter(interval => interval.label.startsWith('cap-'));
    assert.equal(intervals.length, 20);
    assert.ok(peakOverlap(intervals) <= 3, `peak at the server ${peakOverlap(intervals)}`);
    const gate = gateway.core.limits.upstreams.get('fix');
    assert.equal(gate?.peak, 3);
    assert.equal(gate?.inFlight, 0);
    assert.equal(gate?.queued, 0);
  });

  it('over maxQueue a call is refused with the server and the key to raise; the queued one runs', async () => {
    const gate = gateway.core.limits.upstreams.get('solo');
    assert.ok(gate);
    const holder = new AbortController();
    const running = gateway.call('solo__hang', { label: 'holder' }, { signal: holder.signal });
    await waitFor('the first call to hold the only place', () => gate.inFlight === 1);
    const queued = gateway.call('solo__text', { text: 'queued' });
    await waitFor('the second call to queue', () => gate.queued === 1);
    const refused = await gateway.call('solo__text', { text: 'one too many' });
    assert.equal(refused.isError, true);
    assert.equal(
      textOf(refused),
      'server "solo" is busy: 1 calls in progress (limits.upstreams.solo.maxInFlight: 1) and 1 waiting (limits.upstreams.solo.maxQueue: 1); retry in a moment, or raise limits.upstreams.solo.maxQueue in the config'
    );
    assert.deepEqual(limitOf(refused), {
      code: 'UPSTREAM_BUSY',
      kind: 'upstream',
      server: 'solo',
      maxInFlight: 1,
      maxQueue: 1
    });
    holder.abort(new Error('the test frees the place'));
    await running.then(
      () => {},
      () => {}
    );
    assert.equal(textOf(await queued), 'queued');
    assert.equal(gate.inFlight, 0);
  });

  it('a cancelled call leaves the queue and frees its place', async () => {
    const gate = gateway.core.limits.upstreams.get('solo');
    assert.ok(gate);
    const holder = new AbortController();
    const running = gateway.call('solo__hang', { label: 'holder-2' }, { signal: holder.signal });
    await waitFor('the first call to hold the only place', () => gate.inFlight === 1);
    const waiter = new AbortController();
    const cancelled = gateway.call('solo__text', { text: 'cancelled' }, { signal: waiter.signal });
    await waitFor('the second call to queue', () => gate.queued === 1);
    waiter.abort(new Error('the client gave up'));
    await assert.rejects(cancelled, (error: ManifoldError) => {
      assert.equal(error.code, 'CANCELLED');
      assert.match(error.message, /waiting for a turn on server "solo"/);
      return true;
    });
    assert.equal(gate.queued, 0);
    // Its place in the queue is free: the next call waits rather than being refused, and runs.
    const next = gateway.call('solo__text', { text: 'next' });
    await waitFor('the next call to queue', () => gate.queued === 1);
    holder.abort(new Error('done'));
    await running.then(
      () => {},
      () => {}
    );
    assert.equal(textOf(await next), 'next');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type ManifoldError } from '../core/errors.js';
import { UpstreamGate } from './upstream-gate.js';

describe('UpstreamGate', () => {
  it('lets maxInFlight through, queues the rest in order, and hands each freed turn to the first waiter', async () => {
    const gate = new UpstreamGate('s', 2, 10);
    const signal = new AbortController().signal;
    const order: string[] = [];
    const first = await gate.enter(signal);
    const second = await gate.enter(signal);
    const third = gate.enter(signal).then(leave => (order.push('third'), leave));
    const fourth = gate.enter(signal).then(leave => (order.push('fourth'), leave));
    assert.equal(gate.inFlight, 2);
    assert.equal(gate.queued, 2);
    first();
    first(); // a second call of the same leaver changes nothing
    const leaveThird = await third;
    assert.deepEqual(order, ['third']);
    assert.equal(gate.inFlight, 2);
    second();
    const leaveFourth = await fourth;
    assert.deepEqual(order, ['third', 'fourth']);
    leaveThird();
    leaveFourth();
    assert.equal(gate.inFlight, 0);
    assert.equal(gate.peak, 2);
  });

  it('refuses one more than maxQueue, and a cancelled waiter leaves the queue', async () => {
    const gate = new UpstreamGate('s', 1, 1);
    const leave = await gate.enter(new AbortController().signal);
    const controller = new AbortController();
    const waiting = gate.enter(controller.signal);
    await assert.rejects(
      gate.enter(new AbortController().signal),
      (error: ManifoldError) => error.code === 'UPSTREAM_BUSY' && /limits\.upstreams\.s\.maxQueue/.test(error.message)
    );
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, (error: ManifoldError) => error.code === 'CANCELLED');
    assert.equal(gate.queued, 0);
    const next = gate.enter(new AbortController().signal);
    assert.equal(gate.queued, 1);
    leave();
    (await next)();
    assert.equal(gate.inFlight, 0);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(gate.enter(aborted.signal), (error: ManifoldError) => error.code === 'CANCELLED');
  });
});

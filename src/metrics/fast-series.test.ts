import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Counter, Histogram, Registry } from 'prom-client';

import { FastCounter, FastHistogram } from './fast-series.js';

const buckets = [0.01, 0.1, 1];
const observations: Array<[string, number]> = [['a', 0.005], ['a', 0.01], ['b', 0.5], ['a', 3], ['b', 0.1], ['a', 0.05]];

describe('FastCounter and FastHistogram', () => {
  it('render the very text prom-client renders for the same updates', async () => {
    const fast = new Registry();
    const reference = new Registry();
    const fastCounter = new FastCounter<'tool'>('x_total', 'help text', fast);
    const fastHistogram = new FastHistogram<'tool'>('x_seconds', 'help text', fast, buckets);
    const counter = new Counter({ name: 'x_total', help: 'help text', labelNames: ['tool'], registers: [reference] });
    const histogram = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['tool'], buckets, registers: [reference] });
    for (const [tool, value] of observations) {
      fastCounter.inc(tool, () => ({ tool }));
      fastHistogram.observe(tool, () => ({ tool }), value);
      counter.inc({ tool });
      histogram.observe({ tool }, value);
    }
    assert.equal(await fast.metrics(), await reference.metrics());
  });

  it('build a series\' labels once, when it is new', () => {
    const counter = new FastCounter<'tool'>('y_total', 'help', new Registry());
    let built = 0;
    for (let index = 0; index < 5; index++) counter.inc('k', () => (built++, { tool: 'k' }));
    assert.equal(built, 1);
    assert.deepEqual(counter.get().values, [{ labels: { tool: 'k' }, value: 5 }]);
  });
});

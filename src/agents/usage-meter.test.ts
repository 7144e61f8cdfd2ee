import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import type { ModelBackend } from './model-backend.js';
import { UsageMeter } from './usage-meter.js';

function backend(name: string, tokens: [number, number]): ModelBackend & { sent: number } {
  const fake = {
    name,
    description: `model "${name}"`,
    sent: 0,
    generate: async () => {
      fake.sent++;
      return {
        text: 'ok',
        toolCalls: [],
        usage: { inputTokens: tokens[0], outputTokens: tokens[1] },
        finishReason: 'stop',
        attempts: 1
      };
    }
  };
  return fake;
}

const request = { messages: [], tools: [], signal: new AbortController().signal };

describe('UsageMeter', () => {
  it('sums every call per worker, per model and in total', async () => {
    const meter = new UsageMeter(undefined, () => assert.fail('no budget'));
    const planner = backend('big', [100, 10]);
    const small = backend('small', [20, 5]);
    await meter.wrap(planner, { phase: 'plan', step: 1 }).generate(request);
    await meter.wrap(small, { phase: 'worker', step: 1, worker: 'a' }).generate(request);
    await meter.wrap(small, { phase: 'worker', step: 1, worker: 'a' }).generate(request);
    await meter.wrap(planner, { phase: 'synthesis' }).generate(request);
    const summary = meter.summary();
    assert.equal(summary.totalTokens, 270);
    assert.deepEqual(summary.byWorker.a, { calls: 2, inputTokens: 40, outputTokens: 10, totalTokens: 50 });
    assert.deepEqual(summary.byWorker['(plan)']?.totalTokens, 110);
    assert.deepEqual(summary.byModel.big?.calls, 2);
    assert.deepEqual(
      summary.calls.map(call => [call.phase, call.worker, call.model]),
      [
        ['plan', undefined, 'big'],
        ['worker', 'a', 'small'],
        ['worker', 'a', 'small'],
        ['synthesis', undefined, 'big']
      ]
    );
  });

  it('calls onExhausted once when the budget is passed, and sends no call after', async () => {
    let exhausted = 0;
    const meter = new UsageMeter(100, () => exhausted++);
    const model = backend('m', [40, 10]);
    const wrapped = meter.wrap(model, { phase: 'worker', step: 1, worker: 'a' });
    await wrapped.generate(request);
    await wrapped.generate(request); // 100: not passed
    assert.equal(exhausted, 0);
    await wrapped.generate(request); // 150: passed
    assert.equal(exhausted, 1);
    await assert.rejects(
      wrapped.generate(request),
      (error: unknown) =>
        error instanceof ManifoldError && error.code === 'CANCELLED' && /token budget \(100\)/.test(error.message)
    );
    assert.equal(model.sent, 3);
    assert.equal(exhausted, 1);
    assert.equal(meter.totalTokens, 150);
  });
  it('counts calls replayed from a journal as they were (and into a sink), and a replay that passes the budget stops the run', async () => {
    let exhausted = 0;
    const meter = new UsageMeter(100, () => exhausted++);
    const sink: Parameters<UsageMeter['wrap']>[2] = [];
    const small = backend('small', [20, 5]);
    await meter.wrap(small, { phase: 'worker', step: 1, worker: 'a' }, sink).generate(request);
    meter.count({ phase: 'worker', step: 1, worker: 'a' }, 'small', { text: '', toolCalls: [], usage: { inputTokens: 30, outputTokens: 5 }, finishReason: 'stop', attempts: 1 }, 0, sink);
    assert.deepEqual(sink?.map(call => [call.inputTokens, call.outputTokens]), [[20, 5], [30, 5]]);
    assert.equal(meter.totalTokens, 60);
    assert.equal(exhausted, 0);
    meter.replay([{ phase: 'plan', step: 1, model: 'big', inputTokens: 40, outputTokens: 10, durationMs: 3, attempts: 1 }]);
    assert.equal(meter.totalTokens, 110);
    assert.equal(exhausted, 1);
    assert.deepEqual(meter.summary().byWorker['(plan)'], { calls: 1, inputTokens: 40, outputTokens: 10, totalTokens: 50 });
    await assert.rejects(meter.wrap(small, { phase: 'synthesis' }).generate(request), (error: unknown) => error instanceof ManifoldError && error.code === 'CANCELLED');
    assert.equal(small.sent, 1);
  });
});

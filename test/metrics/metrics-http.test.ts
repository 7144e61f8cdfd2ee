/**
 * Prometheus metrics at /metrics (issue 12, item 3): real SDK clients of both eras make a known mix of calls
 * over HTTP (ok, tool error, unknown tool, a call the rules deny, a limited call, a workflow), and the page's
 * sums equal what the clients saw; the page passes `promtool check metrics`; an upstream that crashes shows
 * down, then up with a reconnect counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import { connectHttp, type Era, fixtureServer, waitFor } from '../helpers/gateway.js';
import { type MetricsGateway, parseSamples, promtoolCheck, scrape, startMetricsGateway, sumOf } from './metrics-helpers.js';

type Outcome = 'ok' | 'tool_error' | 'protocol_error' | 'denied' | 'limited';

const config = {
  servers: { fix: fixtureServer('workflow-tools.ts'), crashy: fixtureServer('crashes.ts') },
  rules: [{ deny: 'tool == "fix__journal"' }, { allow: 'true' }],
  limits: { calls: [{ name: 'bigs', tool: 'fix__big', requests: 1, per: '1h' }] },
  workflows: {
    twice: {
      steps: [
        { id: 'one', call: 'fix__text', with: { text: 'a' } },
        { id: 'two', call: 'fix__text', with: { text: 'b' } }
      ]
    }
  }
};

/** What a client saw, per (tool label, outcome): the outcome decided from the answer alone. */
class Tally {
  readonly counts = new Map<string, number>();
  add(tool: string, outcome: Outcome, times = 1): void {
    const key = `${tool}|${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + times);
  }
  async call(client: Client, name: string, args: Record<string, unknown>, label: string, thrown: Outcome): Promise<void> {
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool({ name, arguments: args });
    } catch {
      this.add(label, thrown);
      return;
    }
    const limited = result._meta?.['manifold/limit'] !== undefined;
    this.add(label, limited ? 'limited' : result.isError ? 'tool_error' : 'ok');
  }
}

describe('/metrics: sums equal what the clients counted', () => {
  let gateway: MetricsGateway;
  const tally = new Tally();
  let workflowRuns = 0;

  before(async () => {
    gateway = await startMetricsGateway(config);
    for (const era of ['legacy', 'modern'] as Era[]) {
      await using client = await connectHttp(gateway.http.url, { era });
      for (let index = 0; index < 3; index++) await tally.call(client, 'fix__text', { text: `t${index}` }, 'fix__text', 'protocol_error');
      for (let index = 0; index < 2; index++) await tally.call(client, 'fix__fail', { message: 'no' }, 'fix__fail', 'protocol_error');
      await tally.call(client, 'no_such_tool', {}, 'unknown', 'protocol_error');
      await tally.call(client, 'fix__journal', {}, 'fix__journal', 'denied');
      for (let index = 0; index < 2; index++) await tally.call(client, 'fix__big', { bytes: 40 }, 'fix__big', 'protocol_error');
      await tally.call(client, 'twice', {}, 'twice', 'protocol_error');
      workflowRuns++;
      // Each run's two steps go through the pipeline too, as calls of fix__text.
      tally.add('fix__text', 'ok', 2);
    }
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('manifold_requests_total and the latency histogram count each call by tool and outcome, as the clients saw it', async () => {
    const { status, text, contentType } = await scrape(gateway.origin);
    assert.equal(status, 200);
    assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseSamples(text);
    // The mix produced every outcome, so a wrong classification cannot hide.
    for (const outcome of ['ok', 'tool_error', 'protocol_error', 'denied', 'limited']) {
      assert.ok([...tally.counts.keys()].some(key => key.endsWith(`|${outcome}`)), `the mix has a call with outcome ${outcome}`);
    }
    const seen = new Map<string, number>();
    for (const sample of samples.filter(entry => entry.name === 'manifold_requests_total')) {
      assert.equal(sample.labels.method, 'tools/call');
      assert.equal(sample.labels.view, 'default');
      const key = `${sample.labels.tool}|${sample.labels.outcome}`;
      seen.set(key, (seen.get(key) ?? 0) + sample.value);
    }
    assert.deepEqual(Object.fromEntries([...seen].sort()), Object.fromEntries([...tally.counts].sort()));
    for (const [key, count] of tally.counts) {
      const [tool, outcome] = key.split('|') as [string, string];
      assert.equal(sumOf(samples, 'manifold_request_duration_seconds_count', { tool, outcome }), count, `latency observations of ${key}`);
    }
    // The unknown name is never a label; the servers are the catalog's.
    assert.ok(!text.includes('no_such_tool'));
    assert.equal(sumOf(samples, 'manifold_requests_total', { server: 'fix', tool: 'fix__text' }), tally.counts.get('fix__text|ok'));
    assert.equal(sumOf(samples, 'manifold_requests_total', { server: 'workflows', tool: 'twice' }), workflowRuns);
    assert.equal(sumOf(samples, 'manifold_requests_in_flight'), 0);
  });

  it('upstream time is counted per request that reached the server; refusals and unknown tools never reach it', async () => {
    const samples = parseSamples((await scrape(gateway.origin)).text);
    const reached = (tally.counts.get('fix__text|ok') ?? 0) + (tally.counts.get('fix__fail|tool_error') ?? 0) + (tally.counts.get('fix__big|ok') ?? 0);
    assert.equal(sumOf(samples, 'manifold_upstream_request_duration_seconds_count', { server: 'fix' }), reached);
    assert.equal(sumOf(samples, 'manifold_upstream_request_duration_seconds_count', { server: 'fix', outcome: 'tool_error' }), tally.counts.get('fix__fail|tool_error'));
    assert.equal(sumOf(samples, 'manifold_rate_limited_total', { kind: 'rate' }), tally.counts.get('fix__big|limited'));
    // The whole pipeline takes at least as long as its upstream part.
    assert.ok(sumOf(samples, 'manifold_request_duration_seconds_sum', { tool: 'fix__fail' }) >= sumOf(samples, 'manifold_upstream_request_duration_seconds_sum', { server: 'fix', outcome: 'tool_error' }));
  });

  it('workflow runs and their steps are counted by outcome', async () => {
    const samples = parseSamples((await scrape(gateway.origin)).text);
    assert.equal(sumOf(samples, 'manifold_workflow_runs_total', { workflow: 'twice', kind: 'workflow', status: 'completed' }), workflowRuns);
    assert.equal(sumOf(samples, 'manifold_workflow_runs_total'), workflowRuns);
    assert.equal(sumOf(samples, 'manifold_workflow_steps_total', { workflow: 'twice', kind: 'call', status: 'ok' }), 2 * workflowRuns);
  });

  it('the page passes promtool check metrics, and has the process metrics', async () => {
    const { text } = await scrape(gateway.origin);
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    const checked = promtoolCheck(text);
    assert.equal(checked.status, 0, `promtool check metrics: ${checked.output}`);
    assert.equal(checked.output.trim(), '', 'promtool found nothing to lint');
  });

  it('an upstream that crashes shows down, then up again with one reconnect counted', async () => {
    const before = parseSamples((await scrape(gateway.origin)).text);
    assert.equal(sumOf(before, 'manifold_upstream_up', { server: 'crashy' }), 1);
    assert.equal(sumOf(before, 'manifold_upstream_state', { server: 'crashy', state: 'ready' }), 1);
    assert.equal(sumOf(before, 'manifold_upstream_reconnects_total', { server: 'crashy' }), 0);
    await using client = await connectHttp(gateway.http.url, { era: 'modern' });
    await assert.rejects(client.callTool({ name: 'crashy__crash', arguments: {} }));
    const down = parseSamples((await scrape(gateway.origin)).text);
    assert.equal(sumOf(down, 'manifold_upstream_up', { server: 'crashy' }), 0, 'down right after the crash');
    assert.equal(sumOf(down, 'manifold_upstream_state', { server: 'crashy', state: 'ready' }), 0);
    assert.equal(sumOf(down, 'manifold_requests_total', { tool: 'crashy__crash', outcome: 'protocol_error' }), 1);
    let up: ReturnType<typeof parseSamples> = [];
    await waitFor(async () => {
      up = parseSamples((await scrape(gateway.origin)).text);
      return sumOf(up, 'manifold_upstream_up', { server: 'crashy' }) === 1;
    }, 'crashy to be up again', 30_000);
    assert.equal(sumOf(up, 'manifold_upstream_reconnects_total', { server: 'crashy' }), 1);
    assert.equal(sumOf(up, 'manifold_upstream_reconnects_total', { server: 'fix' }), 0);
  });
});

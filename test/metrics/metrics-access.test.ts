/**
 * Who may scrape /metrics (docs/OBSERVABILITY.md "Metrics"), the `metrics:` config, the view label, and the
 * result cache's counters on the page.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import { connectWith } from '../e2e/auth-helpers.js';
import { connectHttp, fixtureServer, repoRoot } from '../helpers/gateway.js';
import { type MetricsGateway, parseSamples, promtoolCheck, promtoolCheckRules, scrape, startMetricsGateway, sumOf } from './metrics-helpers.js';

const fullKey = `full-${randomBytes(12).toString('hex')}`;
const viewKey = `view-${randomBytes(12).toString('hex')}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('/metrics on a gateway with auth:', () => {
  let gateway: MetricsGateway;
  before(async () => {
    gateway = await startMetricsGateway({
      servers: { echo: fixtureServer('echo.ts') },
      views: { a: { servers: ['echo'] } },
      auth: { keys: [{ name: 'ops', key: fullKey }, { name: 'viewer', key: viewKey, views: ['a'] }] }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('needs a credential: none or a wrong one is 401, one limited to some views is 403, one that reaches every view scrapes', async () => {
    const none = await scrape(gateway.origin);
    assert.equal(none.status, 401);
    assert.ok(!none.text.includes('manifold_'), 'nothing of the page without a credential');
    assert.equal((await scrape(gateway.origin, '/metrics', bearer('wrong-key-0123456789'))).status, 401);
    const viewer = await scrape(gateway.origin, '/metrics', bearer(viewKey));
    assert.equal(viewer.status, 403);
    assert.match(viewer.text, /reaches only the views a/);
    const ops = await scrape(gateway.origin, '/metrics', bearer(fullKey));
    assert.equal(ops.status, 200, ops.text);
    assert.match(ops.text, /^# TYPE manifold_requests_total counter$/m);
  });

  it('labels a call with the view it came through, in both eras', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      await using client = await connectWith(`${gateway.http.url}/a`, viewKey, era);
      await client.callTool({ name: 'echo__echo', arguments: { message: era } });
    }
    await using whole = await connectWith(gateway.http.url, fullKey, 'modern');
    await whole.callTool({ name: 'echo__echo', arguments: { message: 'whole' } });
    const samples = parseSamples((await scrape(gateway.origin, '/metrics', bearer(fullKey))).text);
    assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'echo__echo', view: 'a', outcome: 'ok' }), 2);
    assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'echo__echo', view: 'default', outcome: 'ok' }), 1);
  });
});

describe('metrics: public, path, enabled', () => {
  it('public: true serves the page at its path without a credential; the MCP endpoint still needs one', async () => {
    await using gateway = await startMetricsGateway({
      servers: { echo: fixtureServer('echo.ts') },
      auth: { keys: [{ name: 'ops', key: fullKey }] },
      metrics: { public: true, path: '/internal/prom' }
    });
    const page = await scrape(gateway.origin, '/internal/prom');
    assert.equal(page.status, 200);
    assert.equal(promtoolCheck(page.text).status, 0);
    assert.equal((await scrape(gateway.origin, '/metrics', bearer(fullKey))).status, 404, 'only the configured path');
    assert.equal((await fetch(gateway.http.url, { method: 'POST', body: '{}' })).status, 401);
  });

  it('enabled: false counts nothing and serves no page', async () => {
    await using gateway = await startMetricsGateway({ servers: { echo: fixtureServer('echo.ts') }, metrics: { enabled: false } });
    assert.equal(gateway.core.metrics, undefined);
    await using client = await connectHttp(gateway.http.url, { era: 'modern' });
    await client.callTool({ name: 'echo__echo', arguments: { message: 'x' } });
    assert.equal((await scrape(gateway.origin)).status, 404);
  });

  it('a path the gateway serves already, or an unknown key, is a startup error naming metrics.<key>', () => {
    assert.throws(() => parseConfig(stringify({ servers: {}, metrics: { path: '/mcp/x' } })), /metrics\.path/);
    assert.throws(() => parseConfig(stringify({ servers: {}, metrics: { path: 'metrics' } })), /metrics\.path/);
    assert.throws(() => parseConfig(stringify({ servers: {}, metrics: { auth: 'none' } })), /metrics/);
  });
});

describe('/metrics: the result cache', () => {
  it('shows the cache counters as the cache counts them', async () => {
    await using gateway = await startMetricsGateway({ servers: { c: fixtureServer('cacheable.ts') }, cache: {} });
    await using client = await connectHttp(gateway.http.url, { era: 'modern' });
    for (let index = 0; index < 3; index++) await client.callTool({ name: 'c__lookup', arguments: { key: 'k' } });
    const samples = parseSamples((await scrape(gateway.origin)).text);
    const stats = gateway.core.cache!.stats();
    assert.equal(stats.hits, 2);
    assert.equal(sumOf(samples, 'manifold_cache_events_total', { server: 'c', event: 'hit' }), 2);
    assert.equal(sumOf(samples, 'manifold_cache_events_total', { server: 'c', event: 'miss' }), 1);
    assert.equal(sumOf(samples, 'manifold_cache_entries'), stats.entries);
    assert.ok(sumOf(samples, 'manifold_cache_bytes') > 0);
    // A hit is a call the client saw answered, counted like any other.
    assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'c__lookup', outcome: 'ok' }), 3);
    assert.equal(sumOf(samples, 'manifold_upstream_request_duration_seconds_count', { server: 'c' }), 1);
  });
});

describe('examples/grafana-dashboard.json', () => {
  it('is valid JSON whose queries parse (promtool check rules) and name only metrics a gateway serves', async () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'examples/grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const expressions = dashboard.panels.flatMap(panel => panel.targets.map(target => target.expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*')));
    assert.ok(expressions.length >= 15);
    // Every query as a recording rule: promtool parses each as PromQL.
    const dir = mkdtempSync(join(tmpdir(), 'manifold-dashboard-'));
    try {
      const rules = join(dir, 'rules.yml');
      writeFileSync(rules, stringify({ groups: [{ name: 'dashboard', rules: expressions.map((expr, index) => ({ record: `dashboard:query${index}`, expr })) }] }));
      const checked = promtoolCheckRules(rules);
      assert.equal(checked.status, 0, checked.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await using gateway = await startMetricsGateway({ servers: { c: fixtureServer('cacheable.ts') }, cache: {}, workflows: { one: { steps: [{ id: 'look', call: 'c__lookup', with: { key: 'x' } }] } } });
    await using client = await connectHttp(gateway.http.url, { era: 'modern' });
    await client.callTool({ name: 'one', arguments: {} });
    const served = new Set(parseSamples((await scrape(gateway.origin)).text).map(sample => sample.name));
    for (const name of new Set(expressions.flatMap(expr => expr.match(/\b(?:manifold|process|nodejs)_[a-z0-9_]+/g) ?? []))) {
      assert.ok(served.has(name), `the dashboard queries ${name}, which the gateway does not serve`);
    }
  });
});

describe('/metrics: limits.http', () => {
  it('counts each HTTP request refused with 429 as kind "http"; scrapes are not counted against the limit', async () => {
    await using gateway = await startMetricsGateway({ servers: { echo: fixtureServer('echo.ts') }, limits: { http: { requests: 2, per: '1h' } } });
    const post = () =>
      fetch(gateway.http.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
      });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await post()).status);
    const refused = statuses.filter(status => status === 429).length;
    assert.equal(refused, 3, `statuses: ${statuses.join(', ')}`);
    for (let index = 0; index < 3; index++) assert.equal((await scrape(gateway.origin)).status, 200);
    const samples = parseSamples((await scrape(gateway.origin)).text);
    assert.equal(sumOf(samples, 'manifold_rate_limited_total', { kind: 'http' }), refused);
    assert.equal(sumOf(samples, 'manifold_rate_limited_total', { kind: 'rate' }), 0);
  });
});

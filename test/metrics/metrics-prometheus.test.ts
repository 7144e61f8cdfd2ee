/**
 * A real Prometheus (the Debian package `prometheus`) scrapes the gateway while clients of both eras call it;
 * PromQL over Prometheus' HTTP API then gives the same sums the clients counted.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { connectHttp, type Era, fixtureServer, waitFor } from '../helpers/gateway.js';
import { startMetricsGateway } from './metrics-helpers.js';

const prometheusPath = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

async function query(origin: string, expression: string): Promise<number | undefined> {
  const response = await fetch(`${origin}/api/v1/query?query=${encodeURIComponent(expression)}`);
  const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const value = body.data?.result?.[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe('a real Prometheus scraping the gateway', () => {
  it('PromQL sums over the scraped series equal what the clients counted', async () => {
    assert.ok(existsSync(prometheusPath), `${prometheusPath} is missing: install the Debian package "prometheus" (apt-get install prometheus)`);
    await using gateway = await startMetricsGateway({ servers: { fix: fixtureServer('workflow-tools.ts') } });
    let ok = 0;
    let failed = 0;
    for (const era of ['legacy', 'modern'] as Era[]) {
      await using client = await connectHttp(gateway.http.url, { era });
      for (let index = 0; index < 4; index++) {
        await client.callTool({ name: 'fix__text', arguments: { text: 'x' } });
        ok++;
      }
      for (let index = 0; index < 3; index++) {
        await client.callTool({ name: 'fix__fail', arguments: { message: 'no' } });
        failed++;
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'manifold-prometheus-'));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s' },
        scrape_configs: [{ job_name: 'manifold', metrics_path: '/metrics', static_configs: [{ targets: [new URL(gateway.origin).host] }] }]
      })
    );
    const prometheus: ChildProcess = spawn(
      prometheusPath,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    let log = '';
    prometheus.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await waitFor(async () => (await query(origin, 'up{job="manifold"}').catch(() => undefined)) === 1, `Prometheus to scrape the gateway:\n${log}`, 60_000);
      const sum = (expression: string) => query(origin, expression);
      assert.equal(await sum('sum(manifold_requests_total{job="manifold", tool="fix__text", outcome="ok"})'), ok);
      assert.equal(await sum('sum(manifold_requests_total{job="manifold", tool="fix__fail", outcome="tool_error"})'), failed);
      assert.equal(await sum('sum(manifold_requests_total{job="manifold"})'), ok + failed);
      assert.equal(await sum('sum(manifold_upstream_request_duration_seconds_count{job="manifold", server="fix"})'), ok + failed);
      assert.equal(await sum('manifold_upstream_up{job="manifold", server="fix"}'), 1);
    } finally {
      prometheus.kill('SIGTERM');
      await new Promise(resolve => (prometheus.exitCode !== null ? resolve(undefined) : prometheus.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

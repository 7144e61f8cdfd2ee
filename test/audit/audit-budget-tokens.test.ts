/**
 * The audit log and the metrics agree on outcomes (one classifier): a call a token budget refuses is `limited` in
 * its audit row and in `manifold_requests_total`, and counted as kind "budget" in `manifold_rate_limited_total`.
 * With token accounting on, each call's tokens are chained in a `tokens` row naming its row, equal to what usage
 * counted and to `manifold_tokens_total`, whose page passes promtool; the chain with those rows verifies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { verifyAudit } from '../../src/audit/index.js';
import { type AuditRow, type SqliteRunStore, SqliteAuditStore } from '../../src/store/index.js';
import { connectHttp, fixtureServer, repoRoot } from '../helpers/gateway.js';
import { parseSamples, promtoolCheck, scrape, startMetricsGateway, sumOf } from '../metrics/metrics-helpers.js';

function auditRowsOf(path: string): AuditRow[] {
  const store = new SqliteAuditStore(path);
  try {
    return [...store.rows()];
  } finally {
    store.close();
  }
}

describe('a budget refusal, and tokens, in the audit log and the metrics', { timeout: 120_000 }, () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era}: the refused call is limited in both; tokens rows equal usage's counts and manifold_tokens_total`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'manifold-audit-budget-'));
      const path = join(dir, 'manifold.db');
      await using _cleanup = { [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }) };
      await using gateway = await startMetricsGateway({
        servers: { fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
        store: { path },
        budgets: [{ name: 'local-hourly', principal: 'local', per: 'hour', resultTokens: 60 }]
      });
      await using client = await connectHttp(`${gateway.http.url}`, { era });
      const answered: string[] = [];
      let refused: Awaited<ReturnType<typeof client.callTool>> | undefined;
      for (let i = 0; i < 20 && !refused; i++) {
        const result = await client.callTool({ name: 'fix__text', arguments: { text: `call ${i} `.repeat(8) } });
        if (result.isError === true) refused = result;
        else answered.push(`call ${i}`);
      }
      assert.ok(refused, 'the budget refused a call');
      assert.ok(answered.length >= 1);
      assert.equal((refused._meta as Record<string, { code?: string }>)['manifold/budget']?.code, 'BUDGET_EXCEEDED');
      // A list is counted, never refused.
      await client.listTools();

      // The audit row of the refused call, and its metric.
      let rows = auditRowsOf(path);
      const calls = rows.filter(row => row.method === 'tools/call');
      assert.equal(calls.length, answered.length + 1);
      const last = calls.at(-1)!;
      assert.equal(last.outcome, 'limited');
      assert.equal(last.error, 'BUDGET_EXCEEDED');
      assert.deepEqual(calls.slice(0, -1).map(row => row.outcome), answered.map(() => 'ok'));
      let samples = parseSamples((await scrape(gateway.origin)).text);
      assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'fix__text', outcome: 'limited' }), 1);
      assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'fix__text', outcome: 'ok' }), answered.length);
      assert.equal(sumOf(samples, 'manifold_requests_total', { tool: 'fix__text', outcome: 'tool_error' }), 0);
      assert.equal(sumOf(samples, 'manifold_rate_limited_total', { kind: 'budget' }), 1);

      // Tokens rows: one per answered call (a refused call is not counted), chained after it, naming it.
      for (let wait = 0; wait < 100; wait++) {
        rows = auditRowsOf(path);
        if (rows.filter(row => row.method === 'tokens').length >= answered.length) break;
        await delay(50);
      }
      const tokens = rows.filter(row => row.method === 'tokens');
      assert.equal(tokens.length, answered.length, JSON.stringify(rows.map(row => [row.seq, row.method, row.ref])));
      const bySeq = new Map(rows.map(row => [row.seq, row]));
      for (const row of tokens) {
        const call = bySeq.get(row.ref!);
        assert.ok(call && call.method === 'tools/call' && call.outcome === 'ok' && row.seq > call.seq, `tokens row ${row.seq} names call row ${row.ref}`);
        assert.equal(row.target, 'fix__text');
        assert.ok(row.resultTokens! > 0 && row.inputTokens! > 0, JSON.stringify(row));
      }
      gateway.core.usage!.accounting.settle();
      const usage = (gateway.core.workflows.store as SqliteRunStore).usageSince(0).filter(row => row.tool === 'fix__text');
      const counted = { input: usage.reduce((sum, row) => sum + row.inputTokens, 0), result: usage.reduce((sum, row) => sum + row.resultTokens, 0) };
      assert.deepEqual({ input: tokens.reduce((sum, row) => sum + row.inputTokens!, 0), result: tokens.reduce((sum, row) => sum + row.resultTokens!, 0) }, counted);
      assert.ok(counted.result >= 60, `the answered calls reached the budget: ${counted.result}`);

      // manifold_tokens_total: the same sums, and the page passes promtool.
      const page = (await scrape(gateway.origin)).text;
      samples = parseSamples(page);
      assert.equal(sumOf(samples, 'manifold_tokens_total', { tool: 'fix__text', server: 'fix', view: 'default', kind: 'result' }), counted.result);
      assert.equal(sumOf(samples, 'manifold_tokens_total', { tool: 'fix__text', kind: 'input' }), counted.input);
      assert.ok(sumOf(samples, 'manifold_tokens_total', { tool: 'list:tools', kind: 'result' }) > 0, 'the client\'s tools/list is counted too');
      const checked = promtoolCheck(page);
      assert.equal(checked.status, 0, checked.output);

      // The chain, tokens rows included, verifies.
      const store = new SqliteAuditStore(path);
      try {
        const verified = verifyAudit(store, undefined);
        assert.equal(verified.ok, true, verified.problem?.message);
        // `manifold audit` lists the calls with their tokens, not the tokens rows.
        const listed = store.query({ limit: 1000 });
        assert.ok(listed.every(row => row.method !== 'tokens'));
        assert.deepEqual(listed.filter(row => row.tokens).map(row => row.tokens!.result), tokens.map(row => row.resultTokens));
      } finally {
        store.close();
      }
    });
  }
});

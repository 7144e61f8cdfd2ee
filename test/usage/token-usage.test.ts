/**
 * Token accounting and budgets (issue 12, item 2) through a real gateway on loopback HTTP, with API keys as
 * principals and real SDK clients of both eras: the store's sums equal the tokens of what each client received
 * (tokenized here with the same tokenizer), lists and retrieve_tools count, budgets refuse from the first call
 * after the one that crossed them, a per-run budget stops a workflow's next step, and `manifold usage --json`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { countTextTokens } from '../../src/discovery/index.js';
import type { SqliteRunStore, UsageRow } from '../../src/store/index.js';
import { type AuthGateway, connectWith, startAuthGateway, textOf } from '../e2e/auth-helpers.js';
import { type ScriptedModelServer, startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { runCli } from '../helpers/fixtures.js';
import { fixtureServer, repoRoot } from '../helpers/gateway.js';

const fix = fixtureServer('workflow-tools.ts', [], { cwd: repoRoot });
const key = (name: string) => `${name}-${randomBytes(16).toString('hex')}`;
const aliceKey = key('alice');
const bobKey = key('bob');
const carolKey = key('carol');
const daveKey = key('dave');
const readerKeys = { modern: key('reader-modern'), legacy: key('reader-legacy') };
/**
 * What the gateway counts of an answer, written out here on its own: JSON with sorted keys, without the protocol
 * envelope the SDK adds on the wire (its `io.modelcontextprotocol/*` _meta keys, list cache hints, an empty _meta).
 */
function tokensOf(value: unknown): number {
  const strip = (answer: Record<string, unknown>) => {
    const { ttlMs: _ttl, cacheScope: _scope, resultType: _type, _meta, ...rest } = answer;
    const meta = Object.fromEntries(Object.entries((_meta ?? {}) as Record<string, unknown>).filter(([name]) => !name.startsWith('io.modelcontextprotocol/')));
    return Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
  };
  const sorted = (inner: unknown): unknown =>
    Array.isArray(inner)
      ? inner.map(sorted)
      : inner !== null && typeof inner === 'object'
        ? Object.fromEntries(Object.keys(inner).sort().map(name => [name, sorted((inner as Record<string, unknown>)[name])]))
        : inner;
  const shaped = value !== null && typeof value === 'object' && !Array.isArray(value) ? strip(value as Record<string, unknown>) : value;
  return countTextTokens(JSON.stringify(sorted(shaped)));
}

function rowsOf(gateway: AuthGateway): UsageRow[] {
  gateway.core.usage?.accounting.settle();
  return (gateway.core.workflows.store as SqliteRunStore).usageSince(0);
}

function sum(rows: readonly UsageRow[], where: (row: UsageRow) => boolean, field: 'calls' | 'inputTokens' | 'resultTokens' | 'modelTokens'): number {
  return rows.filter(where).reduce((total, row) => total + row[field], 0);
}

describe('token accounting: what clients received, per principal, view, tool, server and workflow', () => {
  let gateway: AuthGateway;
  before(async () => {
    gateway = await startAuthGateway({
      servers: { fix },
      auth: { keys: [{ name: 'alice', key: aliceKey }, { name: 'bob', key: bobKey }] },
      views: { search: { discovery: 'search' } },
      usage: { enabled: true },
      workflows: {
        pair: {
          description: 'Calls fix__text twice',
          steps: [
            { id: 'a', call: 'fix__text', with: { text: 'first step of the pair' } },
            { id: 'b', call: 'fix__text', with: { text: 'second step of the pair, a little longer' } }
          ]
        }
      }
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  for (const era of ['modern', 'legacy'] as const) {
    it(`${era}: tools/list, tool results and retrieve_tools are counted per principal, view and tool, equal to hand counts`, async () => {
      const principal = era === 'modern' ? 'alice' : 'bob';
      await using client = await connectWith(`${gateway.http.url}`, era === 'modern' ? aliceKey : bobKey, era);
      await using viewClient = await connectWith(`${gateway.http.url}/search`, era === 'modern' ? aliceKey : bobKey, era);
      const before = rowsOf(gateway);
      const listed = await client.listTools();
      const text = `${era} says hello to the token counter ${'and more words '.repeat(20)}`;
      const called = await client.callTool({ name: 'fix__text', arguments: { text } });
      assert.equal(textOf(called), text);
      const retrieved = await viewClient.callTool({ name: 'retrieve_tools', arguments: { query: 'text as it is' } });
      assert.notEqual(retrieved.isError, true);
      const after = rowsOf(gateway);
      const delta = (where: (row: UsageRow) => boolean, field: 'calls' | 'inputTokens' | 'resultTokens') =>
        sum(after, where, field) - sum(before, where, field);
      const mine = (row: UsageRow) => row.principal === principal;

      assert.equal(delta(row => mine(row) && row.tool === 'list:tools' && row.view === '', 'resultTokens'), tokensOf(listed));
      assert.equal(delta(row => mine(row) && row.tool === 'list:tools' && row.view === '', 'calls'), 1);
      assert.equal(delta(row => mine(row) && row.tool === 'fix__text' && row.server === 'fix', 'resultTokens'), tokensOf(called));
      assert.equal(delta(row => mine(row) && row.tool === 'fix__text' && row.server === 'fix', 'inputTokens'), tokensOf({ text }));
      assert.equal(delta(row => mine(row) && row.tool === 'retrieve_tools' && row.view === 'search', 'resultTokens'), tokensOf(retrieved));
      assert.equal(delta(row => mine(row) && row.tool === 'retrieve_tools', 'calls'), 1);
      // Nothing of this caller was counted under another principal.
      assert.equal(delta(row => !mine(row), 'calls'), 0);
    });
  }

  it("a workflow's step results count under the workflow, beside its own result", async () => {
    await using client = await connectWith(gateway.http.url, aliceKey, 'modern');
    const before = rowsOf(gateway);
    const result = await client.callTool({ name: 'pair', arguments: {} });
    assert.notEqual(result.isError, true, textOf(result));
    const after = rowsOf(gateway);
    const delta = (where: (row: UsageRow) => boolean, field: 'calls' | 'resultTokens') => sum(after, where, field) - sum(before, where, field);
    const steps = [{ text: 'first step of the pair' }, { text: 'second step of the pair, a little longer' }];
    const stepTokens = steps.reduce((total, step) => total + tokensOf({ content: [{ type: 'text', text: step.text }] }), 0);
    assert.equal(delta(row => row.workflow === 'pair' && row.tool === 'fix__text', 'calls'), 2);
    assert.equal(delta(row => row.workflow === 'pair' && row.tool === 'fix__text', 'resultTokens'), stepTokens);
    assert.equal(delta(row => row.workflow === 'pair' && row.tool === 'pair', 'resultTokens'), tokensOf(result));
  });

  it('manifold usage --json groups the stored rows by principal and by tool', async () => {
    const rows = rowsOf(gateway);
    const cli = await runCli(['usage', '--by', 'principal', '--json', '--config', gateway.configPath]);
    assert.equal(cli.code, 0, cli.stderr);
    const report = JSON.parse(cli.stdout) as { by: string; groups: Array<{ key: string; calls: number; resultTokens: number; inputTokens: number; modelTokens: number; totalTokens: number }> };
    assert.equal(report.by, 'principal');
    for (const name of ['alice', 'bob']) {
      const group = report.groups.find(entry => entry.key === name);
      assert.ok(group, `no group for ${name}: ${cli.stdout}`);
      assert.equal(group.calls, sum(rows, row => row.principal === name, 'calls'));
      assert.equal(group.resultTokens, sum(rows, row => row.principal === name, 'resultTokens'));
      assert.equal(group.totalTokens, group.resultTokens + group.modelTokens);
    }
    const byTool = await runCli(['usage', '--by', 'tool', '--since', '1h', '--json', '--config', gateway.configPath]);
    const tools = JSON.parse(byTool.stdout) as { groups: Array<{ key: string; calls: number }> };
    assert.equal(tools.groups.find(entry => entry.key === 'pair')?.calls, 1);
    const bad = await runCli(['usage', '--by', 'colour', '--config', gateway.configPath]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--by: expected one of tool, server, view, workflow, principal, got "colour"/);
  });
});

describe('budgets: refused from the first call after the one that crossed them', () => {
  let gateway: AuthGateway;
  const big = 'tokens '.repeat(400);
  before(async () => {
    gateway = await startAuthGateway({
      servers: { fix, c: fixtureServer('cacheable.ts', [], { cwd: repoRoot }) },
      auth: {
        keys: [
          { name: 'alice', key: aliceKey },
          { name: 'bob', key: bobKey },
          { name: 'carol', key: carolKey },
          { name: 'dave', key: daveKey },
          { name: 'reader-modern', key: readerKeys.modern },
          { name: 'reader-legacy', key: readerKeys.legacy }
        ]
      },
      workflows: {
        three: {
          description: 'Calls fix__text three times',
          steps: [
            { id: 'a', call: 'fix__text', with: { text: big } },
            { id: 'b', call: 'fix__text', with: { text: 'second' } },
            { id: 'c', call: 'fix__text', with: { text: 'third' } }
          ]
        }
      },
      budgets: [
        { name: 'alice-hourly', principal: 'alice', per: 'hour', resultTokens: 300 },
        { name: 'dave-hourly', principal: 'dave', per: 'hour', resultTokens: 300 },
        { name: 'reads', principal: 'reader-*', per: 'day', resultTokens: 1 },
        { name: 'per-run', per: 'run', workflow: 'three', tokens: 200 }
      ]
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  for (const era of ['modern', 'legacy'] as const) {
    it(`${era}: calls run until the caller's results reach 300 tokens; the next is refused with the budget and its reset`, async () => {
      const name = era === 'modern' ? 'alice' : 'dave';
      await using alice = await connectWith(gateway.http.url, era === 'modern' ? aliceKey : daveKey, era);
      const small = await alice.callTool({ name: 'fix__text', arguments: { text: 'small' } });
      assert.notEqual(small.isError, true);
      const crossing = await alice.callTool({ name: 'fix__text', arguments: { text: big } });
      assert.notEqual(crossing.isError, true, 'the call that crosses the budget is answered');
      const used = tokensOf(small) + tokensOf(crossing);
      assert.ok(used >= 300, `the two results hold ${used} tokens`);
      const refused = await alice.callTool({ name: 'fix__text', arguments: { text: 'one more' } });
      assert.equal(refused.isError, true);
      // Right after the hour turns, the next reset is a full hour away ("in 1 h 0 m").
      assert.match(
        textOf(refused),
        new RegExp(`^token budget "${name}-hourly" spent for ${name}: ${used} of 300 result tokens this hour \\(UTC\\); resets at \\d{4}-\\d{2}-\\d{2}T\\d{2}:00:00\\.000Z \\(in (1 h 0 m|\\d+ m)\\)$`)
      );
      const meta = (refused._meta as Record<string, Record<string, unknown>>)['manifold/budget'];
      assert.equal(meta?.code, 'BUDGET_EXCEEDED');
      assert.equal(meta?.name, `${name}-hourly`);
      assert.equal(meta?.principal, name);
      assert.equal(meta?.used, used);
      assert.equal(Date.parse(String(meta?.resetsAt)) % 3_600_000, 0);
      // The refused call ran nowhere and was not counted.
      const rows = rowsOf(gateway);
      assert.equal(sum(rows, row => row.principal === name && row.tool === 'fix__text', 'calls'), 2);
    });
  }

  for (const era of ['modern', 'legacy'] as const) {
    it(`${era}: a resource read is counted as received; the next read is a BUDGET_EXCEEDED JSON-RPC error (-32031)`, async () => {
      const name = `reader-${era}`;
      await using reader = await connectWith(gateway.http.url, readerKeys[era], era);
      const read = await reader.readResource({ uri: 'data://nohint' });
      assert.equal(sum(rowsOf(gateway), row => row.principal === name && row.tool === 'resource:data://nohint' && row.server === 'c', 'resultTokens'), tokensOf(read));
      // Another URI: a client may keep a read it was told it can (the fixture's hints), and not ask again.
      await assert.rejects(reader.readResource({ uri: 'data://item/second' }), (error: Error & { code?: number; data?: Record<string, unknown> }) => {
        assert.equal(error.code, -32031);
        assert.match(error.message, new RegExp(`token budget "reads" spent for ${name}: ${tokensOf(read)} of 1 result tokens this day \\(UTC\\); resets at \\d{4}-\\d{2}-\\d{2}T00:00:00\\.000Z`));
        assert.equal((error.data?.budget as { name?: string } | undefined)?.name, 'reads');
        return true;
      });
    });
  }

  it("legacy: a principal without a budget is not held by another's", async () => {
    await using bob = await connectWith(gateway.http.url, bobKey, 'legacy');
    for (let index = 0; index < 3; index++) {
      const result = await bob.callTool({ name: 'fix__text', arguments: { text: big } });
      assert.notEqual(result.isError, true, textOf(result));
    }
  });

  it("per run: the workflow's step after the one that spent its run's 200 tokens is refused, and the run fails saying so", async () => {
    await using carol = await connectWith(gateway.http.url, carolKey, 'modern');
    const result = await carol.callTool({ name: 'three', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result), /token budget \\"per-run\\" spent by run run_[^ ]+ of workflow \\"three\\": \d+ of 200 tokens \(results and model\) for one run/);
    const rows = rowsOf(gateway);
    assert.equal(sum(rows, row => row.workflow === 'three' && row.tool === 'fix__text', 'calls'), 1, 'steps b and c never ran');
    // A new run starts from zero: it gets as far as the first again.
    const again = await carol.callTool({ name: 'three', arguments: {} });
    assert.equal(again.isError, true);
    assert.equal(sum(rowsOf(gateway), row => row.workflow === 'three' && row.tool === 'fix__text', 'calls'), 2);
  });
});

describe('model tokens: a workflow model step\'s usage is counted, and a run budget of model tokens stops the next step', () => {
  let gateway: AuthGateway;
  let model: ScriptedModelServer;
  const steps = (name: string) => [
    { id: 'sum', parallel: { a: { call: 'fix__text', with: { text: `${name} input` } } }, aggregate: { model: 'local', instruction: 'Sum up.' } },
    { id: 'after', call: 'fix__text', with: { text: 'after the model' } }
  ];
  before(async () => {
    model = await startScriptedModelServer();
    model.reset(() => ({ text: 'the summary', usage: { input: 10, output: 2 } }));
    gateway = await startAuthGateway({
      servers: { fix },
      auth: { keys: [{ name: 'alice', key: aliceKey }] },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
      workflows: { summary: { steps: steps('summary') }, digest: { steps: steps('digest') } },
      budgets: [{ name: 'digest-models', per: 'run', workflow: 'digest', modelTokens: 12 }]
    });
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
    await model?.[Symbol.asyncDispose]();
  });

  it('modern: the workflow row carries the model step\'s 12 tokens; the budgeted workflow fails at its next step', async () => {
    await using client = await connectWith(gateway.http.url, aliceKey, 'modern');
    const summary = await client.callTool({ name: 'summary', arguments: {} });
    assert.notEqual(summary.isError, true, JSON.stringify(summary));
    const rows = rowsOf(gateway);
    assert.equal(sum(rows, row => row.tool === 'summary' && row.workflow === 'summary', 'modelTokens'), 12);
    assert.equal(sum(rows, row => row.workflow === 'summary' && row.tool === 'fix__text', 'calls'), 2);

    const digest = await client.callTool({ name: 'digest', arguments: {} });
    assert.equal(digest.isError, true);
    assert.match(JSON.stringify(digest), /token budget \\"digest-models\\" spent by run run_\S+ of workflow \\"digest\\": 12 of 12 model tokens for one run/);
    assert.equal(sum(rowsOf(gateway), row => row.workflow === 'digest' && row.tool === 'fix__text', 'calls'), 1, 'the step after the model step never ran');
  });
});

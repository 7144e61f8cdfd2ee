/**
 * The audit log against what real SDK clients saw: stdio and HTTP in both protocol eras, a workflow's steps, a
 * call the rules deny and one a limit refuses, each with its own row, outcome and target; `manifold audit` lists
 * them and `manifold audit verify` passes the chain two gateway processes wrote into one store.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, connectStdio, fixtureServer, npmServerPath, startHttpGateway, writeConfig } from '../helpers/gateway.js';
import { auditCli, auditRows, type Row, sha256 } from './helpers.js';

function config() {
  return {
    servers: { fix: fixtureServer('workflow-tools.ts'), everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] } },
    views: { ops: { servers: ['fix'] }, find: { discovery: 'search' } },
    rules: [{ deny: 'tool == "fix__text" && arguments.text == "forbidden"' }],
    limits: { calls: [{ name: 'needs-once', tool: 'fix__needs', requests: 1, per: '1h' }] },
    workflows: {
      pair: {
        steps: [
          { id: 'first', call: 'fix__text', with: { text: 'one' } },
          { id: 'second', call: 'fix__text', with: { text: 'two' } }
        ]
      }
    },
    audit: { arguments: true, checkpointEvery: 3 }
  };
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return (error as Error).message;
  }
  return '(answered)';
}

describe('the audit log', { timeout: 180_000 }, () => {
  it('has one row per answered request of stdio and HTTP clients (both eras), workflow steps, denied and limited calls; audit verify passes', async () => {
    await using written = writeConfig(config());
    await using gateway = await startHttpGateway(written.path);
    const expected: { method: string; target: string; outcome: string; principal?: string; view?: string | null; runId?: boolean; stepId?: string | null; args?: unknown }[] = [];
    for (const era of ['legacy', 'modern'] as const) {
      await using client = await connectHttp(gateway.url, { era });
      const ok = await client.callTool({ name: 'fix__text', arguments: { text: `hello ${era}`, token: 'sk-live-1' } });
      assert.equal(ok.isError, undefined);
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'ok', args: { text: `hello ${era}`, token: 'sk-live-1' } });
      const failed = await client.callTool({ name: 'fix__fail', arguments: { message: 'boom' } });
      assert.equal(failed.isError, true);
      expected.push({ method: 'tools/call', target: 'fix__fail', outcome: 'tool_error' });
      assert.match(await refusal(client.callTool({ name: 'fix__text', arguments: { text: 'forbidden' } })), /unknown tool "fix__text"/);
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'denied' });
      assert.match(await refusal(client.callTool({ name: 'nope__nothing', arguments: {} })), /unknown tool/);
      expected.push({ method: 'tools/call', target: 'nope__nothing', outcome: 'protocol_error' });
      const prompt = (await client.listPrompts()).prompts.find(candidate => !(candidate.arguments ?? []).some(argument => argument.required));
      assert.ok(prompt, 'server-everything lists a prompt without required arguments');
      await client.getPrompt({ name: prompt.name });
      expected.push({ method: 'prompts/get', target: prompt.name, outcome: 'ok' });
      const resource = (await client.listResources()).resources[0];
      assert.ok(resource);
      await client.readResource({ uri: resource.uri });
      expected.push({ method: 'resources/read', target: resource.uri, outcome: 'ok' });
      const run = await client.callTool({ name: 'pair', arguments: {} });
      assert.equal(run.isError, undefined, JSON.stringify(run.content));
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'ok', runId: true, stepId: 'first' });
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'ok', runId: true, stepId: 'second' });
      expected.push({ method: 'tools/call', target: 'pair', outcome: 'ok' });
    }
    // The limit lets one call of fix__needs through in an hour: the second is limited (a tool error saying so).
    {
      await using client = await connectHttp(`${gateway.url}/ops`, { era: 'modern' });
      const first = await client.callTool({ name: 'fix__needs', arguments: { a: 'x', b: 1 } });
      assert.equal(first.isError, undefined, JSON.stringify(first.content));
      expected.push({ method: 'tools/call', target: 'fix__needs', outcome: 'ok', view: 'ops' });
      const second = await client.callTool({ name: 'fix__needs', arguments: { a: 'x', b: 2 } });
      assert.equal(second.isError, true);
      expected.push({ method: 'tools/call', target: 'fix__needs', outcome: 'limited', view: 'ops' });
    }
    // call_tool of a search view: one row, for the tool it called, with the view.
    {
      await using client = await connectHttp(`${gateway.url}/find`, { era: 'legacy' });
      const result = await client.callTool({ name: 'call_tool', arguments: { name: 'fix__text', arguments: { text: 'found' } } });
      assert.equal(result.isError, undefined, JSON.stringify(result.content));
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'ok', view: 'find' });
    }
    // A stdio gateway on the same config appends to the same store: one chain across both processes.
    {
      await using stdio = await connectStdio(written.path, { era: 'modern' });
      await stdio.client.callTool({ name: 'fix__text', arguments: { text: 'via stdio' } });
      expected.push({ method: 'tools/call', target: 'fix__text', outcome: 'ok' });
    }
    await gateway.stop();

    const rows = await auditRows(written.path);
    const summary = (row: Pick<Row, 'method' | 'target' | 'outcome'>) => `${row.method} ${row.target} ${row.outcome}`;
    assert.deepEqual(rows.map(summary).sort(), expected.map(summary).sort(), 'one row per answered request, with its outcome');
    assert.deepEqual(rows.map(row => row.seq), rows.map((_row, index) => index + 1));
    for (const row of rows) assert.equal(row.principal, 'local:local');
    const hello = rows.find(row => row.target === 'fix__text' && row.arguments?.includes('hello legacy'));
    assert.ok(hello);
    assert.equal(hello.server, 'fix');
    assert.equal(hello.upstream, 'text');
    assert.equal(hello.argsDigest, sha256('{"text":"hello legacy","token":"sk-live-1"}'));
    assert.deepEqual(JSON.parse(hello.arguments ?? ''), { text: 'hello legacy', token: '[redacted]' }, 'secrets are redacted');
    assert.ok(hello.resultSize > 0);
    const steps = rows.filter(row => row.stepId !== null);
    assert.deepEqual(steps.map(row => row.stepId).sort(), ['first', 'first', 'second', 'second']);
    for (const step of steps) assert.match(step.runId ?? '', /\S/);
    assert.equal(new Set(steps.map(row => row.runId)).size, 2, 'two runs, each with its two steps');
    assert.deepEqual(rows.filter(row => row.view === 'ops').map(row => row.outcome), ['ok', 'limited']);
    assert.deepEqual(rows.filter(row => row.view === 'find').map(row => `${row.target} ${row.server}`), ['fix__text fix']);
    assert.equal(rows.filter(row => row.outcome === 'limited')[0]?.error, 'RATE_LIMITED');
    assert.equal(new Set(rows.map(row => row.session)).size >= 4, true, 'each client session is named');
    const prompt = rows.find(row => row.method === 'prompts/get');
    assert.equal(prompt?.server, 'everything');

    // Filters.
    const denied = await auditCli(written.path, ['--tool', 'fix__te*', '--json']);
    assert.equal((JSON.parse(denied.stdout) as Row[]).length, rows.filter(row => row.target === 'fix__text').length);
    const byServer = JSON.parse((await auditCli(written.path, ['--server', 'everything', '--json'])).stdout) as Row[];
    assert.equal(byServer.length, 4);
    const table = await auditCli(written.path, ['--limit', '2']);
    assert.equal(table.code, 0);
    assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);

    const verified = await auditCli(written.path, ['verify']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, new RegExp(`rows 1–${rows.length} \\(${rows.length}\\) chain`));
  });

  it('no row goes missing under concurrent calls, and a bad audit: is a startup error naming the key', async () => {
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { checkpointEvery: 50 } });
    await using gateway = await startHttpGateway(written.path);
    const clients = await Promise.all(Array.from({ length: 4 }, (_, index) => connectHttp(gateway.url, { era: index % 2 === 0 ? 'legacy' : 'modern' })));
    let answered = 0;
    await Promise.all(
      clients.flatMap((client, index) =>
        Array.from({ length: 50 }, async (_, call) => {
          await client.callTool({ name: 'fix__text', arguments: { text: `${index}-${call}` } });
          answered++;
        })
      )
    );
    for (const client of clients) await client.close();
    await gateway.stop();
    const rows = await auditRows(written.path);
    assert.equal(answered, 200);
    assert.equal(rows.length, 200);
    assert.deepEqual(new Set(rows.map(row => row.argsDigest)).size, 200);
    assert.equal((await auditCli(written.path, ['verify'])).code, 0);

    await using bad = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { signingKey: 'not a key', keepDays: -1 } });
    const failed = await auditCli(bad.path, ['verify']);
    assert.equal(failed.code !== 0, true);
    assert.match(failed.stderr, /audit\.keepDays/);
  });
});

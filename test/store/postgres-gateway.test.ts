/**
 * A gateway with `store: postgres://…`: it serves calls through real SDK clients, writes their audit rows and
 * its workflow runs to PostgreSQL, and `manifold audit`, `manifold audit verify` and `manifold runs` read them
 * there (with the URL in the config, or in MANIFOLD_STORE). When PostgreSQL stops, calls are still answered
 * (audit.onFailure: serve), the log says which store failed and what to do, and rows are written again once
 * it is back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { stringify } from 'yaml';

import { auditCli, auditRows } from '../audit/helpers.js';
import { connectHttp, fixtureServer, manifoldCommand, repoRoot, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';
import { type PostgresServer, startPostgres } from '../helpers/postgres.js';

const run = promisify(execFile);

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

async function manifold(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(manifoldCommand.command, [...manifoldCommand.args, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('a gateway on a PostgreSQL store', { timeout: 240_000 }, () => {
  it('records audit rows and runs there, the CLI reads and verifies them, and PostgreSQL going away and coming back loses no answer', async () => {
    const url = await server.createDatabase();
    await using written = writeConfig({
      servers: { fix: fixtureServer('workflow-tools.ts') },
      store: url,
      workflows: { pair: { steps: [{ id: 'first', call: 'fix__text', with: { text: 'one' } }, { id: 'second', call: 'fix__text', with: { text: 'two' } }] } },
      audit: { checkpointEvery: 3 }
    });
    await using gateway = await startHttpGateway(written.path);
    {
      await using client = await connectHttp(gateway.url, { era: 'modern' });
      for (const text of ['a', 'b', 'c']) {
        const result = await client.callTool({ name: 'fix__text', arguments: { text } });
        assert.equal(result.isError, undefined, JSON.stringify(result.content));
      }
      const workflow = await client.callTool({ name: 'pair', arguments: {} });
      assert.equal(workflow.isError, undefined, JSON.stringify(workflow.content));

      await server.halt();
      const during = await client.callTool({ name: 'fix__text', arguments: { text: 'while down' } });
      assert.equal(during.isError, undefined, 'answered although the audit row could not be written');
      await waitFor(() => /cannot reach the PostgreSQL store postgres:\/\/manifold@127\.0\.0\.1:\d+\/\w+/.test(gateway.stderr()), 'the store error in the log');
      assert.match(gateway.stderr(), /Start PostgreSQL or correct the URL/);
      assert.equal(gateway.process.exitCode, null, 'the gateway is still running');

      await server.start();
      const back = await client.callTool({ name: 'fix__text', arguments: { text: 'back' } });
      assert.equal(back.isError, undefined);
    }
    assert.equal(await gateway.stop(), 0, gateway.stderr());

    const rows = await auditRows(written.path);
    assert.deepEqual(
      rows.map(row => `${row.target} ${row.outcome}${row.stepId ? ` ${row.stepId}` : ''}`),
      ['fix__text ok', 'fix__text ok', 'fix__text ok', 'fix__text ok first', 'fix__text ok second', 'pair ok', 'fix__text ok'],
      'every answered call has its row, except the one answered while the store was down'
    );
    const verified = await auditCli(written.path, ['verify']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /audit log intact: rows 1–7 \(7\) chain/);

    const runs = await manifold(['runs', '--json', '--config', written.path]);
    assert.equal(runs.code, 0, runs.stderr);
    const listed = JSON.parse(runs.stdout) as { workflow: string; status: string; steps: number }[];
    assert.deepEqual(listed.map(entry => [entry.workflow, entry.status, entry.steps]), [['pair', 'completed', 2]]);

    // The same store through MANIFOLD_STORE, for a config that names none.
    const bare = join(written.dir, 'bare.yaml');
    writeFileSync(bare, stringify({ servers: {} }));
    const viaEnv = await manifold(['runs', '--json', '--config', bare], { MANIFOLD_STORE: url });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.deepEqual((JSON.parse(viaEnv.stdout) as { workflow: string }[]).map(entry => entry.workflow), ['pair']);
  });

  it('keeps tool pins there: the gateway records them, `manifold tools block` on the same database hides the tool, and the decision is audited in the one chain', async () => {
    const url = await server.createDatabase();
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, store: url, audit: { checkpointEvery: 3 } });
    await using gateway = await startHttpGateway(written.path);
    {
      await using client = await connectHttp(gateway.url, { era: 'modern' });
      const names = async () => (await client.listTools()).tools.map(tool => tool.name);
      assert.ok((await names()).includes('fix__text'));
      const pins = await manifold(['tools', 'pins', '--json', '--config', written.path]);
      assert.equal(pins.code, 0, pins.stderr);
      const listed = JSON.parse(pins.stdout) as { tool: string; state: string }[];
      assert.deepEqual(listed.find(pin => pin.tool === 'fix__text')?.state, 'approved', pins.stdout);
      const blocked = await manifold(['tools', 'block', 'fix__text', '--config', written.path]);
      assert.equal(blocked.code, 0, blocked.stderr);
      await waitFor(async () => !(await names()).includes('fix__text'), 'fix__text to leave the list (the gateway reads the pins revision in PostgreSQL)', 10_000);
    }
    assert.equal(await gateway.stop(), 0, gateway.stderr());
    const rows = await auditRows(written.path);
    assert.ok(rows.some(row => row.method === 'manifold/tools.block' && row.target === 'fix__text'), JSON.stringify(rows.map(row => row.method)));
    const verified = await auditCli(written.path, ['verify']);
    assert.equal(verified.code, 0, verified.stderr);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, type Era, startHttpGateway, waitFor } from '../helpers/gateway.js';
import { firstText, runCli } from '../helpers/fixtures.js';
import { refusal, rugPullConfig, toolNames } from './helpers.js';

interface Retrieved {
  tools: Array<{ name: string }>;
}

describe('pinning: a rug pull through the gateway', () => {
  for (const era of ['legacy', 'modern'] as const satisfies readonly Era[]) {
    it(`${era} server and client: the changed tool leaves lists and search, its call is refused, diff shows it, approve brings it back without a restart, decisions survive a restart`, async () => {
      await using config = rugPullConfig({ era, extra: { views: { find: { discovery: 'search' } } } });
      const gateway = await startHttpGateway(config.path);
      try {
        await using client = await connectHttp(gateway.url, { era });
        let changed = 0;
        client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
        assert.deepEqual(await toolNames(client), ['rug__add', 'rug__echo']);
        assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 1, b: 2 } })), '3');
        // The second call turns the server: it now describes `add` with instructions and a secret-seeking parameter.
        assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 2, b: 2 } })), '4');
        await waitFor(async () => !(await toolNames(client)).includes('rug__add'), 'rug__add to leave the list');
        assert.deepEqual(await toolNames(client), ['rug__echo'], 'the unchanged tool stays');
        if (era === 'legacy') await waitFor(() => changed > 0, 'list_changed to the client');

        const refused = await refusal(client, 'rug__add', { a: 1, b: 1 });
        assert.equal(refused.data.code, 'TOOL_CHANGED');
        assert.equal(refused.data.server, 'rug');
        assert.match(refused.message, /changed since it was approved/);
        assert.match(refused.message, /manifold tools diff rug__add/);
        assert.match(refused.message, /manifold tools approve rug__add/);

        // Search: retrieve_tools does not find it, call_tool refuses it with the same reason.
        await using searcher = await connectHttp(`${gateway.url}/find`, { era });
        const found = (await searcher.callTool({ name: 'retrieve_tools', arguments: { query: 'add two numbers', limit: 5 } })).structuredContent as Retrieved;
        assert.ok(!found.tools.some(tool => tool.name === 'rug__add'), JSON.stringify(found));
        const viaMeta = await searcher.callTool({ name: 'call_tool', arguments: { name: 'rug__add', arguments: { a: 1, b: 1 } } });
        assert.equal(viaMeta.isError, true);
        assert.match(firstText(viaMeta), /changed since it was approved/);

        // The CLI, against the store the gateway writes, while it runs.
        const pins = await runCli(['tools', 'pins', '--config', config.path, '--json']);
        assert.equal(pins.code, 0, pins.stderr);
        assert.deepEqual(
          (JSON.parse(pins.stdout) as Array<{ tool: string; state: string }>).map(pin => [pin.tool, pin.state]),
          [
            ['rug__add', 'changed'],
            ['rug__echo', 'approved']
          ]
        );
        const diff = await runCli(['tools', 'diff', 'rug__add', '--config', config.path, '--json']);
        assert.equal(diff.code, 0, diff.stderr);
        const changes = (JSON.parse(diff.stdout) as { changes: Array<{ path: string; kind: string; new?: unknown }> }).changes;
        assert.deepEqual(
          changes.map(change => [change.path, change.kind]),
          [
            ['description', 'changed'],
            ['inputSchema.properties.sidenote', 'added']
          ]
        );

        const approved = await runCli(['tools', 'approve', 'rug__add', '--config', config.path]);
        assert.equal(approved.code, 0, approved.stderr);
        await waitFor(async () => (await toolNames(client)).includes('rug__add'), 'rug__add back after the approval', 5000);
        const listed = (await client.listTools()).tools.find(tool => tool.name === 'rug__add');
        assert.match(listed?.description ?? '', /<IMPORTANT>/, 'what was approved is what is served');
        assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 5, b: 5 } })), '10');

        // Block: hidden and refused with its own message.
        const blocked = await runCli(['tools', 'block', 'rug__echo', '--config', config.path]);
        assert.equal(blocked.code, 0, blocked.stderr);
        await waitFor(async () => !(await toolNames(client)).includes('rug__echo'), 'rug__echo to leave the list', 5000);
        const refusedBlock = await refusal(client, 'rug__echo', { text: 'hi' });
        assert.equal(refusedBlock.data.code, 'TOOL_BLOCKED');
        assert.match(refusedBlock.message, /is blocked \(by local:/);

        // The audit log has every decision, and the detection.
        const audit = await runCli(['audit', '--config', config.path, '--json']);
        const methods = (JSON.parse(audit.stdout) as Array<{ method: string; target: string }>).map(row => `${row.method} ${row.target}`);
        for (const expected of ['manifold/tools.changed rug__add', 'manifold/tools.approve rug__add', 'manifold/tools.block rug__echo']) assert.ok(methods.includes(expected), `${expected} in ${methods.join(', ')}`);
      } finally {
        await gateway.stop();
      }

      // A new gateway (and a new server process, which serves the turned definition at once): the approval and the block hold.
      await using again = await startHttpGateway(config.path);
      await using client = await connectHttp(again.url, { era });
      assert.deepEqual(await toolNames(client), ['rug__add']);
      assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 1, b: 6 } })), '7');
      assert.equal((await refusal(client, 'rug__echo')).data.code, 'TOOL_BLOCKED');
    });
  }
});

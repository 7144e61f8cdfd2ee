import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectStdio, waitFor } from '../helpers/gateway.js';
import { firstText, runCli } from '../helpers/fixtures.js';
import { refusal, rugPullConfig, toolNames } from './helpers.js';

describe('pinning: quarantine, workflows check, off switch', () => {
  it('quarantine: true: nothing of the server is usable until `manifold tools approve <server>`, which a running gateway follows', async () => {
    await using config = rugPullConfig({ era: 'modern', server: { quarantine: true } });
    await using gateway = await connectStdio(config.path, { era: 'modern' });
    assert.deepEqual(await toolNames(gateway.client), []);
    const refused = await refusal(gateway.client, 'rug__echo', { text: 'hi' });
    assert.equal(refused.data.code, 'TOOL_PENDING');
    assert.match(refused.message, /quarantined server "rug".*manifold tools approve rug/s);
    const approved = await runCli(['tools', 'approve', 'rug', '--config', config.path]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved rug__add[\s\S]*approved rug__echo/);
    await waitFor(async () => (await toolNames(gateway.client)).length === 2, 'the approved tools to be listed', 5000);
    assert.equal(firstText(await gateway.client.callTool({ name: 'rug__echo', arguments: { text: 'hi' } })), 'hi');
  });

  it('manifold workflows check fails on a workflow that calls a blocked tool, naming the step', async () => {
    await using config = rugPullConfig({
      extra: { workflows: { greet: { description: 'Says hi', steps: [{ id: 'say', call: 'rug__echo', with: { text: 'hi' } }] } } }
    });
    const first = await runCli(['workflows', 'check', '--config', config.path]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const blocked = await runCli(['tools', 'block', 'rug__echo', '--config', config.path]);
    assert.equal(blocked.code, 0, blocked.stderr);
    const second = await runCli(['workflows', 'check', '--config', config.path]);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stdout, /greet\.steps\.0\.call: tool "rug__echo" is blocked/);
  });

  it('security.pinning: false: a changed definition is served and called as before', async () => {
    await using config = rugPullConfig({ era: 'legacy', after: 1, extra: { security: { pinning: false } } });
    await using gateway = await connectStdio(config.path);
    assert.equal(firstText(await gateway.client.callTool({ name: 'rug__add', arguments: { a: 1, b: 2 } })), '3');
    await waitFor(async () => /<IMPORTANT>/.test((await gateway.client.listTools()).tools.find(tool => tool.name === 'rug__add')?.description ?? ''), 'the changed definition to be listed');
    assert.equal(firstText(await gateway.client.callTool({ name: 'rug__add', arguments: { a: 2, b: 2 } })), '4');
  });
});

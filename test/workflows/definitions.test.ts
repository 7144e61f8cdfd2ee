/**
 * Regression issue 9 #17: what a user meets while writing workflows: "did you mean" that finds the tool of the
 * same server by part of its name, and workflow names; a running `serve` that kept serving the old
 * definitions after a workflow was edited.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { connectHttp, fixtureServer, repoRoot, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

const servers = { tp: fixtureServer('third-party.ts', [], { cwd: repoRoot }) };

describe('regression issue 9 #17: writing workflows', () => {
  it('unknown tools suggest the same server\'s tools by part of the name, and workflow names', async () => {
    await using config = writeConfig({
      servers,
      gateway: { adHocWorkflows: true },
      store: { path: ':memory:' },
      workflows: { render_retried: { steps: [{ id: 'chart', call: 'tp__render', with: { key: 'k', failures: 0 } }] } }
    });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url);
    const result = await client.callTool({
      name: 'run_workflow',
      arguments: { workflow: { steps: [{ id: 'a', call: 'tp__sheet', with: { key: 'x' } }, { id: 'b', call: 'retried' }] } }
    });
    assert.equal(result.isError, true);
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    assert.match(text, /workflow\.steps\.0\.call: unknown tool "tp__sheet"; did you mean "tp__read_sheet"\?/);
    assert.match(text, /workflow\.steps\.1\.call: unknown tool "retried"; did you mean "render_retried"\?/);
  });

  it('serve reloads changed workflows (a client sees the new list), and keeps the old ones when a change does not load', async () => {
    const configFor = (workflows: Record<string, unknown>) => stringify({ servers, store: { path: ':memory:' }, workflows });
    const greet = (text: string) => ({ steps: [{ id: 'a', call: 'tp__lookup', with: { query: text } }] });
    await using config = writeConfig({ servers, store: { path: ':memory:' }, workflows: { greet: greet('hello') } });
    await using gateway = await startHttpGateway(config.path);
    assert.match(gateway.stderr(), /reloading workflows when these change: .*manifold\.yaml/);
    await using client = await connectHttp(gateway.url);
    const answer = async (name: string) => JSON.parse(((await client.callTool({ name, arguments: {} })).content as Array<{ text: string }>)[0]!.text) as unknown;
    assert.deepEqual(await answer('greet'), { hits: ['hello'] });

    writeFileSync(config.path, configFor({ greet: greet('hello again'), farewell: greet('bye') }));
    await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === 'farewell'), 'the added workflow to be listed', 15_000);
    assert.deepEqual(await answer('greet'), { hits: ['hello again'] });
    assert.deepEqual(await answer('farewell'), { hits: ['bye'] });
    assert.match(gateway.stderr(), /workflows reloaded: added farewell; changed greet/);

    writeFileSync(config.path, configFor({ greet: { steps: [{ id: 'a', call: 'tp__lookup', with: { query: '{{ steps.nope.result }}' } }] } }));
    await waitFor(() => /changed, but the workflows do not load; the gateway keeps the workflows it had/.test(gateway.stderr()), 'the failed reload to be logged', 15_000);
    assert.match(gateway.stderr(), /there is no step "nope"/);
    assert.deepEqual(await answer('farewell'), { hits: ['bye'] });
  });
});

/**
 * Regression issue 9 #17: what a user meets while writing workflows: "did you mean" that finds the tool of the
 * same server by part of its name, and workflow names; a running `serve` says that it does not reload
 * workflow files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, fixtureServer, repoRoot, startHttpGateway, writeConfig } from '../helpers/gateway.js';

describe('regression issue 9 #17: writing workflows', () => {
  it('unknown tools suggest the same server\'s tools by part of the name, and workflows; serve says it does not reload', async () => {
    await using config = writeConfig({
      servers: { tp: fixtureServer('third-party.ts', [], { cwd: repoRoot }) },
      gateway: { adHocWorkflows: true },
      store: { path: ':memory:' },
      workflows: { render_retried: { steps: [{ id: 'chart', call: 'tp__render', with: { key: 'k', failures: 0 } }] } }
    });
    await using gateway = await startHttpGateway(config.path);
    assert.match(gateway.stderr(), /1 workflow\(s\) loaded \(render_retried\); definitions are read once, at start: restart the gateway to pick up changed workflow files/);

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
});

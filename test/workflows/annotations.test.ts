/**
 * Regression issue 9 #14: annotations of real servers are often missing or wrong, so every workflow over them
 * was "destructive" and retries needed force. `servers.<name>.annotations` corrects them in the catalog, where
 * lists, views, search and workflows all read them; a workflow's own override stays consistent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, fixtureServer, repoRoot, startHttpGateway, writeConfig } from '../helpers/gateway.js';

const thirdParty = fixtureServer('third-party.ts', [], { cwd: repoRoot });

describe('regression issue 9 #14: correcting a third-party server\'s annotations', () => {
  it('corrections by tool glob reach the tool list, views, workflows\' derived annotations and their retries', async () => {
    await using config = writeConfig({
      servers: {
        tp: {
          ...thirdParty,
          annotations: {
            'read_*': { readOnlyHint: true },
            lookup: { readOnlyHint: true, openWorldHint: false },
            render: { idempotentHint: true, destructiveHint: false }
          }
        }
      },
      views: { reader: { readOnly: true } },
      store: { path: ':memory:' },
      workflows: {
        report: {
          steps: [
            { id: 'rows', call: 'tp__read_sheet', with: { key: 'a' } },
            { id: 'hits', call: 'tp__lookup', with: { query: 'b' } }
          ]
        },
        chart: { steps: [{ id: 'draw', call: 'tp__render', with: { key: 'annotated', failures: 2 }, retry: { attempts: 2, backoff: '10ms' } }] },
        declared_read_only: { annotations: { readOnlyHint: true }, steps: [{ id: 'v', call: 'tp__validate', with: { diagram: 'ok' } }] }
      }
    });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url);
    const tools = new Map((await client.listTools()).tools.map(tool => [tool.name, tool]));

    assert.deepEqual(tools.get('tp__read_sheet')?.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    assert.equal(tools.get('tp__lookup')?.annotations?.openWorldHint, false);
    assert.deepEqual(tools.get('tp__validate')?.annotations, undefined, 'a tool no glob matches is left as the server sent it');
    assert.deepEqual(tools.get('report')?.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    assert.equal(tools.get('chart')?.annotations?.idempotentHint, true);
    // The override of a workflow whose steps look destructive: read-only, so not destructive ("read-only,destructive" before).
    const declared = tools.get('declared_read_only')?.annotations;
    assert.equal(declared?.readOnlyHint, true);
    assert.equal(declared?.destructiveHint, false);

    await using reader = await connectHttp(`${gateway.url}/reader`);
    const readable = (await reader.listTools()).tools.map(tool => tool.name).sort();
    assert.deepEqual(readable, ['declared_read_only', 'report', 'tp__calls', 'tp__lookup', 'tp__read_sheet']);

    // render is idempotent by correction: its retries run without force.
    const chart = await client.callTool({ name: 'chart', arguments: {} });
    assert.equal(chart.isError, undefined, JSON.stringify(chart.content));
    assert.deepEqual(JSON.parse((chart.content as Array<{ text: string }>)[0]!.text), { url: 'chart://annotated' });
  });

  it('a correction that is both read-only and destructive is a config error', async () => {
    await using config = writeConfig({ servers: { tp: { ...thirdParty, annotations: { '*': { readOnlyHint: true, destructiveHint: true } } } } });
    const { parseConfig } = await import('../../src/config/index.js');
    const { readFileSync } = await import('node:fs');
    assert.throws(() => parseConfig(readFileSync(config.path, 'utf8'), { source: config.path }), /servers\.tp\.annotations\.\*: a tool cannot be both read-only and destructive/);
  });
});

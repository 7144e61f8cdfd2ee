import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, startHttpGateway, writeConfig } from '../helpers/gateway.js';
import { fixtureServers } from './helpers.js';

describe('workflows and views', () => {
  it('run_workflow shows where a view lets it, and its steps use that view\'s tool names and no others', async () => {
    await using config = writeConfig({
      servers: fixtureServers,
      gateway: { adHocWorkflows: true },
      workflows: { greet: { steps: [{ id: 'a', call: 'fix__text', with: { text: 'hello' } }] } },
      views: {
        default: { exclude: ['run_workflow'] },
        composer: { include: ['run_workflow', 'fix__text', 'greet'], tools: { fix__text: { name: 'say' } } }
      }
    });
    await using gateway = await startHttpGateway(config.path);
    await using main = await connectHttp(gateway.url);
    const mainTools = (await main.listTools()).tools.map(tool => tool.name);
    assert.ok(!mainTools.includes('run_workflow') && mainTools.includes('greet') && mainTools.includes('fix__needs'));

    await using composer = await connectHttp(`${gateway.url}/composer`);
    assert.deepEqual((await composer.listTools()).tools.map(tool => tool.name).sort(), ['greet', 'run_workflow', 'say']);
    const ok = await composer.callTool({
      name: 'run_workflow',
      arguments: {
        workflow: {
          steps: [
            { id: 'a', call: 'say', with: { text: '{"n": 1}' } },
            { id: 'b', call: 'greet' }
          ],
          output: "{{ {'n': steps.a.result.n, 'greeting': steps.b.result} }}"
        }
      }
    });
    assert.equal(ok.isError, undefined, JSON.stringify(ok.content));
    assert.deepEqual(ok.structuredContent, { n: 1, greeting: 'hello' });

    const outside = await composer.callTool({
      name: 'run_workflow',
      arguments: { workflow: { steps: [{ id: 'a', call: 'fix__needs', with: { a: 'x', b: 1 } }, { id: 'b', call: 'fix__text', with: { text: 'x' } }] } }
    });
    assert.equal(outside.isError, true);
    const text = (outside.content as Array<{ text: string }>)[0]!.text;
    assert.match(text, /nothing was run/);
    assert.match(text, /workflow\.steps\.0\.call: there is no tool "fix__needs" in this view/);
    assert.match(text, /workflow\.steps\.1\.call: there is no tool "fix__text" in this view/);
  });
});

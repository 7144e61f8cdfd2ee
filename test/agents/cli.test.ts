/**
 * `manifold call <agent> --args '{"task": …}'` on a config with `agents.probe: { model: local, servers:
 * [everything] }` (the official server-everything), the model answered by the scripted model server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { runCli } from '../helpers/fixtures.js';
import { npmServerPath, writeConfig } from '../helpers/gateway.js';
import { offeredTools, toolResults } from './wire.js';

describe('manifold call <agent>', () => {
  it('runs the agent over server-everything and prints its answer; --json has the steps and usage', async () => {
    await using model = await startScriptedModelServer([
      {
        toolCalls: [{ id: 'call_1', name: 'everything__get-sum', arguments: { a: 2, b: 40 } }],
        usage: { input: 900, output: 20 }
      },
      { text: 'The sum is 42.', usage: { input: 950, output: 6 } }
    ]);
    await using config = writeConfig({
      servers: { everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] } },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'llama3.1' } },
      agents: { probe: { model: 'local', servers: ['everything'] } }
    });
    const run = await runCli([
      'call',
      'probe',
      '--args',
      '{"task": "add 2 and 40"}',
      '--json',
      '--config',
      config.path
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.content[0].text, 'The sum is 42.');
    assert.deepEqual(
      result.structuredContent.steps.map((step: any) => [step.tool, step.arguments, step.outcome]),
      [['everything__get-sum', { a: 2, b: 40 }, 'ok']]
    );
    assert.equal(result.structuredContent.usage.totalTokens, 1876);
    // Offered: every tool of server-everything, and nothing else (not the agent itself).
    const offered = offeredTools(model.requests[0]!);
    assert.ok(
      offered.includes('everything__echo') && offered.every(name => name.startsWith('everything__')),
      offered.join(', ')
    );
    assert.match(toolResults(model.requests[1]!)[0]!.text, /42/);
  });

  it('exits 1 when the agent fails (maxTurns), with the reason', async () => {
    await using model = await startScriptedModelServer(() => ({
      toolCalls: [{ name: 'everything__echo', arguments: { message: 'again' } }]
    }));
    await using config = writeConfig({
      servers: { everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] } },
      models: { local: { provider: 'anthropic', baseURL: model.baseURL, model: 'claude-test' } },
      agents: { probe: { model: 'local', servers: ['everything'], maxTurns: 2 } }
    });
    const run = await runCli(['call', 'probe', '--args', '{"task": "never ends"}', '--config', config.path]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /did not finish within 2 model turns/);
    assert.equal(model.requests.length, 2);
  });
});

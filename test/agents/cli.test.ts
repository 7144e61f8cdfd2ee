/**
 * `manifold call <agent> --args '{"task": …}'` on a config with `agents.probe: { model: local, servers:
 * [everything] }` (the official server-everything), the model answered by the scripted model server.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { runCli } from '../helpers/fixtures.js';
import { npmServerPath, repoRoot, writeConfig } from '../helpers/gateway.js';
import { firstUserText, offeredTools, systemPrompt, toolResults } from './wire.js';

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
    // Progress: one line per model turn.
    // One line per turn, in order (a server's own log lines may fall between them).
    assert.match(run.stderr, /^progress 0\/10 agent probe: turn 1$[\s\S]*^progress 1\/10 agent probe: turn 2$/m);
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

describe('examples/agents.yaml (examples are tests)', () => {
  it('probe and librarian run over the default servers; the librarian is offered only reading tools', async () => {
    await using model = await startScriptedModelServer();
    const env = { ...process.env, MANIFOLD_MODEL_URL: model.baseURL, MANIFOLD_MODEL: 'example-model' };
    const example = join(repoRoot, 'examples/agents.yaml');

    model.reset([
      { toolCalls: [{ name: 'everything__echo', arguments: { message: 'hello' } }] },
      { text: 'echoed hello' }
    ]);
    const probe = await runCli(['call', 'probe', '--args', '{"task": "echo hello"}', '--config', example], { env });
    assert.equal(probe.code, 0, probe.stdout + probe.stderr);
    assert.match(probe.stdout, /echoed hello/);

    model.reset([{ toolCalls: [{ name: 'fs__list_allowed_directories', arguments: {} }] }, { text: 'the sandbox' }]);
    const librarian = await runCli(
      ['call', 'librarian', '--args', '{"task": "what folders can you read?"}', '--json', '--config', example],
      { env }
    );
    assert.equal(librarian.code, 0, librarian.stdout + librarian.stderr);
    assert.equal(JSON.parse(librarian.stdout).structuredContent.steps[0].outcome, 'ok');
    const offered = offeredTools(model.requests[0]!);
    assert.ok(offered.includes('fs__read_text_file') && offered.includes('memory__read_graph'), offered.join(', '));
    for (const name of offered)
      assert.match(name, /^(fs|memory)__(read_|list_|search_|directory_tree|get_file_info|open_nodes)/);
    assert.ok(!offered.some(name => /write|edit|create|delete|move|add_/.test(name)), offered.join(', '));
    assert.match(toolResults(model.requests[1]!)[0]!.text, /sandbox/);
  });

  it('the lead orchestrator plans, runs probe and librarian at once over their own servers, and answers', async () => {
    await using model = await startScriptedModelServer();
    const env = { ...process.env, MANIFOLD_MODEL_URL: model.baseURL, MANIFOLD_MODEL: 'example-model' };
    const example = join(repoRoot, 'examples/agents.yaml');
    const plan = {
      steps: [
        {
          tasks: [
            { worker: 'probe', task: 'add 2 and 40' },
            { worker: 'librarian', task: 'list the sandbox' }
          ]
        }
      ]
    };
    model.reset((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('You are the planner')) return { text: JSON.stringify(plan) };
      if (system.startsWith('You write the final answer')) return { text: '42, and the sandbox has notes' };
      const probe = firstUserText(request).startsWith('add');
      if (toolResults(request).length > 0) return { text: probe ? 'the sum is 42' : 'notes' };
      return {
        toolCalls: [
          probe
            ? { name: 'everything__get-sum', arguments: { a: 2, b: 40 } }
            : { name: 'fs__list_allowed_directories', arguments: {} }
        ]
      };
    });
    const run = await runCli(
      ['call', 'lead', '--args', '{"task": "add 2 and 40, and list the sandbox"}', '--json', '--config', example],
      { env }
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.content[0].text, '42, and the sandbox has notes');
    assert.deepEqual(
      result.structuredContent.tasks.map((task: any) => [task.worker, task.outcome, task.text]),
      [
        ['probe', 'ok', 'the sum is 42'],
        ['librarian', 'ok', 'notes']
      ]
    );
    assert.match(run.stderr, /progress \d+ orchestrator lead: step 1: 2 task\(s\)/);
    const workerRequests = model.requests.filter(request => /^(add|list)/.test(firstUserText(request)));
    assert.equal(workerRequests.length, 4);
    for (const request of workerRequests) {
      assert.ok(offeredTools(request).length > 0);
      const prefix = firstUserText(request).startsWith('add') ? 'everything__' : /^(fs|memory)__/;
      for (const name of offeredTools(request))
        assert.ok(typeof prefix === 'string' ? name.startsWith(prefix) : prefix.test(name), name);
    }
  });

  it('the brief workflow: an agent and a call gather at once, the model aggregates to JSON, an evaluator loop polishes it', async () => {
    await using model = await startScriptedModelServer();
    const env = { ...process.env, MANIFOLD_MODEL_URL: model.baseURL, MANIFOLD_MODEL: 'example-model' };
    const example = join(repoRoot, 'examples/agents.yaml');
    model.reset((_index, request) => {
      const system = systemPrompt(request);
      if (system.startsWith('You answer questions about the notes'))
        return toolResults(request).length > 0
          ? { text: 'The sandbox holds README.md.', usage: { input: 50, output: 8 } }
          : { toolCalls: [{ name: 'fs__list_directory', arguments: { path: join(repoRoot, 'examples/sandbox') } }], usage: { input: 40, output: 5 } };
      if (system.startsWith('Write a short brief'))
        return { text: '{"brief": "The sandbox holds a README.", "sources": ["librarian", "folders"]}', usage: { input: 30, output: 12 } };
      if (system.startsWith('Rate the rewrite')) return { text: '{"rating": "GOOD", "feedback": ""}', usage: { input: 20, output: 6 } };
      return { text: 'The sandbox has a README.', usage: { input: 10, output: 4 } };
    });
    const run = await runCli(['call', 'brief', '--args', '{"question": "What is in the sandbox?"}', '--json', '--config', example], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.structuredContent.brief, 'The sandbox has a README.');
    assert.equal(result.structuredContent.rating, 'GOOD');
    assert.deepEqual(result.structuredContent.sources, ['librarian', 'folders']);
    // Five model calls: the librarian's two turns, the aggregate, one rewrite, one rating; their tokens add up.
    assert.equal(model.requests.length, 5);
    assert.equal(result.structuredContent.usage.totalTokens, 50 + 8 + 40 + 5 + 30 + 12 + 20 + 6 + 10 + 4);
    assert.deepEqual(Object.keys(result.structuredContent.usage.byAgent), ['librarian']);
    // The aggregate saw both branches' results.
    const aggregate = model.requests.find(request => systemPrompt(request).startsWith('Write a short brief'))!;
    assert.match(firstUserText(aggregate), /## notes\nThe sandbox holds README\.md\./);
    assert.match(firstUserText(aggregate), /## folders\n/);
  });
});

/**
 * examples/router.yaml (examples are tests): `manifold call helpdesk` over the default servers, the model
 * answered by the scripted model server; the numbers route's tool loop is offered only server-everything's tools.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { runCli } from '../helpers/fixtures.js';
import { repoRoot } from '../helpers/gateway.js';
import { offeredTools, systemPrompt, toolResults } from './wire.js';

describe('examples/router.yaml (examples are tests)', () => {
  it('helpdesk routes "add 2 and 40" to the numbers route, whose loop sees only server-everything', async () => {
    // Whether BM25 or the model decides, the model's answers fit: a route when asked to route, else the loop.
    await using model = await startScriptedModelServer((_index, request) => {
      if (/You are a router/.test(systemPrompt(request)))
        return { text: JSON.stringify({ route: 'numbers', confidence: 0.9, reasoning: 'arithmetic' }) };
      return toolResults(request).length === 0
        ? { toolCalls: [{ name: 'everything__get-sum', arguments: { a: 2, b: 40 } }] }
        : { text: 'The sum is 42.' };
    });
    const env = { ...process.env, MANIFOLD_MODEL_URL: model.baseURL, MANIFOLD_MODEL: 'example-model' };
    const result = await runCli(
      [
        'call',
        'helpdesk',
        '--args',
        '{"request": "add 2 and 40"}',
        '--json',
        '--config',
        join(repoRoot, 'examples/router.yaml')
      ],
      { env }
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const output = JSON.parse(result.stdout);
    assert.equal(output.structuredContent.route, 'numbers');
    assert.deepEqual(output.structuredContent.target, { kind: 'server', name: 'everything' });
    assert.equal(output.structuredContent.result.steps[0].outcome, 'ok');
    assert.match(JSON.stringify(output.content), /The sum is 42\./);
    assert.match(toolResults(model.requests.at(-1)!)[0]!.text, /42/);
    const loop = model.requests.filter(request => !/You are a router/.test(systemPrompt(request)));
    assert.ok(loop.length >= 2);
    for (const request of loop) {
      const offered = offeredTools(request);
      assert.ok(offered.length > 0 && offered.every(name => name.startsWith('everything__')), offered.join(', '));
    }
  });
});

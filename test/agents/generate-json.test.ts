/**
 * generateJson: the JSON requests the router, the orchestrator's planner and evaluators stand on. Real backends
 * (createModelBackend) against the scripted model server, over both protocols.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as z from 'zod/v4';

import { createModelBackend, generateJson } from '../../src/agents/index.js';
import { modelSchema } from '../../src/config/index.js';
import { ManifoldError } from '../../src/core/errors.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { firstUserText, protocols, systemPrompt } from './wire.js';

const routeSchema = z.object({ route: z.string(), confidence: z.number().min(0).max(1) });
const planSchema = z.object({ tasks: z.array(z.object({ worker: z.string(), task: z.string() })).min(1) });
const workers = ['researcher', 'writer'];
const checkPlan = (plan: z.infer<typeof planSchema>) => {
  const unknown = plan.tasks.map(task => task.worker).filter(worker => !workers.includes(worker));
  return unknown.length > 0
    ? `worker "${unknown[0]}" does not exist; the workers are: ${workers.join(', ')}`
    : undefined;
};

for (const protocol of protocols) {
  describe(`generateJson over the ${protocol} protocol`, () => {
    let model: ScriptedModelServer;
    before(async () => {
      model = await startScriptedModelServer();
    });
    after(() => model.close());
    const backend = () =>
      createModelBackend(
        'judge',
        modelSchema.parse({ provider: protocol, baseURL: model.baseURL, model: 'json-model', maxRetries: 0 })
      );
    const signal = new AbortController().signal;

    it('reads the JSON (in a fence, with words around), shows the schema, offers no tools', async () => {
      model.reset([
        { text: 'Here you go:\n```json\n{"route": "github", "confidence": 0.8}\n```', usage: { input: 50, output: 12 } }
      ]);
      const result = await generateJson({
        backend: backend(),
        system: 'You route requests.',
        prompt: 'open an issue',
        schema: routeSchema,
        what: 'a route',
        signal
      });
      assert.deepEqual(result.value, { route: 'github', confidence: 0.8 });
      assert.equal(result.calls.length, 1);
      assert.deepEqual([result.calls[0]!.inputTokens, result.calls[0]!.outputTokens], [50, 12]);
      const request = model.requests[0]!;
      assert.match(
        systemPrompt(request),
        /^You route requests\.\n\nAnswer with only one JSON object, and no other text, that matches this JSON Schema:\n\{.*"required":\["route","confidence"\]/s
      );
      assert.equal(firstUserText(request), 'open an issue');
      assert.equal(request.body.tools, undefined);
    });

    it('sends a wrong shape back once with what is wrong, and takes the repaired answer', async () => {
      model.reset([
        { text: '{"route": "github", "confidence": 7}' },
        { text: '{"route": "github", "confidence": 0.7}' }
      ]);
      const result = await generateJson({
        backend: backend(),
        prompt: 'open an issue',
        schema: routeSchema,
        what: 'a route',
        signal
      });
      assert.deepEqual(result.value, { route: 'github', confidence: 0.7 });
      assert.equal(result.calls.length, 2);
      assert.match(
        JSON.stringify(model.requests[1]!.body.messages),
        /That answer is not a route as asked: .*confidence.*Answer again with only the corrected JSON object/
      );
    });

    it('a plan naming a worker that does not exist is rejected and the planner asked again once', async () => {
      model.reset([
        { text: '{"tasks": [{"worker": "ghost", "task": "haunt"}]}' },
        { text: '{"tasks": [{"worker": "researcher", "task": "find"}, {"worker": "writer", "task": "write"}]}' }
      ]);
      const result = await generateJson({
        backend: backend(),
        prompt: 'write a report',
        schema: planSchema,
        check: checkPlan,
        what: 'a plan',
        signal
      });
      assert.deepEqual(
        result.value.tasks.map(task => task.worker),
        ['researcher', 'writer']
      );
      assert.match(
        JSON.stringify(model.requests[1]!.body.messages),
        /worker \\"ghost\\" does not exist; the workers are: researcher, writer/
      );
    });

    it('a second bad answer is MODEL_OUTPUT_INVALID, keeping the raw text', async () => {
      model.reset([{ text: 'I cannot plan.' }, { text: '{"tasks": []}' }]);
      await assert.rejects(
        generateJson({ backend: backend(), prompt: 'x', schema: planSchema, check: checkPlan, what: 'a plan', signal }),
        (error: unknown) => {
          assert.ok(error instanceof ManifoldError);
          assert.equal(error.code, 'MODEL_OUTPUT_INVALID');
          assert.match(error.message, /model "judge" .* did not answer with a plan in the JSON asked for: .*tasks/);
          assert.equal(error.data?.raw, '{"tasks": []}');
          return true;
        }
      );
      assert.equal(model.requests.length, 2);
    });
  });
}

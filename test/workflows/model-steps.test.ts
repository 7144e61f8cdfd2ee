/**
 * Model steps in workflows (agent, aggregate on parallel, evaluate) end to end, over both model protocols: a real
 * gateway (stdio subprocess) with real fixture MCP servers, a real SDK client calling the workflows, the scripted
 * model server answering the model calls. Assertions come from the recorded model requests (tools offered,
 * prompts), the results, and the run record (`manifold runs <id>`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { main } from '../../src/cli/main.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { firstUserText, offeredTools, protocols, systemPrompt } from '../agents/wire.js';
import { connectStdio, type ConnectedClient, fixtureServer, repoRoot, type TempConfig, writeConfig } from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: text => void (out += text + '\n'), err: text => void (err += text + '\n') });
  return { code, out, err };
}

const fix = fixtureServer('workflow-tools.ts', [], { cwd: repoRoot });

for (const protocol of protocols) {
  describe(`model steps in workflows over the ${protocol} protocol`, { timeout: 120_000 }, () => {
    let model: ScriptedModelServer;
    let config: TempConfig;
    let gateway: ConnectedClient;

    before(async () => {
      model = await startScriptedModelServer();
      config = writeConfig({
        gateway: { runTools: true },
        servers: { echo: fixtureServer('echo.ts'), fix },
        models: {
          local: { provider: protocol, baseURL: model.baseURL, model: `scripted-${protocol}`, apiKey: 'key' },
          brittle: { provider: protocol, baseURL: model.baseURL, model: `scripted-${protocol}`, apiKey: 'key', maxRetries: 0 }
        },
        agents: {
          probe: { model: 'local', servers: ['echo'], instruction: 'You probe the echo server.' },
          fragile: { model: 'brittle', servers: ['echo'] }
        },
        workflows: {
          ask_probe: {
            input: { type: 'object', properties: { word: { type: 'string' } } },
            steps: [{ id: 'probe', agent: 'probe', task: "Echo the word {{ input.word }} and report what came back." }],
            output: { answer: '{{ steps.probe.result.text }}', turns: '{{ steps.probe.result.turns }}' }
          },
          ask_inline: {
            steps: [{ id: 'look', agent: { model: 'local', servers: ['fix'], tools: ['text'], instruction: 'Inline.', maxTurns: 2 }, task: 'Say hi.' }]
          },
          research: {
            input: { type: 'object', properties: { topic: { type: 'string' } } },
            steps: [
              {
                id: 'gather',
                parallel: {
                  web: { call: 'echo__echo', with: { message: "web says {{ input.topic }} is big" } },
                  papers: { call: 'fix__text', with: { text: "papers say {{ input.topic }} is small" } }
                },
                aggregate: { model: 'local', instruction: 'Write one research summary from the sources.' }
              }
            ],
            output: { summary: '{{ steps.gather.result }}' }
          },
          research_json: {
            steps: [
              {
                id: 'gather',
                parallel: { a: { call: 'fix__text', with: { text: 'alpha' } }, b: { call: 'fix__text', with: { text: 'beta' } } },
                aggregate: {
                  model: 'local',
                  instruction: 'Combine.',
                  schema: { type: 'object', properties: { findings: { type: 'array', items: { type: 'string' } }, confidence: { type: 'number' } }, required: ['findings', 'confidence'] }
                }
              }
            ],
            output: '{{ steps.gather.result }}'
          },
          polish: {
            input: { type: 'object', properties: { topic: { type: 'string' } } },
            steps: [
              {
                id: 'draft',
                evaluate: {
                  task: 'Write a haiku about {{ input.topic }}.',
                  generator: { model: 'local', instruction: 'You are a poet.' },
                  evaluator: { model: 'local', instruction: 'Judge haiku strictly.' },
                  minRating: 'GOOD',
                  maxRefinements: 2
                }
              }
            ]
          },
          polish_capped: {
            steps: [
              {
                id: 'draft',
                evaluate: { task: 'Write a limerick.', generator: { model: 'local' }, evaluator: { model: 'local' }, minRating: 'EXCELLENT', maxRefinements: 1 }
              }
            ]
          },
          polish_accept: {
            steps: [
              {
                id: 'draft',
                evaluate: { task: 'Write a limerick.', generator: { model: 'local' }, evaluator: { model: 'local' }, minRating: 'EXCELLENT', maxRefinements: 1, belowMinRating: 'accept' }
              }
            ]
          },
          with_fallback: {
            steps: [{ id: 'a', agent: 'fragile', task: 'Try.', fallback: { call: 'fix__text', with: { text: 'fallback ran' } } }],
            output: { a: '{{ steps.a.result }}' }
          },
          continued: {
            steps: [
              { id: 'a', agent: 'fragile', task: 'Try.', onError: 'continue' },
              { id: 'b', call: 'fix__text', with: { text: 'after' } }
            ],
            output: { a: '{{ steps.a.status }}', b: '{{ steps.b.result }}' }
          },
          branchy: {
            steps: [
              {
                id: 'both',
                parallel: {
                  ask: { agent: 'probe', task: 'Say done.' },
                  later: { call: 'fix__sleep', with: { ms: 300 }, failWhen: 'true' }
                }
              }
            ]
          },
          summarize_then_write: {
            input: { type: 'object', properties: { key: { type: 'string' } } },
            steps: [
              { id: 'sum', parallel: { a: { call: 'fix__text', with: { text: 'one' } } }, aggregate: { model: 'local' } },
              { id: 'write', call: 'fix__flaky_write', with: { key: '{{ input.key }}', failures: 1 } }
            ],
            output: { summary: '{{ steps.sum.result }}', calls: '{{ steps.write.result.calls }}' }
          }
        }
      });
      gateway = await connectStdio(config.path);
    });

    after(async () => {
      await gateway?.[Symbol.asyncDispose]();
      await model?.close();
      await config?.[Symbol.asyncDispose]();
    });

    const call = (name: string, args: Record<string, unknown> = {}) => gateway.client.callTool({ name, arguments: args }) as Promise<any>;
    const runIdOf = (result: any) => String(result._meta['manifold/run-id']);

    it('an agent step runs a declared agent with only its tools, through the gateway; its text, turns and usage are returned', async () => {
      model.reset([
        { text: '', toolCalls: [{ id: 'c1', name: 'echo__echo', arguments: { message: 'tulip' } }], usage: { input: 100, output: 10 } },
        { text: 'Echo answered: tulip', usage: { input: 130, output: 7 } }
      ]);
      const result = await call('ask_probe', { word: 'tulip' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.answer, 'Echo answered: tulip');
      assert.equal(result.structuredContent.turns, 2);
      // Only the agent's server's tools were offered, with its instruction and the evaluated task.
      assert.equal(model.requests.length, 2);
      for (const request of model.requests) assert.deepEqual(offeredTools(request), ['echo__echo']);
      assert.equal(systemPrompt(model.requests[0]!), 'You probe the echo server.');
      assert.equal(firstUserText(model.requests[0]!), 'Echo the word tulip and report what came back.');
      // Usage: per call, per step, model and agent, in the result.
      const usage = result.structuredContent.usage;
      assert.equal(usage.inputTokens, 230);
      assert.equal(usage.outputTokens, 17);
      assert.deepEqual(usage.byAgent, { probe: { calls: 2, inputTokens: 230, outputTokens: 17, totalTokens: 247 } });
      assert.deepEqual(usage.byModel.local, { calls: 2, inputTokens: 230, outputTokens: 17, totalTokens: 247 });
      assert.equal(usage.byStep.probe.calls, 2);
      // And in the run record: the timeline shows the step's tokens and the run's totals.
      const timeline = await cli(['runs', runIdOf(result), '--config', config.path]);
      assert.equal(timeline.code, 0, timeline.err);
      assert.match(timeline.out, /model usage 2 call\(s\), 230 in \+ 17 out tokens; by model: local 2 call\(s\) 230 in \+ 17 out; by agent: probe/);
      assert.match(timeline.out, /agent probe\s+ok .*tokens 230 in \+ 17 out, 2 model call\(s\)/);
    });

    it('an inline agent is offered only the tools its servers and globs allow', async () => {
      model.reset([{ text: 'hi', usage: { input: 5, output: 1 } }]);
      const result = await call('ask_inline');
      assert.equal(result.isError, undefined, firstText(result));
      assert.deepEqual(offeredTools(model.requests[0]!), ['fix__text']);
      assert.equal(systemPrompt(model.requests[0]!), 'Inline.');
      assert.equal(result.structuredContent.text, 'hi');
    });

    it('aggregate without a schema: the model fans in the branch results, its text is the step result', async () => {
      model.reset([{ text: 'Sources disagree on size.', usage: { input: 40, output: 6 } }]);
      const result = await call('research', { topic: 'Jupiter' });
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(result.structuredContent.summary, 'Sources disagree on size.');
      const [request] = model.requests;
      assert.equal(systemPrompt(request!), 'Write one research summary from the sources.');
      const prompt = firstUserText(request!);
      assert.match(prompt, /## web\nweb says Jupiter is big/);
      assert.match(prompt, /## papers\npapers say Jupiter is small/);
      assert.deepEqual(offeredTools(request!), []);
    });

    it('aggregate with a schema: an answer that is not the JSON asked for is repaired once, the value is the result', async () => {
      model.reset([{ text: 'Here you go: {"findings": "alpha"}' }, { text: '{"findings": ["alpha", "beta"], "confidence": 0.8}' }]);
      const result = await call('research_json');
      assert.equal(result.isError, undefined, firstText(result));
      assert.deepEqual({ findings: result.structuredContent.findings, confidence: result.structuredContent.confidence }, { findings: ['alpha', 'beta'], confidence: 0.8 });
      assert.equal(model.requests.length, 2);
      assert.match(systemPrompt(model.requests[0]!), /JSON Schema/);
    });

    it('aggregate with a schema: a second bad answer is a typed step error that keeps the raw text in the run record', async () => {
      model.reset([{ text: 'no json here' }, { text: 'still {not json' }]);
      const result = await call('research_json');
      assert.equal(result.isError, true);
      const error = result.structuredContent.error;
      assert.equal(error.reason, 'model-output');
      assert.equal(error.step, 'gather.aggregate');
      assert.equal(error.raw, 'still {not json');
      // The branch results are kept.
      assert.deepEqual(result.structuredContent.partial_results.gather, { a: 'alpha', b: 'beta' });
      const record = await cli(['runs', runIdOf(result), '--config', config.path, '--json']);
      assert.equal(record.code, 0, record.err);
      const run = JSON.parse(record.out);
      const step = run.steps.find((entry: any) => entry.path === 'gather.aggregate');
      assert.equal(step.status, 'failed');
      assert.match(step.error, /the answer was: still \{not json/);
      assert.equal(JSON.parse(run.run.result).structuredContent.error.raw, 'still {not json');
    });

    it('evaluate refines with the feedback until minRating and returns the best with its rating and history', async () => {
      model.reset([
        { text: 'Jupiter big', usage: { input: 10, output: 3 } },
        { text: '{"rating": "FAIR", "feedback": "count the syllables"}', usage: { input: 20, output: 8 } },
        { text: 'Giant of the sky / five syllables then seven / storms that never end', usage: { input: 30, output: 15 } },
        { text: '{"rating": "GOOD", "feedback": ""}', usage: { input: 40, output: 5 } }
      ]);
      const result = await call('polish', { topic: 'Jupiter' });
      assert.equal(result.isError, undefined, firstText(result));
      const value = result.structuredContent;
      assert.equal(value.text, 'Giant of the sky / five syllables then seven / storms that never end');
      assert.equal(value.rating, 'GOOD');
      assert.equal(value.reachedMinRating, true);
      assert.equal(value.refinements, 1);
      assert.deepEqual(
        value.history.map((round: any) => [round.attempt, round.rating]),
        [
          [1, 'FAIR'],
          [2, 'GOOD']
        ]
      );
      assert.equal(model.requests.length, 4);
      assert.equal(systemPrompt(model.requests[0]!), 'You are a poet.');
      assert.match(systemPrompt(model.requests[1]!), /Judge haiku strictly\./);
      // The rewrite is asked with the previous answer and the evaluator's feedback.
      const rewrite = firstUserText(model.requests[2]!);
      assert.match(rewrite, /Your previous answer:\nJupiter big/);
      assert.match(rewrite, /rated it FAIR\. Their feedback: count the syllables/);
      assert.equal(value.usage.totalTokens, 131);
    });

    it('evaluate that runs out of refinements below minRating is a tool error (max-refinements) with the best answer, unless belowMinRating: accept', async () => {
      const script = () => [{ text: 'first' }, { text: '{"rating": "FAIR", "feedback": "more rhyme"}' }, { text: 'second' }, { text: '{"rating": "POOR", "feedback": "worse"}' }];
      model.reset(script());
      const capped = await call('polish_capped');
      assert.equal(capped.isError, true);
      assert.equal(capped.structuredContent.error.reason, 'max-refinements');
      assert.match(capped.structuredContent.error.message, /rated FAIR after 1 refinement\(s\) \(maxRefinements\), below minRating EXCELLENT/);
      const best = capped.structuredContent.partial_results.draft;
      assert.deepEqual([best.text, best.rating, best.reachedMinRating, best.history.length], ['first', 'FAIR', false, 2]);
      const record = await cli(['runs', runIdOf(capped), '--config', config.path, '--json']);
      const run = JSON.parse(record.out);
      assert.equal(run.run.status, 'failed');
      assert.match(run.steps.find((entry: any) => entry.path === 'draft').error, /below minRating EXCELLENT/);

      model.reset(script());
      const accepted = await call('polish_accept');
      assert.equal(accepted.isError, undefined, firstText(accepted));
      assert.deepEqual([accepted.structuredContent.text, accepted.structuredContent.rating, accepted.structuredContent.reachedMinRating], ['first', 'FAIR', false]);
      const timeline = await cli(['runs', runIdOf(accepted), '--config', config.path]);
      assert.match(timeline.out, /accepted below minRating/);
    });

    it('a failing agent step is a step failure under its policies: its fallback runs, or onError: continue goes on; it is not retried', async () => {
      model.reset([{ status: 500, message: 'model overloaded' }]);
      const fallen = await call('with_fallback');
      assert.equal(fallen.isError, undefined, firstText(fallen));
      assert.deepEqual(fallen.structuredContent.a, 'fallback ran');
      assert.equal(model.requests.length, 1, 'the agent step is not retried');
      const record = JSON.parse((await cli(['runs', runIdOf(fallen), '--config', config.path, '--json'])).out);
      assert.deepEqual(
        record.steps.map((step: any) => [step.path, step.status]),
        [
          ['a', 'failed'],
          ['a.fallback', 'ok']
        ]
      );
      assert.match(record.steps[0].error, /agent "fragile" failed \(model_error\)/);

      model.reset([{ status: 500, message: 'model overloaded' }]);
      const continued = await call('continued');
      assert.equal(continued.isError, undefined, firstText(continued));
      assert.equal(continued.structuredContent.a, 'failed');
      assert.equal(continued.structuredContent.b, 'after');
      assert.match(firstText({ content: [continued.content[1]] }), /1 step\(s\) failed and were continued \(onError: continue\): a: agent "fragile" failed/);
    });

    it('a resumed run does not call the model again for a model step that completed', async () => {
      model.reset([{ text: 'summary one', usage: { input: 9, output: 2 } }]);
      const key = `resume-${protocol}`;
      const failed = await call('summarize_then_write', { key });
      assert.equal(failed.isError, true, 'the write fails once');
      assert.equal(model.requests.length, 1);
      const resumed = await call('runs_resume', { run_id: runIdOf(failed), wait: true });
      assert.equal(resumed.isError, undefined, firstText(resumed));
      // With wait, the run's own result: the summary from the journal, the write's second call.
      assert.deepEqual(resumed.structuredContent, { summary: 'summary one', calls: 2 });
      // The model step's answer came from the journal: no second model call (the script has none left either).
      assert.equal(model.requests.length, 1);
    });

    it('a model step nested in a step that failed is journaled by itself: resuming re-runs the step but not the model', async () => {
      model.reset([{ text: 'done', usage: { input: 3, output: 1 } }]);
      const failed = await call('branchy');
      assert.equal(failed.isError, true);
      assert.equal(failed.structuredContent.error.step, 'both.later');
      assert.equal(model.requests.length, 1);
      const resumed = await call('runs_resume', { run_id: runIdOf(failed), wait: true });
      // The sibling fails again (failWhen is always true), but the agent's finished answer is reused.
      assert.equal(resumed.isError, true);
      assert.equal(resumed.structuredContent.error.step, 'both.later');
      assert.equal(model.requests.length, 1);
      const record = JSON.parse((await cli(['runs', runIdOf(failed), '--config', config.path, '--json'])).out);
      const asks = record.steps.filter((entry: any) => entry.path === 'both.ask');
      assert.equal(asks.length, 2);
      assert.match(asks[1].detail, /resumed: the answer this agent gave before is reused/);
    });
  });
}

describe('model steps are checked at load', () => {
  it('unknown models and agents in steps are config errors naming the workflow and the step path', async () => {
    await using config = writeConfig({
      servers: { fix },
      models: { local: { provider: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'm' } },
      agents: { probe: { model: 'local', servers: ['fix'] } },
      workflows: {
        bad: {
          steps: [
            { id: 'a', agent: 'ghost', task: 'x' },
            { id: 'b', parallel: { x: { call: 'fix__text', with: { text: 'x' } } }, aggregate: { model: 'nope' } },
            { id: 'c', evaluate: { task: 'x', generator: { agent: 'phantom' }, evaluator: { model: 'missing' } } },
            { id: 'd', agent: { model: 'local', servers: ['nowhere'] }, task: 'x' }
          ]
        }
      }
    });
    const checked = await cli(['workflows', 'check', '--config', config.path]);
    assert.equal(checked.code, 1);
    assert.match(checked.out, /workflows\.bad\.steps\.0\.agent: there is no agent "ghost" \(the agents are "probe"\)/);
    assert.match(checked.out, /workflows\.bad\.steps\.1\.aggregate\.model: there is no model "nope" \(the models are "local"/);
    assert.match(checked.out, /workflows\.bad\.steps\.2\.evaluate\.generator\.agent: there is no agent "phantom"/);
    assert.match(checked.out, /workflows\.bad\.steps\.2\.evaluate\.evaluator\.model: there is no model "missing"/);
    assert.match(checked.out, /workflows\.bad\.steps\.3\.agent\.servers\.0: there is no server "nowhere" \(the servers are "fix"\)/);
  });

  it('an agent step is retried only with force (a model loop is not idempotent)', async () => {
    await using config = writeConfig({
      servers: { fix },
      models: { local: { provider: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'm' } },
      agents: { probe: { model: 'local', servers: ['fix'] } },
      workflows: { retried: { steps: [{ id: 'a', agent: 'probe', task: 'x', retry: 2 }] } }
    });
    const checked = await cli(['workflows', 'check', '--config', config.path]);
    assert.notEqual(checked.code, 0);
    assert.match(checked.out + checked.err, /retried only with "force: true": a model loop is not idempotent/);
  });
});

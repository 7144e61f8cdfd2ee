/**
 * Orchestrators end to end, over both model protocols: a real gateway (stdio subprocess) with real fixture
 * servers, a real SDK client calling the orchestrator's tool, and the scripted model server answering the
 * planner, the workers and the synthesis. The script answers by who is asking (the system prompt), since the
 * workers of a step call the model at the same time, in no fixed order.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  type RecordedRequest,
  type ScriptTurn,
  startScriptedModelServer,
  type ScriptedModelServer
} from '../fixtures/model-server/scripted-model-server.js';
import {
  connectStdio,
  type ConnectedClient,
  fixtureServer,
  type TempConfig,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';
import { firstText } from '../helpers/fixtures.js';
import { firstUserText, offeredTools, protocols, systemPrompt, toolResults } from './wire.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

type Plan = Record<string, unknown>;

/**
 * A script that answers each request by its role: the planner (system prompt starting PLAN) gets the next of
 * `plans` (as JSON text), the synthesis (SYNTH) a fixed answer, a worker (WORKER <name>) first calls its tool
 * with its task (the first line of its prompt), then answers `done: <task>`.
 */
function roles(
  plans: Array<Plan | string>,
  options: { sleepMs?: number; usage?: { plan?: number; worker?: number; synthesis?: number } } = {}
): (index: number, request: RecordedRequest) => ScriptTurn {
  let planned = 0;
  return (_index, request) => {
    const system = systemPrompt(request);
    const usage = (tokens = 10) => ({ input: tokens - 1, output: 1 });
    if (system.startsWith('PLAN')) {
      const plan = plans[Math.min(planned++, plans.length - 1)]!;
      return { text: typeof plan === 'string' ? plan : JSON.stringify(plan), usage: usage(options.usage?.plan) };
    }
    if (system.startsWith('SYNTH')) return { text: 'the synthesis', usage: usage(options.usage?.synthesis) };
    const task = firstUserText(request).split('\n')[0]!;
    if (toolResults(request).length > 0) return { text: `done: ${task}`, usage: usage(options.usage?.worker) };
    const toolCall = system.includes('sleeper')
      ? { name: 'fix__sleep', arguments: { ms: options.sleepMs ?? 400, label: task } }
      : { name: 'echo__echo', arguments: { message: task } };
    return { toolCalls: [toolCall], usage: usage(options.usage?.worker) };
  };
}

const tasks = (...entries: Array<[string, string]>) => ({ tasks: entries.map(([worker, task]) => ({ worker, task })) });

for (const protocol of protocols) {
  describe(`orchestrators over the ${protocol} protocol`, () => {
    let model: ScriptedModelServer;
    let config: TempConfig;
    let gateway: ConnectedClient;
    let downURL: string;

    before(async () => {
      model = await startScriptedModelServer();
      downURL = `http://127.0.0.1:${await closedPort()}/v1`;
      const endpoint = { provider: protocol, baseURL: model.baseURL, model: `scripted-${protocol}`, maxRetries: 0 };
      const common = { model: 'local', workers: ['sleeper', 'echoer'], instruction: 'PLAN', synthesis: 'SYNTH' };
      config = writeConfig({
        servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts') },
        models: { local: endpoint, down: { ...endpoint, baseURL: downURL } },
        agents: {
          sleeper: { model: 'local', servers: ['fix'], tools: ['sleep'], instruction: 'WORKER sleeper' },
          echoer: { model: 'local', servers: ['echo'], instruction: 'WORKER echoer' },
          stubborn: { model: 'local', servers: ['echo'], instruction: 'WORKER stubborn', maxTurns: 1 }
        },
        orchestrators: {
          conductor: { ...common, plan: 'full', maxIterations: 3, description: 'Conducts.' },
          stepper: { ...common, plan: 'iterative', maxIterations: 2 },
          thrifty: { ...common, budget: { tokens: 300 } },
          hurried: { ...common, budget: { time: '700ms' } },
          counted: { ...common, budget: { steps: 2 } },
          unplugged: { ...common, model: 'down' },
          mixed: { ...common, workers: ['echoer', 'stubborn'] }
        }
      });
      gateway = await connectStdio(config.path);
    });

    after(async () => {
      await gateway?.[Symbol.asyncDispose]();
      await model?.close();
      await config?.[Symbol.asyncDispose]();
    });

    const call = (name: string, task: string) => gateway.client.callTool({ name, arguments: { task } }) as Promise<any>;
    const byRole = (prefix: string) => model.requests.filter(request => systemPrompt(request).startsWith(prefix));
    const label = (name: string) => `${protocol}-${name}`;

    it('is a catalog tool named by its key, with input {task}', async () => {
      const { tools } = await gateway.client.listTools();
      const conductor = tools.find(tool => tool.name === 'conductor');
      assert.ok(conductor, tools.map(tool => tool.name).join(', '));
      assert.equal(conductor.description, 'Conducts.');
      assert.deepEqual(conductor.inputSchema.required, ['task']);
    });

    it('full plan: the tasks of a step run at once, each worker offered only its own tools, later steps see earlier results, then synthesis', async () => {
      model.reset(
        roles(
          [
            {
              steps: [
                tasks(['sleeper', label('nap-1')], ['sleeper', label('nap-2')], ['sleeper', label('nap-3')]),
                tasks(['echoer', label('report')])
              ]
            }
          ],
          { usage: { plan: 100, worker: 20, synthesis: 50 } }
        )
      );
      const progress: string[] = [];
      const result = (await gateway.client.callTool(
        { name: 'conductor', arguments: { task: 'nap three times, then report' } },
        { onprogress: update => void progress.push(update.message ?? '') }
      )) as any;
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'the synthesis');

      // Parallel: the three sleeps' intervals overlap (on the fixture server's clock).
      const journal = JSON.parse(firstText(await gateway.client.callTool({ name: 'fix__journal', arguments: {} })));
      const naps = (journal.intervals as Array<{ label: string; start: number; end: number }>).filter(entry =>
        entry.label.startsWith(label('nap-'))
      );
      assert.equal(naps.length, 3);
      const latestStart = Math.max(...naps.map(entry => entry.start));
      const earliestEnd = Math.min(...naps.map(entry => entry.end));
      assert.ok(latestStart < earliestEnd, `the naps ran one after another: ${JSON.stringify(naps)}`);

      // Each worker was offered only its own tools; the planner and synthesis none.
      for (const request of byRole('WORKER sleeper')) assert.deepEqual(offeredTools(request), ['fix__sleep']);
      for (const request of byRole('WORKER echoer')) assert.deepEqual(offeredTools(request), ['echo__echo']);
      for (const request of [...byRole('PLAN'), ...byRole('SYNTH')]) assert.deepEqual(offeredTools(request), []);
      assert.equal(byRole('WORKER sleeper').length, 6);
      // The planner was shown the workers; the step-2 worker saw step 1's results; synthesis saw all.
      assert.match(systemPrompt(byRole('PLAN')[0]!), /- sleeper: WORKER sleeper \(tools of: fix\)/);
      const report = firstUserText(byRole('WORKER echoer')[0]!);
      assert.match(report, new RegExp(`Results of earlier steps[\\s\\S]*done: ${label('nap-2')}`));
      const synthesis = firstUserText(byRole('SYNTH')[0]!);
      assert.match(synthesis, /^Task: nap three times, then report/);
      for (const name of ['nap-1', 'nap-2', 'nap-3', 'report'])
        assert.ok(synthesis.includes(`done: ${label(name)}`), name);

      const structured = result.structuredContent;
      assert.equal(structured.mode, 'full');
      assert.equal(structured.plans.length, 1);
      assert.deepEqual(
        structured.tasks.map((entry: any) => [entry.step, entry.worker, entry.outcome, entry.turns]),
        [
          [1, 'sleeper', 'ok', 2],
          [1, 'sleeper', 'ok', 2],
          [1, 'sleeper', 'ok', 2],
          [2, 'echoer', 'ok', 2]
        ]
      );
      assert.ok(structured.tasks.every((entry: any) => typeof entry.durationMs === 'number'));
      assert.ok(structured.tasks[0].durationMs >= 350, `a nap task took ${structured.tasks[0].durationMs} ms`);
      // Usage per call, per worker and in total: 1 plan (100) + 8 worker calls (20) + synthesis (50).
      assert.equal(structured.usage.calls.length, 10);
      assert.equal(structured.usage.byWorker.sleeper.totalTokens, 120);
      assert.equal(structured.usage.byWorker.echoer.totalTokens, 40);
      assert.equal(structured.usage.byWorker['(plan)'].totalTokens, 100);
      assert.equal(structured.usage.byWorker['(synthesis)'].totalTokens, 50);
      assert.equal(structured.usage.totalTokens, 310);
      assert.deepEqual(progress.slice(0, 2), [
        'orchestrator conductor: planning',
        'orchestrator conductor: step 1: 3 task(s)'
      ]);
      assert.ok(progress.includes('orchestrator conductor: step 2: task 1/1 (echoer) ok'), progress.join(' | '));
      assert.equal(progress.at(-1), 'orchestrator conductor: synthesis');
    });

    it('iterative: plans a step, runs it, re-plans with the results until the planner says complete', async () => {
      model.reset(
        roles([
          { complete: false, ...tasks(['echoer', label('first')]) },
          { complete: false, ...tasks(['echoer', label('second')]) },
          { complete: true, tasks: [] }
        ])
      );
      const result = await call('stepper', 'two things, one after the other');
      assert.equal(result.isError, undefined, firstText(result));
      assert.equal(firstText(result), 'the synthesis');
      const plans = byRole('PLAN');
      assert.equal(plans.length, 3);
      assert.equal(firstUserText(plans[0]!), 'Task: two things, one after the other');
      assert.match(
        firstUserText(plans[1]!),
        new RegExp(`Results so far:\\n\\[step 1\\] echoer: ${label('first')}\\ndone: ${label('first')}`)
      );
      assert.match(firstUserText(plans[2]!), new RegExp(`done: ${label('second')}`));
      assert.deepEqual(
        result.structuredContent.plans.map((plan: any) => [plan.step, plan.complete]),
        [
          [1, false],
          [2, false],
          [3, true]
        ]
      );
      assert.equal(result.structuredContent.tasks.length, 2);
    });

    it('a plan naming a worker that does not exist is sent back once; the repaired plan runs', async () => {
      model.reset(roles([{ steps: [tasks(['ghost', label('boo')])] }, { steps: [tasks(['echoer', label('fixed')])] }]));
      const result = await call('conductor', 'anything');
      assert.equal(result.isError, undefined, firstText(result));
      const plans = byRole('PLAN');
      assert.equal(plans.length, 2);
      const repair = JSON.stringify(plans[1]!.body.messages);
      assert.match(repair, /worker \\"ghost\\" does not exist; the workers are: sleeper, echoer/);
      assert.deepEqual(
        result.structuredContent.tasks.map((entry: any) => entry.task),
        [label('fixed')]
      );
      assert.equal(result.structuredContent.usage.byWorker['(plan)'].calls, 2);
    });

    it('a second bad plan is a typed tool error (invalid_plan) keeping the raw text; no worker runs', async () => {
      model.reset(
        roles([
          { steps: [tasks(['ghost', 'boo'])] },
          'still {"steps": [{"tasks": [{"worker": "ghost", "task": "boo"}]}]}'
        ])
      );
      const result = await call('conductor', 'anything');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'invalid_plan');
      assert.match(
        firstText(result),
        /Orchestrator "conductor" got no usable plan while planning: .*did not answer with a plan/
      );
      assert.match(result.structuredContent.raw, /^still .*"ghost"/);
      assert.match(result.structuredContent.why, /worker "ghost" does not exist/);
      assert.deepEqual(result.structuredContent.partial_results, []);
      assert.equal(byRole('WORKER').length, 0);
    });

    it('maxIterations: a planner that never says complete ends as a tool error (max_iterations) with partial_results', async () => {
      model.reset(roles([{ complete: false, ...tasks(['echoer', label('again')]) }]));
      const result = await call('stepper', 'never done');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'max_iterations');
      assert.match(firstText(result), /did not finish within 2 plan steps \(orchestrators\.stepper\.maxIterations\)/);
      assert.equal(result.structuredContent.partial_results.length, 2);
      assert.deepEqual(result.structuredContent.partial_results[0], {
        step: 1,
        worker: 'echoer',
        task: label('again'),
        result: `done: ${label('again')}`
      });
      assert.equal(byRole('SYNTH').length, 0);
    });

    it('a full plan longer than maxIterations runs its first steps, then ends as max_iterations (never silently cut)', async () => {
      const steps = [1, 2, 3, 4].map(index => tasks(['echoer', label(`long-${index}`)]));
      model.reset(roles([{ steps }]));
      const result = await call('conductor', 'four steps');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'max_iterations');
      assert.match(firstText(result), /the planner planned 4/);
      assert.equal(result.structuredContent.partial_results.length, 3);
    });

    it('token budget: passing it stops the run (budget) with the results so far, never a success', async () => {
      // 100 (plan) + 150 + 150 (the first worker's two calls) = 400 > 300: step 2 and synthesis never run.
      model.reset(
        roles([{ steps: [tasks(['echoer', label('costly')]), tasks(['echoer', label('never')])] }], {
          usage: { plan: 100, worker: 150 }
        })
      );
      const result = await call('thrifty', 'spend');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'budget');
      assert.match(firstText(result), /the token budget \(300, orchestrators\.thrifty\.budget\.tokens\) is spent/);
      assert.equal(result.structuredContent.usage.totalTokens, 400);
      assert.deepEqual(
        result.structuredContent.partial_results.map((entry: any) => entry.task),
        [label('costly')]
      );
      assert.equal(byRole('SYNTH').length, 0);
      assert.ok(!model.requests.some(request => firstUserText(request).startsWith(label('never'))));
    });

    it('time budget: the tasks in flight are cancelled and the run ends (budget) soon after', async () => {
      model.reset(roles([{ steps: [tasks(['sleeper', label('long-nap')])] }], { sleepMs: 20_000 }));
      const started = performance.now();
      const result = await call('hurried', 'take forever');
      const elapsed = performance.now() - started;
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'budget');
      assert.match(firstText(result), /the time budget \(700 ms, orchestrators\.hurried\.budget\.time\) is spent/);
      assert.ok(elapsed < 10_000, `the run took ${Math.round(elapsed)} ms`);
      assert.equal(result.structuredContent.tasks[0].outcome, 'cancelled');
      assert.deepEqual(result.structuredContent.partial_results, []);
    });

    it('steps budget: a step that would pass it is not started', async () => {
      model.reset(
        roles([{ steps: [tasks(['echoer', label('s1')]), tasks(['echoer', label('s2')], ['echoer', label('s3')])] }])
      );
      const result = await call('counted', 'three tasks');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'budget');
      assert.match(
        firstText(result),
        /the steps budget \(2 worker tasks, orchestrators\.counted\.budget\.steps\) would be passed by step 2/
      );
      assert.equal(result.structuredContent.tasks.length, 1);
    });

    it('a planner endpoint that is down: a clear error naming the model and URL', async () => {
      const result = await call('unplugged', 'hello');
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent.reason, 'model_error');
      const text = firstText(result);
      assert.match(text, /Orchestrator "unplugged" stopped while planning: model "down"/);
      assert.ok(text.includes(downURL), text);
      assert.match(text, /ECONNREFUSED/);
    });

    it('a worker that fails (its maxTurns) is recorded as an error; the run goes on and the synthesis is told', async () => {
      model.reset(
        roles([
          {
            steps: [tasks(['echoer', label('fine')], ['stubborn', label('loops')]), tasks(['echoer', label('after')])]
          }
        ])
      );
      const result = await call('mixed', 'one fails');
      assert.equal(result.isError, undefined, firstText(result));
      assert.deepEqual(
        result.structuredContent.tasks.map((entry: any) => [entry.worker, entry.outcome, entry.reason]),
        [
          ['echoer', 'ok', undefined],
          ['stubborn', 'error', 'max_turns'],
          ['echoer', 'ok', undefined]
        ]
      );
      assert.match(
        firstUserText(byRole('SYNTH')[0]!),
        new RegExp(
          `\\[step 1\\] stubborn: ${label('loops')} \\(error: max_turns\\)\\n.*did not finish within 1 model turns`
        )
      );
    });

    it('a cancelled call cancels the worker tasks in flight (their tool calls too)', async () => {
      model.reset(roles([{ steps: [tasks(['sleeper', label('cancelled-nap')])] }], { sleepMs: 20_000 }));
      const controller = new AbortController();
      const pending = gateway.client.callTool(
        { name: 'conductor', arguments: { task: 'sleep until cancelled' } },
        { signal: controller.signal }
      );
      await waitFor(() => byRole('WORKER sleeper').length === 1, 'the worker to call its tool');
      await new Promise(resolve => setTimeout(resolve, 500)); // for the tool call to reach the server
      controller.abort('the test cancels');
      await assert.rejects(pending);
      await waitFor(async () => {
        const journal = JSON.parse(firstText(await gateway.client.callTool({ name: 'fix__journal', arguments: {} })));
        return (journal.cancelled as Array<{ label: string }>).some(entry => entry.label === label('cancelled-nap'));
      }, 'the sleep to be cancelled');
      assert.equal(byRole('SYNTH').length, 0);
    });

    it('rejects a call without a task', async () => {
      const result = (await gateway.client.callTool({ name: 'conductor', arguments: {} })) as any;
      assert.equal(result.isError, true);
      assert.match(firstText(result), /expected \{"task": /);
    });
  });
}

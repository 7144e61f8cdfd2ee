/**
 * Agent benchmarks: `node --import tsx bench/agents/run.ts [--quick]`. The model is the scripted model server
 * (test/fixtures/model-server), answering at once, in this process.
 *
 *  (a) Gateway cost per agent turn: an agent run of T turns (T−1 tool calls of the echo fixture, then an
 *      answer), per protocol. Per turn: wall ms and CPU ms of this process (the gateway and the scripted server
 *      both), next to what the parts cost alone: one echo call through the pipeline, and one bare HTTP POST of
 *      the same model request body to the scripted server. The difference is the agent loop's own cost
 *      (building the request, the AI SDK provider's encoding and parsing, bookkeeping).
 *  (b) Tokens of the tool definitions sent with every model call (o200k_base, the `tools` of the recorded
 *      request): an agent confined to one server of the default config versus one given all three.
 *  (c) Orchestrators: a plan of 8 independent worker tasks whose tool sleeps S ms (wall time / S; 1 would be
 *      perfectly parallel), and the cost per plan step of a plan of K steps of one echo task each: wall and CPU
 *      ms per step, and the orchestrator's own part (what is not in the worker runs, the plan or the synthesis).
 * `--only turns|tokens|orchestrator` runs one section. Prints Markdown tables; writes bench/results/agents-latest.json. Measures only; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { GatewayResult } from '../../src/core/pipeline.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startScriptedModelServer, type ScriptTurn } from '../../test/fixtures/model-server/scripted-model-server.js';
import { formatTable } from '../lib/table.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
});
if (values.help) {
  process.stdout.write('node --import tsx bench/agents/run.ts [--quick] [--only turns|tokens|orchestrator]\n');
  process.exit(0);
}
const quick = values.quick ?? false;
/** Runs one section only: `turns` (a), `tokens` (b) or `orchestrator` (c). */
const only = values.only;
const npmServer = (name: string) => join(repoRoot, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');
const echo = {
  command: process.execPath,
  args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/echo.ts')],
  cwd: repoRoot
};

async function startCore(config: Record<string, unknown>, dir: string): Promise<GatewayCore> {
  const path = join(dir, 'manifold.yaml');
  writeFileSync(path, stringify(config));
  const { config: parsed } = parseConfig(stringify(config), { source: path });
  const core = new GatewayCore({ config: parsed, configPath: path, logger: createLogger({ level: 'error' }) });
  await core.start();
  return core;
}

function callTool(core: GatewayCore, name: string, args: Record<string, unknown> = {}): Promise<GatewayResult> {
  return core.pipeline({
    method: 'tools/call',
    params: { name, arguments: args },
    downstream: {
      era: 'legacy',
      sessionId: 'bench',
      signal: new AbortController().signal,
      clientCapabilities: {},
      progressToken: undefined,
      notify: async () => {},
      log: () => {}
    }
  });
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), quick, machine };
process.stdout.write(
  `Agent benchmarks (${quick ? 'quick' : 'full'}): ${machine.cpus} × ${machine.cpu}, Node ${machine.node}\n\n`
);

// (a) Cost per turn.
if (only === undefined || only === 'turns') {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-agents-'));
  const turns = quick ? 11 : 51;
  const rounds = quick ? 3 : 7;
  await using model = await startScriptedModelServer();
  const endpoint = { baseURL: model.baseURL, model: 'bench' };
  const core = await startCore(
    {
      servers: { echo },
      models: { viaOpenai: { provider: 'openai', ...endpoint }, viaAnthropic: { provider: 'anthropic', ...endpoint } },
      agents: {
        openai: { model: 'viaOpenai', servers: ['echo'], maxTurns: turns },
        anthropic: { model: 'viaAnthropic', servers: ['echo'], maxTurns: turns }
      }
    },
    dir
  );
  const script = (index: number): ScriptTurn =>
    index < turns - 1
      ? { toolCalls: [{ name: 'echo__echo', arguments: { message: `turn ${index}` } }] }
      : { text: 'done' };
  const rows: string[][] = [];
  const measured: Record<string, unknown> = {};
  try {
    // The parts alone: an echo call through the pipeline; a bare POST of a recorded model request.
    for (let index = 0; index < 50; index++) await callTool(core, 'echo__echo', { message: 'warm' });
    const echoMs: number[] = [];
    for (let index = 0; index < 200; index++) {
      const started = performance.now();
      await callTool(core, 'echo__echo', { message: 'x' });
      echoMs.push(performance.now() - started);
    }
    for (const protocol of ['openai', 'anthropic'] as const) {
      model.reset(script);
      await callTool(core, protocol, { task: 'warm up' });
      const body = JSON.stringify(model.requests.at(-1)!.body);
      const path = protocol === 'openai' ? '/chat/completions' : '/messages';
      const postMs: number[] = [];
      for (let index = 0; index < 100; index++) {
        model.reset([{ text: 'x' }]);
        const started = performance.now();
        const response = await fetch(`${model.baseURL}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body
        });
        await response.text();
        postMs.push(performance.now() - started);
      }
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let round = 0; round < rounds; round++) {
        model.reset(script);
        const startedCpu = cpuMs();
        const started = performance.now();
        const result = await callTool(core, protocol, { task: 'run the loop' });
        wall.push((performance.now() - started) / turns);
        cpu.push((cpuMs() - startedCpu) / turns);
        if (result.isError) throw new Error(`the ${protocol} agent failed: ${JSON.stringify(result.content)}`);
      }
      const perTurn = median(wall);
      const parts = median(postMs) + (median(echoMs) * (turns - 1)) / turns;
      measured[protocol] = {
        turns,
        wallMsPerTurn: perTurn,
        cpuMsPerTurn: median(cpu),
        echoCallMs: median(echoMs),
        bareModelPostMs: median(postMs),
        loopMsPerTurn: perTurn - parts
      };
      rows.push([
        protocol,
        String(turns),
        perTurn.toFixed(2),
        median(cpu).toFixed(2),
        median(echoMs).toFixed(2),
        median(postMs).toFixed(2),
        (perTurn - parts).toFixed(2)
      ]);
    }
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
  results.perTurn = measured;
  process.stdout.write(`(a) Cost per agent turn (median of ${rounds} runs; the scripted model answers at once)\n\n`);
  process.stdout.write(
    `${formatTable(['protocol', 'turns per run', 'ms per turn', 'CPU ms per turn', 'echo call alone, ms', 'bare model POST, ms', "loop's own ms per turn"], rows)}\n\n`
  );
}

// (b) Tokens of the tool definitions per model call.
if (only === undefined || only === 'tokens') {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-agents-'));
  const sandbox = join(dir, 'sandbox');
  mkdirSync(sandbox);
  await using model = await startScriptedModelServer();
  const core = await startCore(
    {
      servers: {
        everything: { command: process.execPath, args: [npmServer('server-everything'), 'stdio'] },
        memory: {
          command: process.execPath,
          args: [npmServer('server-memory')],
          env: { MEMORY_FILE_PATH: join(sandbox, 'memory.jsonl') }
        },
        fs: { command: process.execPath, args: [npmServer('server-filesystem'), sandbox] }
      },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'bench' } },
      agents: {
        one: { model: 'local', servers: ['fs'] },
        all: { model: 'local', servers: ['everything', 'memory', 'fs'] }
      }
    },
    dir
  );
  const rows: string[][] = [];
  const measured: Record<string, unknown> = {};
  try {
    for (const agent of ['one', 'all']) {
      model.reset([{ text: 'done' }]);
      await callTool(core, agent, { task: 'nothing' });
      const tools = model.requests[0]!.body.tools as unknown[];
      const tokens = countTokens(JSON.stringify(tools));
      measured[agent] = { tools: tools.length, tokens };
      rows.push([agent === 'one' ? 'confined to fs' : 'everything, memory, fs', String(tools.length), String(tokens)]);
    }
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
  results.toolTokens = measured;
  process.stdout.write('(b) Tool definitions sent with every model call (OpenAI wire, o200k_base)\n\n');
  process.stdout.write(`${formatTable(['agent servers', 'tools', 'tokens per call'], rows)}\n\n`);
}

// (c) Orchestrators: a plan of 8 independent worker tasks whose tool sleeps S ms (wall / S, goal ≈ 1), and the
// orchestrator's own cost per plan step (a plan of K steps, one echo task each).
if (only === undefined || only === 'orchestrator') {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-agents-'));
  await using model = await startScriptedModelServer();
  const sleepMs = quick ? 200 : 500;
  const planSteps = quick ? 10 : 40;
  const rounds = quick ? 3 : 5;
  const tools = {
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/workflow-tools.ts')],
    cwd: repoRoot
  };
  const core = await startCore(
    {
      servers: { echo, fix: tools },
      models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'bench' } },
      agents: {
        sleeper: { model: 'local', servers: ['fix'], tools: ['sleep'], instruction: 'WORKER sleeper' },
        echoer: { model: 'local', servers: ['echo'], instruction: 'WORKER echoer' }
      },
      orchestrators: {
        lead: {
          model: 'local',
          workers: ['sleeper', 'echoer'],
          instruction: 'PLAN',
          synthesis: 'SYNTH',
          maxIterations: planSteps
        }
      }
    },
    dir
  );
  /** Answers by role: the planner `plan`, a worker one tool call then `done`, the synthesis `ok`. */
  const roles =
    (plan: unknown) =>
    (_index: number, request: { body: { messages: Array<{ role: string; content: unknown }> } }): ScriptTurn => {
      const messages = request.body.messages;
      const content = messages.find(message => message.role === 'system')?.content;
      const system = typeof content === 'string' ? content : '';
      if (system.startsWith('PLAN')) return { text: JSON.stringify(plan) };
      if (system.startsWith('SYNTH')) return { text: 'ok' };
      if (messages.some(message => message.role === 'tool')) return { text: 'done' };
      return {
        toolCalls: [
          system.startsWith('WORKER sleeper')
            ? { name: 'fix__sleep', arguments: { ms: sleepMs } }
            : { name: 'echo__echo', arguments: { message: 'x' } }
        ]
      };
    };
  const measured: Record<string, unknown> = {};
  try {
    const parallelPlan = {
      steps: [{ tasks: Array.from({ length: 8 }, (_, index) => ({ worker: 'sleeper', task: `nap ${index}` })) }]
    };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      model.reset(roles(parallelPlan));
      const started = performance.now();
      const result = await callTool(core, 'lead', { task: 'nap eight times' });
      if (result.isError) throw new Error(`the orchestrator failed: ${JSON.stringify(result.content)}`);
      ratios.push((performance.now() - started) / sleepMs);
    }
    const stepPlan = {
      steps: Array.from({ length: planSteps }, (_, index) => ({ tasks: [{ worker: 'echoer', task: `echo ${index}` }] }))
    };
    const wall: number[] = [];
    const cpu: number[] = [];
    const own: number[] = [];
    for (let round = 0; round < rounds; round++) {
      model.reset(roles(stepPlan));
      const startedCpu = cpuMs();
      const started = performance.now();
      const result = await callTool(core, 'lead', { task: 'echo in steps' });
      const elapsed = performance.now() - started;
      if (result.isError) throw new Error(`the orchestrator failed: ${JSON.stringify(result.content)}`);
      const structured = result.structuredContent as {
        tasks: Array<{ durationMs: number }>;
        usage: { calls: Array<{ phase: string; durationMs: number }> };
      };
      const workers = structured.tasks.reduce((sum, task) => sum + task.durationMs, 0);
      const planAndSynthesis = structured.usage.calls
        .filter(call => call.phase !== 'worker')
        .reduce((sum, call) => sum + call.durationMs, 0);
      wall.push(elapsed / planSteps);
      cpu.push((cpuMs() - startedCpu) / planSteps);
      own.push((elapsed - workers - planAndSynthesis) / planSteps);
    }
    measured.parallel = { tasks: 8, sleepMs, wallOverSleep: median(ratios) };
    measured.perStep = {
      steps: planSteps,
      wallMsPerStep: median(wall),
      cpuMsPerStep: median(cpu),
      orchestratorOwnMsPerStep: median(own)
    };
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
  results.orchestrator = measured;
  const parallel = measured.parallel as { wallOverSleep: number };
  const perStep = measured.perStep as { wallMsPerStep: number; cpuMsPerStep: number; orchestratorOwnMsPerStep: number };
  process.stdout.write(`(c) Orchestrator (OpenAI wire; median of ${rounds} runs)\n\n`);
  process.stdout.write(
    `${formatTable(
      ['measure', 'value'],
      [
        [`8 parallel tasks sleeping S = ${sleepMs} ms: wall / S`, parallel.wallOverSleep.toFixed(2)],
        [`plan of ${planSteps} steps (1 echo task each): ms per step`, perStep.wallMsPerStep.toFixed(2)],
        ['CPU ms per step', perStep.cpuMsPerStep.toFixed(2)],
        [
          "orchestrator's own ms per step (not in the worker run, plan or synthesis)",
          perStep.orchestratorOwnMsPerStep.toFixed(2)
        ]
      ]
    )}\n\n`
  );
}

mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/agents-latest.json'), JSON.stringify(results, null, 2));

/**
 * Workflow benchmarks: `npm run bench:workflows` (add `-- --quick` for a short run).
 *
 *  (a) Fan-out: a workflow whose one parallel step has N branches, each calling a tool that sleeps S ms
 *      (the workflow-tools fixture, one stdio server). Wall time of the whole tools/call divided by S, for
 *      N = 1, 8, 64: 1.0 would be perfect overlap; what is above it is Manifold's overhead plus the
 *      server's. The same with a map step (64 items, concurrency 64) for comparison.
 *  (b) Tokens: a 4-step triage chain over the default servers (memory, fs), done by an LLM step by step
 *      (each turn reads the tool list, the request and every earlier call and result, then writes the next
 *      call) versus one call of the same chain declared as a workflow. Counted with o200k_base
 *      (gpt-tokenizer), on the real tool list and the real results of the run.
 * Prints Markdown tables; writes bench/results/workflows-latest.json. Measures only; asserts nothing.
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
import { formatTable } from '../lib/table.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:workflows [-- --quick]\n');
  process.exit(0);
}
const quick = values.quick ?? false;
const log = (line: string) => process.stderr.write(`  ${line}\n`);

const fixture = { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/workflow-tools.ts')], cwd: repoRoot };
const npmServer = (name: string) => join(repoRoot, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');

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
    downstream: { era: 'legacy', sessionId: 'bench', signal: new AbortController().signal, clientCapabilities: {}, progressToken: undefined, notify: async () => {}, log: () => {} }
  });
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), quick, machine };
process.stdout.write(`Workflow benchmarks (${quick ? 'quick' : 'full'}): ${machine.cpus} × ${machine.cpu}, Node ${machine.node}\n\n`);

// (a) Fan-out.
{
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-wf-'));
  const widths = [1, 8, 64];
  const sleeps = quick ? [100] : [50, 200];
  const rounds = quick ? 3 : 7;
  const workflows: Record<string, unknown> = {};
  for (const width of widths) {
    workflows[`fan_${width}`] = {
      input: { type: 'object', properties: { ms: { type: 'number' } } },
      steps: [{ id: 'all', parallel: Object.fromEntries(Array.from({ length: width }, (_, index) => [`b${index}`, { call: 'fix__sleep', with: { ms: '{{ input.ms }}' } }])) }]
    };
  }
  workflows.map_64 = {
    input: { type: 'object', properties: { ms: { type: 'number' } } },
    steps: [{ id: 'all', map: '[1..64]', concurrency: 64, call: 'fix__sleep', with: { ms: '{{ input.ms }}' } }]
  };
  const core = await startCore({ servers: { fix: fixture }, workflows, store: { path: join(dir, 'runs.db') } }, dir);
  try {
    // Warm up: the first calls pay for JIT and the server's first schema compiles.
    for (const name of Object.keys(workflows)) await callTool(core, name, { ms: 1 });
    const rows: Array<Record<string, number | string>> = [];
    for (const sleep of sleeps) {
      for (const name of [...widths.map(width => `fan_${width}`), 'map_64']) {
        const walls: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const started = performance.now();
          const result = await callTool(core, name, { ms: sleep });
          walls.push(performance.now() - started);
          if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
        }
        const wall = median(walls);
        rows.push({ workflow: name, branches: name === 'map_64' ? 64 : Number(name.slice(4)), sleepMs: sleep, wallMs: wall, ratio: wall / sleep, minRatio: Math.min(...walls) / sleep });
        log(`${name} S=${sleep} ms: wall ${wall.toFixed(1)} ms, ×${(wall / sleep).toFixed(3)}`);
      }
      // The baseline: the same N calls sent at once by a client through the pipeline, no workflow.
      for (const width of widths) {
        const walls: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const started = performance.now();
          await Promise.all(Array.from({ length: width }, () => callTool(core, 'fix__sleep', { ms: sleep })));
          walls.push(performance.now() - started);
        }
        const wall = median(walls);
        rows.push({ workflow: 'direct', branches: width, sleepMs: sleep, wallMs: wall, ratio: wall / sleep, minRatio: Math.min(...walls) / sleep });
        log(`direct ×${width} S=${sleep} ms: wall ${wall.toFixed(1)} ms, ×${(wall / sleep).toFixed(3)}`);
      }
    }
    results.fanOut = rows;
    process.stdout.write('## (a) Fan-out: N branches that each sleep S ms; wall time of the whole call / S (median of ' + rounds + ' runs)\n\n');
    process.stdout.write(
      formatTable(
        ['step', 'N', 'S (ms)', 'wall (ms)', 'wall / S', 'best wall / S'],
        rows.map(row => [
          row.workflow === 'map_64' ? 'map, concurrency 64' : row.workflow === 'direct' ? 'no workflow: N calls at once' : 'parallel',
          String(row.branches),
          String(row.sleepMs),
          (row.wallMs as number).toFixed(1),
          (row.ratio as number).toFixed(3),
          (row.minRatio as number).toFixed(3)
        ])
      ) + '\n\n'
    );
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// (b) Tokens of a triage chain, step by step versus one composite call.
{
  const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-triage-'));
  const sandbox = join(dir, 'sandbox');
  mkdirSync(join(sandbox, 'src', 'auth'), { recursive: true });
  writeFileSync(
    join(sandbox, 'src', 'auth', 'login-safari.ts'),
    "// Login form submit handler.\nexport function submitLogin(form: HTMLFormElement) {\n  const data = new FormData(form);\n  // Safari drops the cookie when SameSite=None without Secure.\n  document.cookie = `session=${data.get('token')}; SameSite=None`;\n  return fetch('/api/login', { method: 'POST', body: data, credentials: 'include' });\n}\n"
  );
  writeFileSync(join(sandbox, 'src', 'auth', 'logout.ts'), 'export function logout() {\n  document.cookie = "session=; Max-Age=0";\n}\n');
  writeFileSync(
    join(dir, 'memory.jsonl'),
    [
      { type: 'entity', name: 'BUG-101', entityType: 'bug', observations: ['Login fails on Safari: the session cookie is not kept', 'status: new', 'component: login-safari'] },
      { type: 'entity', name: 'BUG-102', entityType: 'bug', observations: ['Dark mode toggle flickers', 'status: triaged', 'component: theme'] },
      { type: 'entity', name: 'alice', entityType: 'person', observations: ['owns src/auth', 'slack: U12345'] },
      { type: 'relation', from: 'alice', to: 'BUG-102', relationType: 'assigned' }
    ]
      .map(line => JSON.stringify(line))
      .join('\n') + '\n'
  );
  const triage = {
    description: 'Triages a bug: finds it in the tracker (memory graph), finds the code it names, reads that code, and records the triage on the bug.',
    input: { type: 'object', properties: { query: { type: 'string' }, root: { type: 'string' } }, required: ['query', 'root'] },
    steps: [
      { id: 'issues', call: 'memory__search_nodes', with: { query: '{{ input.query }}' } },
      {
        id: 'refs',
        call: 'fs__search_files',
        with: { path: '{{ input.root }}', pattern: '{{ "**/" & $substringAfter(steps.issues.result.entities[0].observations[$contains($, "component:")], "component: ") & "*" }}' }
      },
      { id: 'code', call: 'fs__read_text_file', with: { path: '{{ $split(steps.refs.result.content, "\n")[0] }}' } },
      {
        id: 'record',
        call: 'memory__add_observations',
        with: {
          observations: [
            {
              entityName: '{{ steps.issues.result.entities[0].name }}',
              contents: ['{{ "triaged: see " & $split(steps.refs.result.content, "\n")[0] & " (" & $string($count($split(steps.code.result.content, "\n"))) & " lines)" }}']
            }
          ]
        }
      }
    ],
    output: '{{ {"bug": steps.issues.result.entities[0].name, "file": $split(steps.refs.result.content, "\n")[0], "recorded": steps.record.result} }}'
  };
  const servers = {
    memory: { command: process.execPath, args: [npmServer('server-memory')], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } },
    fs: { command: process.execPath, args: [npmServer('server-filesystem'), sandbox] }
  };
  const args = { query: 'Safari', root: sandbox };
  const request = 'Triage the new Safari login bug: find it, find the code it names, read it, and note the triage on the bug.';
  const core = await startCore({ servers, workflows: { triage_bug: triage }, store: { path: join(dir, 'runs.db') } }, dir);
  try {
    const allTools = core.catalog.tools.map(tool => tool.definition);
    const upstreamTools = allTools.filter(tool => tool.name !== 'triage_bug');
    const tokens = (value: unknown) => countTokens(typeof value === 'string' ? value : JSON.stringify(value));
    // Step by step: the calls an LLM would make, with the arguments it would have to write, each from the
    // results it read. They are the workflow's own steps, replayed one by one through the same gateway.
    const stepCalls: Array<{ name: string; arguments: Record<string, unknown> }> = [];
    const stepResults: GatewayResult[] = [];
    const run = await callTool(core, 'triage_bug', args);
    if (run.isError) throw new Error(`triage_bug failed: ${JSON.stringify(run.content)}`);
    const runId = (run._meta as Record<string, string>)['manifold/run-id']!;
    for (const step of core.workflows.store!.getRun(runId)!.steps) {
      const call = { name: step.tool!, arguments: JSON.parse(step.input!) as Record<string, unknown> };
      // Replaying add_observations would add the same observation twice; the first run's result stands in.
      const result = step.tool === 'memory__add_observations' ? { content: [{ type: 'text', text: JSON.stringify((run.structuredContent as { recorded: unknown }).recorded) }] } : await callTool(core, call.name, call.arguments);
      stepCalls.push(call);
      stepResults.push({ content: result.content });
    }
    const listTokens = tokens(upstreamTools);
    const listWithWorkflow = tokens(allTools);
    const requestTokens = tokens(request);
    let readStepwise = 0;
    let writtenStepwise = 0;
    let context = listTokens + requestTokens;
    for (let index = 0; index < stepCalls.length; index++) {
      readStepwise += context;
      const written = tokens(stepCalls[index]);
      writtenStepwise += written;
      context += written + tokens(stepResults[index]!.content);
    }
    readStepwise += context; // the turn that reads the last result and answers
    const compositeCall = { name: 'triage_bug', arguments: args };
    const compositeWritten = tokens(compositeCall);
    const compositeRead = listWithWorkflow + requestTokens + (listWithWorkflow + requestTokens + compositeWritten + tokens({ content: run.content, structuredContent: run.structuredContent }));
    const intermediate = stepResults.slice(0, -1).reduce((sum, result) => sum + tokens(result.content), 0);
    const row = {
      tools: upstreamTools.length,
      listTokens,
      listWithWorkflow,
      turnsStepwise: stepCalls.length + 1,
      readStepwise,
      writtenStepwise,
      intermediateResultTokens: intermediate,
      turnsComposite: 2,
      readComposite: compositeRead,
      writtenComposite: compositeWritten,
      calls: stepCalls.map(call => call.name)
    };
    results.triageTokens = row;
    log(`triage: step by step read ${readStepwise} written ${writtenStepwise}; composite read ${compositeRead} written ${compositeWritten}`);
    process.stdout.write(`## (b) Tokens of a 4-step triage chain (${row.calls.join(' → ')}), o200k_base\n\n`);
    process.stdout.write(
      formatTable(
        ['how', 'LLM turns', 'tokens read', 'tokens written', 'read + written'],
        [
          ['step by step (each turn re-reads the tool list and all earlier results)', String(row.turnsStepwise), String(readStepwise), String(writtenStepwise), String(readStepwise + writtenStepwise)],
          ['one workflow call (triage_bug)', '2', String(compositeRead), String(compositeWritten), String(compositeRead + compositeWritten)],
          ['ratio', '', (readStepwise / compositeRead).toFixed(2), (writtenStepwise / compositeWritten).toFixed(2), ((readStepwise + writtenStepwise) / (compositeRead + compositeWritten)).toFixed(2)]
        ]
      ) + '\n\n'
    );
    process.stdout.write(
      `Tool list: ${row.tools} tools, ${listTokens} tokens (${listWithWorkflow} with the workflow tool). Intermediate results the step-by-step LLM must read and carry: ${intermediate} tokens.\n\n`
    );
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/workflows-latest.json'), JSON.stringify(results, null, 2));
process.stderr.write('wrote bench/results/workflows-latest.json\n');

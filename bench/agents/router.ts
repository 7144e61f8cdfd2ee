/**
 * Router figures: `node --import tsx bench/agents/router.ts [--quick]`. The model is the scripted model server
 * answering at once; the servers are the three default ones. Measures (a) the tool definitions a server
 * route's loop is sent per model call, per route, against an agent offered every tool; (b) the classification
 * request's own size; (c) the time a routed call adds over calling the same loop as an agent directly.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { GatewayResult } from '../../src/core/pipeline.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startScriptedModelServer } from '../../test/fixtures/model-server/scripted-model-server.js';
import { formatTable } from '../lib/table.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const runs = values.quick ? 20 : 200;
const npmServer = (name: string) => join(repoRoot, `node_modules/@modelcontextprotocol/${name}/dist/index.js`);

function callTool(core: GatewayCore, name: string, args: Record<string, unknown>): Promise<GatewayResult> {
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

const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-router-'));
const sandbox = join(dir, 'sandbox');
mkdirSync(sandbox);
await using model = await startScriptedModelServer();
const config = {
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
    all: { model: 'local', servers: ['everything', 'memory', 'fs'] },
    fs_only: { model: 'local', servers: ['fs'] }
  },
  routers: {
    front: {
      model: 'local',
      routes: { everything: { server: 'everything' }, memory: { server: 'memory' }, fs: { server: 'fs' } },
      default: 'fs'
    }
  }
};
const path = join(dir, 'manifold.yaml');
writeFileSync(path, stringify(config));
const core = new GatewayCore({
  config: parseConfig(stringify(config), { source: path }).config,
  configPath: path,
  logger: createLogger({ level: 'error' })
});
await core.start();
const route = (name: string) => ({ text: JSON.stringify({ route: name, confidence: 0.9, reasoning: 'bench' }) });
const results: Record<string, unknown> = {};
try {
  // (a) and (b)
  const rows: string[][] = [];
  model.reset([{ text: 'done' }]);
  await callTool(core, 'all', { task: 'nothing' });
  const allTools = model.requests[0]!.body.tools as unknown[];
  const allTokens = countTokens(JSON.stringify(allTools));
  rows.push(['agent over every server (no router)', String(allTools.length), String(allTokens), '']);
  let classification = 0;
  for (const name of ['everything', 'memory', 'fs']) {
    model.reset([route(name), { text: 'done' }]);
    await callTool(core, 'front', { request: 'nothing' });
    const classify = model.requests[0]!.body;
    classification = countTokens(JSON.stringify(classify.messages));
    const tools = model.requests[1]!.body.tools as unknown[];
    const tokens = countTokens(JSON.stringify(tools));
    rows.push([
      `router → server route "${name}"`,
      String(tools.length),
      String(tokens),
      `${Math.round((1 - tokens / allTokens) * 100)} %`
    ]);
    results[name] = { tools: tools.length, tokens };
  }
  results.all = { tools: allTools.length, tokens: allTokens };
  results.classificationRequestTokens = classification;
  process.stdout.write('(a) Tool definitions sent with every model call of the loop (OpenAI wire, o200k_base)\n\n');
  process.stdout.write(`${formatTable(['loop', 'tools', 'tokens per call', 'saved'], rows)}\n\n`);
  process.stdout.write(
    `(b) The classification request (system prompt with the routes, and the request): ${classification} tokens, once per routed call\n\n`
  );

  // (c) a routed call (classification + one loop turn) against the agent alone (one turn), same server.
  const time = async (work: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let index = 0; index < runs; index++) {
      const started = performance.now();
      await work();
      samples.push(performance.now() - started);
    }
    return median(samples);
  };
  model.reset(() => ({ text: 'done' }));
  const agentMs = await time(() => callTool(core, 'fs_only', { task: 'nothing' }));
  let turn = 0;
  model.reset(() => (turn++ % 2 === 0 ? route('fs') : { text: 'done' }));
  const routerMs = await time(() => callTool(core, 'front', { request: 'nothing' }));
  results.agentMs = agentMs;
  results.routerMs = routerMs;
  process.stdout.write(
    `${formatTable(
      ['call', 'median ms'],
      [
        ['agent fs_only (1 model turn)', agentMs.toFixed(2)],
        ['router front → fs (classification + 1 turn)', routerMs.toFixed(2)],
        ['routing adds', (routerMs - agentMs).toFixed(2)]
      ]
    )}\n\n`
  );
} finally {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/router-latest.json'), JSON.stringify(results, null, 2));

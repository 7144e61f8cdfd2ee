/**
 * The scanner's false positives and cost: `npm run bench:scanner` (add `-- --data <dir>` for another folder).
 *
 * False positives: every tool set (`tools.jsonl`, format of docs/DISCOVERY.md "Evaluate retrieval") under the
 * `--data` folder (when given, or a `shared/data` folder beside the project when there is one) and under bench/discovery and test/fixtures/retrieval,
 * each scanned as one gateway would (its servers together, so cross-server references count), with the default
 * config. Prints findings per severity per set, by rule, and every high one. These are benign, real tool
 * sets: each finding is a false positive (or a real oddity worth reading).
 * Cost: the largest set repeated under distinct server names to 1,000+ tools, scanned again and again; ms per
 * 1,000 tools (median of the rounds). Writes bench/results/scanner-latest.json. Measures only; asserts nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

import { type Finding, type ScannedServer, scanServers } from '../src/scanner/index.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:scanner [-- --data <dir>]\n');
  process.exit(0);
}
const dataDir = values.data ?? join(repoRoot, '..', 'shared', 'data');

function findToolSets(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findToolSets(path));
    else if (entry === 'tools.jsonl') out.push(path);
  }
  return out;
}

interface ToolLine {
  id: string;
  server?: string;
  name: string;
  description?: string;
  inputSchema?: unknown;
  annotations?: unknown;
}

function loadSet(path: string): ScannedServer[] {
  const servers = new Map<string, ScannedServer & { tools: ScannedServer['tools'][number][] }>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const tool = JSON.parse(line) as ToolLine;
    const server = tool.server ?? 'tools';
    let entry = servers.get(server);
    if (!entry) servers.set(server, (entry = { name: server, tools: [] }));
    const { id: _id, server: _server, ...definition } = tool;
    entry.tools.push({ server, publicName: `${server}__${tool.name}`, definition });
  }
  return [...servers.values()];
}

const sets = [...findToolSets(dataDir), ...findToolSets(join(repoRoot, 'bench/discovery')), ...findToolSets(join(repoRoot, 'test/fixtures/retrieval'))];
const rows: string[][] = [];
const results: Record<string, unknown>[] = [];
let largest: ScannedServer[] = [];
for (const path of sets) {
  const servers = loadSet(path);
  const tools = servers.reduce((sum, server) => sum + server.tools.length, 0);
  if (tools > largest.reduce((sum, server) => sum + server.tools.length, 0)) largest = servers;
  const findings = scanServers(servers);
  const count = (severity: Finding['severity']) => findings.filter(finding => finding.severity === severity).length;
  const byRule: Record<string, number> = {};
  for (const finding of findings) byRule[`${finding.rule} ${finding.severity}`] = (byRule[`${finding.rule} ${finding.severity}`] ?? 0) + 1;
  const name = path.startsWith(repoRoot) ? relative(repoRoot, path) : relative(join(repoRoot, '..'), path);
  rows.push([name, String(servers.length), String(tools), String(count('high')), String(count('medium')), String(count('low')), Object.entries(byRule).map(([rule, n]) => `${rule}: ${n}`).join(', ')]);
  results.push({ set: name, servers: servers.length, tools, high: count('high'), medium: count('medium'), low: count('low'), findings });
  for (const finding of findings.filter(finding => finding.severity !== 'low'))
    process.stdout.write(`  ${name}: ${finding.severity} ${finding.rule} ${finding.tool} ${finding.field}: ${finding.evidence}\n`);
}
process.stdout.write(`\nFalse positives (default config; every finding on these benign sets is one):\n\n${formatTable(['set', 'servers', 'tools', 'high', 'medium', 'low', 'by rule'], rows)}\n`);

// Cost: the largest set, repeated under distinct server names to at least 1,000 tools.
const perCopy = largest.reduce((sum, server) => sum + server.tools.length, 0);
const copies = Math.max(1, Math.ceil(1000 / Math.max(1, perCopy)));
const big: ScannedServer[] = [];
for (let copy = 0; copy < copies; copy++)
  for (const server of largest) big.push({ name: `${server.name}-${copy}`, tools: server.tools.map(tool => ({ ...tool, server: `${server.name}-${copy}`, publicName: `${server.name}-${copy}__${(tool.definition as { name: string }).name}` })) });
const total = big.reduce((sum, server) => sum + server.tools.length, 0);
scanServers(big);
const times: number[] = [];
const cpuTimes: number[] = [];
for (let round = 0; round < 7; round++) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  scanServers(big);
  const used = process.cpuUsage(cpu);
  times.push(performance.now() - start);
  cpuTimes.push((used.user + used.system) / 1000);
}
cpuTimes.sort((a, b) => a - b);
const cpuMedian = cpuTimes[Math.floor(cpuTimes.length / 2)] as number;
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
const perThousand = (median / total) * 1000;
process.stdout.write(
  `\nCost: ${total} tools (${copies} copies of the largest set) scanned in ${median.toFixed(1)} ms wall, ${cpuMedian.toFixed(1)} ms CPU (medians of 7): ${perThousand.toFixed(1)} ms wall, ${((cpuMedian / total) * 1000).toFixed(1)} ms CPU per 1,000 tools (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)\n`
);
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/scanner-latest.json'), JSON.stringify({ sets: results, cost: { tools: total, ms: median, cpuMs: cpuMedian, msPer1000: perThousand, cpuMsPer1000: (cpuMedian / total) * 1000, loadAverage: loadavg()[0] } }, null, 2));

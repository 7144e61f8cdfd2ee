/**
 * What config `rules:` costs, side by side with no rules: per tool call through the pipeline (a real stdio
 * upstream), per decision, and per tools/list (filtering a catalog of 200 tools, first and memoised).
 *
 *   node --import tsx bench/rules-overhead.ts [--quick]
 *
 * Measures only; asserts nothing. Interleaved rounds, median per variant: the machine's noise hits all alike.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { parseConfig } from '../src/config/index.js';
import type { DownstreamContext } from '../src/core/pipeline.js';
import type { Principal } from '../src/core/principal.js';
import { GatewayCore } from '../src/gateway/index.js';
import { createRulesMiddleware, toolTarget } from '../src/rules/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { repoRoot } from './lib/processes.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
const quick = values.quick ?? false;
const log = (line: string) => process.stderr.write(`  ${line}\n`);

/** Rules of the kinds the docs show: scopes, claims, annotations, arguments; the call is decided by the last. */
const rules = [
  { deny: 'annotations.destructiveHint && !("admin" in principal.scopes)' },
  { deny: 'principal.claims.?team.orValue("") == "contractors" && server == "fx"' },
  { deny: 'tool == "fx__echo" && arguments.?message.orValue("").startsWith("/etc")' },
  { allow: 'principal.kind == "jwt" && server == "fx" && "tools.read" in principal.scopes' },
  { allow: 'principal.kind == "local"' }
];
const principal: Principal = { name: 'alice', kind: 'jwt', scopes: ['tools.read', 'admin'], claims: { sub: 'alice', team: 'core', groups: ['ops'] } };

function config(withRules: boolean): string {
  return stringify({
    servers: { fx: { command: process.execPath, args: [join(repoRoot, 'bench/fixtures/tools-server.mjs'), '--tools', '200'] } },
    store: { path: ':memory:' },
    ...(withRules ? { rules } : {})
  });
}

async function start(withRules: boolean): Promise<GatewayCore> {
  const core = new GatewayCore({ config: parseConfig(config(withRules), { env: {} }).config, logger: createLogger({ level: 'silent' }) });
  await core.start();
  return core;
}

const downstream = (): DownstreamContext => ({
  era: 'legacy',
  sessionId: 'bench',
  principal,
  signal: new AbortController().signal,
  clientCapabilities: {},
  progressToken: undefined,
  notify: async () => {},
  log: () => {}
});

/** µs per operation of each variant: `rounds` interleaved rounds of `perRound` operations, the median round. */
async function compare(variants: ReadonlyArray<() => unknown>, perRound: number, rounds: number): Promise<number[]> {
  const samples = variants.map(() => [] as number[]);
  for (const variant of variants) for (let index = 0; index < Math.min(300, perRound); index++) await variant();
  for (let round = 0; round < rounds; round++) {
    // Every other round in the other order, so that going first (or second) favours neither.
    const order = [...variants.entries()];
    if (round % 2 === 1) order.reverse();
    for (const [index, variant] of order) {
      const started = performance.now();
      for (let operation = 0; operation < perRound; operation++) await variant();
      samples[index]?.push(((performance.now() - started) / perRound) * 1000);
    }
  }
  return samples.map(values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN);
}

const off = await start(false);
const on = await start(true);
try {
  const rows: string[][] = [];
  const add = (what: string, [without, withRules]: number[]) => {
    const a = without ?? Number.NaN;
    const b = withRules ?? Number.NaN;
    rows.push([what, a.toFixed(2), b.toFixed(2), (b - a).toFixed(2), (b / a).toFixed(3)]);
    log(`${what}: ${a.toFixed(2)} → ${b.toFixed(2)} µs`);
  };
  const request = () => ({ method: 'tools/call' as const, params: { name: 'fx__echo', arguments: { message: 'hello' } }, downstream: downstream() });
  // One gateway and one upstream process for both: its pipeline, and the rules stage (the second gateway's
  // compiled rules) in front of it, so only the stage differs.
  const withRules = createRulesMiddleware(on.access, off.catalog)(off.pipeline);
  add('tools/call through the pipeline (stdio upstream)', await compare([() => off.pipeline(request()), () => withRules(request())], quick ? 200 : 1000, quick ? 5 : 9));

  // The rules stage alone, over a next stage that answers at once: the exact cost it adds to every call.
  const answer = async (_request: unknown) => ({});
  const staged = createRulesMiddleware(on.access, on.catalog)(answer);
  add('the rules stage alone (tools/call, next stage answers at once)', await compare([() => answer(request()), () => staged(request())], quick ? 20_000 : 100_000, 5));

  const tool = on.catalog.getTool('fx__echo');
  const target = toolTarget(tool, { message: 'hello' });
  add('one decision (AccessPolicy.decide, 5 rules)', await compare([() => off.access.decide(principal, target), () => on.access.decide(principal, target)], quick ? 20_000 : 100_000, 5));

  // A list for a principal seen before (memoised per catalog entry and principal; a new but equal object each time,
  // as the HTTP face builds one per request) and for a new principal each time.
  const list = (core: GatewayCore, who: () => Principal) => () => {
    const caller = who();
    return core.catalog.tools.filter(entry => core.access.seesTool(caller, entry)).length;
  };
  add('tools/list of 200 tools, a known principal', await compare([list(off, () => ({ ...principal })), list(on, () => ({ ...principal }))], quick ? 200 : 1000, 5));
  let fresh = 0;
  const newcomer = (): Principal => ({ ...principal, name: `p${fresh++}` });
  add('tools/list of 200 tools, a new principal each time', await compare([list(off, newcomer), list(on, newcomer)], quick ? 50 : 200, 5));

  process.stdout.write(
    `config rules: cost per operation (${quick ? 'quick' : 'full'} run)\n\n${formatTable(['operation', 'no rules µs', 'rules µs', 'added µs', 'ratio'], rows)}\n`
  );
} finally {
  await Promise.all([off.close(), on.close()]);
}

#!/usr/bin/env node
// Runs the official MCP conformance suite against the project's fixture server directly (the control) and
// through Manifold in every set-up, for both requirement sets, and prints one table: scenario × set-up × era.
// Fails on any scored scenario that fails through Manifold but passes on the control (unless it is listed in
// test/conformance/expected-failures.yaml). Ends with the line CI reads: "N passed, N failed".
//
//   npm run test:conformance [-- --setup control,http,stdio,legacy,modern,connector] [-- --era 2025-11-25|2026-07-28] [-- --keep]
//                            [-- --scenario <prefix>[,<prefix>]]   only the connector's client scenarios starting so
//                                                                  (e.g. `--setup connector --scenario auth/`)
//
// The suite needs Node 22+ (it imports fs.globSync); it is run on Node 22 from npm, pinned at an exact version.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import { buildForTests } from './test-build.mjs';

export const suiteVersion = '0.2.0-alpha.12';
const eras = ['2025-11-25', '2026-07-28'];
const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/**
 * The arguments for `node` that run a TypeScript entry of the repository: its bundle from the test build
 * (scripts/test-build.mjs, made at the start of main()) when there is one, else the source through tsx.
 */
let testBuild;
const entryArgs = path => (testBuild ? [join(testBuild, `${path}.mjs`)] : ['--import', 'tsx', join(root, path)]);

/** The set-ups, in the order they run (one at a time: CI has two cores). */
const setups = [
  { name: 'control', label: 'fixture (control)', fixture: { transport: 'http', era: 'both' } },
  { name: 'http', label: 'Manifold → fixture (HTTP)', fixture: { transport: 'http', era: 'both' }, manifold: true },
  { name: 'stdio', label: 'Manifold → fixture (stdio)', fixture: { transport: 'stdio', era: 'both' }, manifold: true },
  { name: 'legacy', label: 'Manifold → legacy-only fixture', fixture: { transport: 'http', era: 'legacy' }, manifold: true },
  { name: 'modern', label: 'Manifold → modern-only fixture', fixture: { transport: 'http', era: 'modern' }, manifold: true }
];

function parseCli(argv) {
  const options = { setups: [...setups.map(setup => setup.name), 'connector'], eras, keep: false, scenarios: undefined };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--setup') options.setups = argv[++index].split(',');
    else if (arg === '--era') options.eras = argv[++index].split(',');
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--scenario') options.scenarios = argv[++index].split(',');
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/** Node 22 and the suite, from npm (npx caches them); returns the two paths to spawn directly. */
function resolveSuite() {
  const out = execFileSync(
    'npx',
    ['-y', '-p', 'node@22', '-p', `@modelcontextprotocol/conformance@${suiteVersion}`, '-c', 'command -v node; command -v conformance'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const [node, suite] = out.trim().split('\n');
  if (!node || !suite) throw new Error(`could not resolve Node 22 and the conformance suite from npm:\n${out}`);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  return { node, suite, version };
}

/** Starts a process and resolves once `pattern` matches its stderr (first group: the URL). */
function startProcess(command, args, pattern, what, env = {}) {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, detached: true });
  let stderr = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s:\n${stderr}`)), 60_000);
    child.stderr.on('data', chunk => {
      stderr += chunk.toString();
      const match = pattern.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise(resolve => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  return { ready, stop, stderr: () => stderr };
}

async function startSetup(setup, work) {
  const stops = [];
  const fixtureArgs = [...entryArgs('test/conformance/fixture-server.ts'), ...(setup.fixture.transport === 'http' ? ['--http', '0'] : ['--stdio']), '--era', setup.fixture.era];
  let upstream;
  if (setup.fixture.transport === 'http') {
    const fixtureProcess = startProcess(process.execPath, fixtureArgs, /serving at (\S+)/, `fixture (${setup.name})`);
    stops.push(fixtureProcess.stop);
    const url = await fixtureProcess.ready;
    if (!setup.manifold) return { url, stop: () => Promise.all(stops.map(stop => stop())), logs: fixtureProcess.stderr };
    // A 2025-only server's requests to the client carry no call id: declared perClient, each client's roots,
    // sampling and elicitation reach its own session (docs/decisions/2026-12-07-per-client-upstream-state.md).
    upstream = { type: 'http', url, prefix: false, ...(setup.fixture.era === 'legacy' ? { perClient: true } : {}) };
  } else {
    upstream = { command: process.execPath, args: fixtureArgs, cwd: root, prefix: false };
  }
  const config = join(work, `manifold-${setup.name}.yaml`);
  writeFileSync(config, stringify({ servers: { fixture: upstream }, gateway: { logLevel: 'warn' } }));
  const gateway = startProcess(process.execPath, [...entryArgs('src/cli/bin.ts'), 'serve', '--http', '0', '--config', config], /serving MCP at (\S+)/, `Manifold (${setup.name})`);
  stops.unshift(gateway.stop);
  const url = await gateway.ready;
  return {
    url,
    logs: gateway.stderr,
    stop: async () => {
      for (const stop of stops) await stop();
    }
  };
}

/** Runs one requirement set; returns { results: Map<scenario, {passed, failed, ok}>, notScored: Set, output }. */
async function runSuite(suite, url, era, outDir) {
  const args = [suite.suite, 'server', '--url', url, '--requirements', era, '-o', outDir];
  const child = spawn(suite.node, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', chunk => (output += chunk.toString()));
  child.stderr.on('data', chunk => (output += chunk.toString()));
  const code = await new Promise(resolve => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  const summary = output.slice(output.lastIndexOf('=== SUMMARY ==='));
  const results = new Map();
  for (const match of summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gm)) {
    results.set(match[2], { ok: match[1] === '✓', passed: Number(match[3]), failed: Number(match[4]) });
  }
  const notScored = new Set();
  const notScoredBlock = summary.slice(summary.indexOf('Not scored'));
  for (const match of notScoredBlock.matchAll(/^\s+[✓✗] (\S+) \(/gm)) notScored.add(match[1]);
  if (results.size === 0) throw new Error(`the suite printed no results (exit ${code}):\n${output.slice(-3000)}`);
  return { results, notScored, code, output };
}

/** The client scenarios that apply to Manifold's upstream connector, with the requirement sets that list them. */
const connectorScenarios = [
  { scenario: 'tools_call', eras: ['2025-11-25', '2026-07-28'] },
  { scenario: 'request-metadata', eras: ['2026-07-28'] },
  { scenario: 'sep-2322-client-request-state', eras: ['2026-07-28'] },
  { scenario: 'http-standard-headers', eras: ['2026-07-28'] },
  { scenario: 'http-custom-headers', eras: ['2026-07-28'] },
  { scenario: 'http-invalid-tool-headers', eras: ['2026-07-28'] },
  { scenario: 'json-schema-ref-no-deref', eras: ['2026-07-28'] },
  // Upstream OAuth (issue 11): the connector with `oauth:` configured; both requirement sets list these.
  ...[
    'metadata-default',
    'metadata-var1',
    'metadata-var2',
    'metadata-var3',
    'basic-cimd',
    'scope-from-www-authenticate',
    'scope-from-scopes-supported',
    'scope-omitted-when-undefined',
    'scope-step-up',
    'scope-retry-limit',
    'token-endpoint-auth-basic',
    'token-endpoint-auth-post',
    'token-endpoint-auth-none',
    'pre-registration'
  ].map(name => ({ scenario: `auth/${name}`, eras: ['2025-11-25', '2026-07-28'] })),
  // Only the 2026-07-28 set lists these.
  ...[
    'resource-mismatch',
    'offline-access-scope',
    'offline-access-not-supported',
    'authorization-server-migration',
    'iss-supported',
    'iss-not-advertised',
    'iss-supported-missing',
    'iss-wrong-issuer',
    'iss-unexpected',
    'iss-normalized',
    'metadata-issuer-mismatch'
  ].map(name => ({ scenario: `auth/${name}`, eras: ['2026-07-28'] }))
];

/** Runs one client scenario with the connector driver as the client; returns pass/fail and the failing checks. */
async function runClientScenario(suite, scenario, era, outDir) {
  const command = [process.execPath, ...entryArgs('test/conformance/connector-client.ts')].join(' ');
  const child = spawn(suite.node, [suite.suite, 'client', '--command', command, '--scenario', scenario, '--spec-version', era, '-o', outDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout.on('data', chunk => (output += chunk.toString()));
  child.stderr.on('data', chunk => (output += chunk.toString()));
  const code = await new Promise(resolve => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  const match = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(output);
  const failures = [...output.matchAll(/\[([\w-]+)\s*\] \S*FAILURE\S* (.*)/g)].map(found => `${found[1]}: ${found[2]}`);
  return { ok: code === 0 && match !== null && match[3] === '0', failures: failures.length > 0 || match ? failures : [output.slice(-1500)] };
}

/** The failing checks of a scenario run, from the suite's checks.json, for the report. */
function failingChecks(outDir, scenario) {
  if (!existsSync(outDir)) return [];
  const dirs = readdirSync(outDir).filter(dir => dir.startsWith(`server-${scenario}-`) && /-\d{4}-\d{2}-\d{2}T/.test(dir.slice(`server-${scenario}`.length)));
  const out = [];
  for (const dir of dirs) {
    try {
      const checks = JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8'));
      for (const check of checks) if (check.status === 'FAILURE') out.push(`${check.id}: ${(check.errorMessage ?? '').slice(0, 300)}`);
    } catch {
      /* no checks file */
    }
  }
  return out;
}

function loadExpectedFailures() {
  const path = join(root, 'test/conformance/expected-failures.yaml');
  if (!existsSync(path)) return [];
  const entries = parse(readFileSync(path, 'utf8')) ?? [];
  for (const entry of entries) {
    if (!entry.scenario || !Array.isArray(entry.setups) || !entry.era || !entry.why) {
      throw new Error(`expected-failures.yaml: each entry needs scenario, setups, era and why: ${JSON.stringify(entry)}`);
    }
  }
  return entries;
}

function isExpected(expected, scenario, setup, era) {
  return expected.some(entry => entry.scenario === scenario && entry.setups.includes(setup) && (entry.era === era || entry.era === 'both'));
}

async function main() {
  // Each set-up starts its processes from one build of the sources (MANIFOLD_TEST_BUILD=off: through tsx).
  if (process.env.MANIFOLD_TEST_BUILD !== 'off') testBuild = await buildForTests('conformance');
  const options = parseCli(process.argv.slice(2));
  const started = Date.now();
  const suite = resolveSuite();
  console.log(`conformance suite @modelcontextprotocol/conformance@${suiteVersion} on Node ${suite.version}`);
  const expected = loadExpectedFailures();
  const work = mkdtempSync(join(tmpdir(), 'manifold-conformance-'));
  /** results[setup][era] = { results, notScored } */
  const all = {};
  const details = [];
  for (const setup of setups.filter(candidate => options.setups.includes(candidate.name))) {
    const begun = Date.now();
    const running = await startSetup(setup, work);
    all[setup.name] = {};
    try {
      for (const era of options.eras) {
        const outDir = join(work, setup.name, era);
        mkdirSync(outDir, { recursive: true });
        const run = await runSuite(suite, running.url, era, outDir);
        all[setup.name][era] = { ...run, outDir };
        const failed = [...run.results].filter(([scenario, result]) => !result.ok && !run.notScored.has(scenario));
        console.log(`${setup.label.padEnd(34)} ${era}: ${run.results.size} scenarios, ${failed.length} scored failing`);
      }
    } finally {
      if (process.env.CONFORMANCE_LOGS) writeFileSync(join(work, `${setup.name}.log`), running.logs());
      await running.stop();
    }
    console.log(`  (${Math.round((Date.now() - begun) / 1000)} s)`);
  }

  // ---- the connector: the suite's client scenarios, with Manifold's upstream side as the client ----
  const connector = [];
  if (options.setups.includes('connector')) {
    const begun = Date.now();
    const chosen = connectorScenarios.filter(({ scenario }) => !options.scenarios || options.scenarios.some(prefix => scenario.startsWith(prefix)));
    for (const { scenario, eras: scenarioEras } of chosen) {
      for (const era of scenarioEras.filter(candidate => options.eras.includes(candidate))) {
        const outDir = join(work, 'connector', era);
        mkdirSync(outDir, { recursive: true });
        connector.push({ scenario, era, ...(await runClientScenario(suite, scenario, era, outDir)) });
      }
    }
    console.log(`${'Manifold connector (client scenarios)'.padEnd(34)} ${connector.length} runs, ${connector.filter(run => !run.ok).length} failing`);
    console.log(`  (${Math.round((Date.now() - begun) / 1000)} s)`);
  }

  // ---- the table ----
  const scenarios = [];
  for (const era of options.eras) {
    for (const setup of Object.keys(all)) {
      for (const scenario of all[setup][era]?.results.keys() ?? []) if (!scenarios.includes(scenario)) scenarios.push(scenario);
    }
  }
  const columns = [];
  for (const setup of Object.keys(all)) for (const era of options.eras) columns.push({ setup, era });
  if (columns.length > 0 && !all.control) console.log('\n(no control in this run: failures are not compared with it)');
  const eraShort = era => (era === '2025-11-25' ? '2025' : '2026');
  const header = ['scenario', ...columns.map(column => `${column.setup} ${eraShort(column.era)}`)];
  const rows = [];
  let passed = 0;
  let failed = 0;
  let expectedCount = 0;
  const regressions = [];
  const stale = [];
  for (const scenario of scenarios) {
    const row = [scenario];
    let notScoredAnywhere = false;
    for (const { setup, era } of columns) {
      const run = all[setup][era];
      const result = run?.results.get(scenario);
      if (!result) {
        row.push('-');
        continue;
      }
      const scored = !run.notScored.has(scenario);
      if (!scored) notScoredAnywhere = true;
      const control = all.control?.[era]?.results.get(scenario);
      const listed = isExpected(expected, scenario, setup, era);
      if (result.ok) {
        row.push(scored ? 'pass' : 'pass*');
        if (scored) passed++;
        if (listed) stale.push(`${scenario} (${setup}, ${era})`);
        continue;
      }
      if (!scored) {
        row.push('fail*');
        continue;
      }
      const regression = setup !== 'control' && control?.ok === true && !listed;
      if (regression) {
        row.push('FAIL');
        failed++;
        regressions.push({ scenario, setup, era, checks: failingChecks(run.outDir, scenario) });
      } else {
        row.push(listed ? 'xfail' : 'fail');
        expectedCount++;
        if (setup === 'control') details.push(`control fails ${scenario} (${era}): ${failingChecks(run.outDir, scenario).join('; ')}`);
      }
    }
    if (notScoredAnywhere) row[0] += ' *';
    rows.push(row);
  }
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map(row => row[index].length)));
  const line = cells => `| ${cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ')} |`;
  console.log('');
  console.log(line(header));
  console.log(`|${widths.map(width => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
  console.log('pass/fail: scored; pass*/fail*: run but not scored by that requirement set (* on the name); xfail: listed in');
  console.log('test/conformance/expected-failures.yaml; fail: fails on the control too; -: not in that requirement set.');
  for (const detail of details) console.log(detail);
  if (stale.length > 0) console.log(`\nlisted as expected failures but passing (remove them from expected-failures.yaml): ${stale.join(', ')}`);
  if (connector.length > 0) {
    console.log('\nManifold\'s upstream connector as the client (client scenarios, against the suite\'s mock servers):\n');
    const width = Math.max(...connector.map(run => run.scenario.length), 'client scenario'.length);
    console.log(`| ${'client scenario'.padEnd(width)} | 2025 | 2026 |`);
    console.log(`|${'-'.repeat(width + 2)}|------|------|`);
    for (const { scenario } of connectorScenarios.filter(({ scenario }) => connector.some(run => run.scenario === scenario))) {
      const cell = era => {
        const run = connector.find(candidate => candidate.scenario === scenario && candidate.era === era);
        return (run ? (run.ok ? 'pass' : 'FAIL') : '-').padEnd(4);
      };
      console.log(`| ${scenario.padEnd(width)} | ${cell('2025-11-25')} | ${cell('2026-07-28')} |`);
    }
    for (const run of connector) {
      if (run.ok) passed++;
      else {
        failed++;
        regressions.push({ scenario: `${run.scenario} (client)`, setup: 'connector', era: run.era, checks: run.failures });
      }
    }
  }
  if (regressions.length > 0) {
    console.log('\nfailing through Manifold but passing on the control:');
    for (const regression of regressions) {
      console.log(`  ${regression.scenario} (${regression.setup}, ${regression.era})`);
      for (const check of regression.checks) console.log(`    - ${check}`);
    }
  }
  if (options.keep) console.log(`\nresults kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`\nconformance: ${Object.keys(all).length} set-ups × ${options.eras.length} eras and ${connector.length} connector runs in ${Math.round((Date.now() - started) / 1000)} s; ${expectedCount} expected failures`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  code => process.exit(code),
  error => {
    console.error(error instanceof Error ? error.stack : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
);

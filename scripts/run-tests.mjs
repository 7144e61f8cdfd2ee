#!/usr/bin/env node
// Runs every test (node:test), then checks that no server process was left behind, and ends with the line CI
// reads: "N passed, N failed". The test files and the processes they start run from one build of the sources
// made first (scripts/test-build.mjs, a few seconds; stacks map back to the sources); MANIFOLD_TEST_BUILD=off runs
// everything through tsx instead.
//
//   node scripts/run-tests.mjs [<filter> ...]   only test files whose path contains a filter
//   TEST_CONCURRENCY=<n>                         test files at a time (2: CI has two cores)
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { buildForTests, buildTestFiles } from './test-build.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'test'))]
  .filter(file => filters.length === 0 || filters.some(filter => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

function serverProcesses() {
  try {
    const text = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    return text
      .split('\n')
      .map(line => line.trim())
      .filter(line => line.includes(root) && /(node_modules\/@modelcontextprotocol\/server-|test\/fixtures\/|test\/conformance\/|src\/cli\/bin\.ts|dist\/cli\/bin\.js)/.test(line))
      // Another runner's build (the conformance suite, run beside the tests by npm test) is not this run's.
      .filter(line => !/\.test-build\/(?!tests\/)/.test(line))
      .filter(line => !line.startsWith(String(process.pid) + ' '));
  } catch {
    return [];
  }
}

const before = new Set(serverProcesses().map(line => line.split(' ')[0]));
// The processes tests start, built once from the sources (scripts/test-build.mjs); MANIFOLD_TEST_BUILD=off runs
// them from source through tsx instead.
const buildStarted = Date.now();
const testBuild = process.env.MANIFOLD_TEST_BUILD === 'off' ? undefined : await buildForTests();
// The test files too, bundled with the sources they import (locations and stacks map back to the sources).
const bundles = testBuild ? await buildTestFiles(files) : undefined;
if (testBuild) console.log(`test build: ${relative(root, testBuild)} in ${Date.now() - buildStarted} ms`);
const testArgs = bundles
  ? ['--enable-source-maps', '--test', ...files.map(file => bundles.get(relative(root, file)))]
  : ['--import', 'tsx', '--test', ...files.map(file => relative(root, file))];
const tapFile = join(tmpdir(), `manifold-tests-${process.pid}.tap`);
const started = Date.now();
const child = spawn(
  process.execPath,
  [
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...testArgs
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, MANIFOLD_TEST: '1', MANIFOLD_TEST_BUILD: testBuild ?? '' } }
);
const code = await new Promise(resolve => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));

const tap = (() => {
  try {
    return readFileSync(tapFile, 'utf8');
  } catch {
    return '';
  }
})();
rmSync(tapFile, { force: true });

// The slowest top-level suites (a file's tests are mostly one suite), so a slow CI run says where its time went.
const slowest = [...tap.matchAll(/^(?:not )?ok \d+ - (.+)\n {2}---\n {2}duration_ms: ([\d.]+)/gm)]
  .map(match => ({ name: match[1], ms: Number(match[2]) }))
  .sort((a, b) => b.ms - a.ms)
  .slice(0, Number(process.env.TEST_SLOWEST ?? 12));
if (slowest.length > 0 && filters.length === 0) {
  console.log('\nslowest suites:');
  for (const { name, ms } of slowest) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`);
}
const count = name => Number([...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
let passed = count('pass');
let failed = count('fail') + count('cancelled');

// Leaked children: server processes that appeared during the run and are still alive.
await new Promise(resolve => setTimeout(resolve, 1500));
const leaked = serverProcesses().filter(line => !before.has(line.split(' ')[0]));
if (leaked.length > 0) {
  console.error(`\nleaked processes after the tests (a test or the gateway did not reap its children):\n${leaked.join('\n')}`);
  failed += 1;
}
if (code !== 0 && failed === 0) failed = 1;
console.log(`\ntests: ${files.length} files in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

#!/usr/bin/env node
// The README's test command (`npm test`): typecheck and lint, the unit and end-to-end tests, then the MCP
// conformance suite through the gateway. Every part runs even if an earlier one fails, and the last line is
// the sum CI reads: "N passed, N failed" (a failed typecheck or lint counts as one failure each).
//
//   npm test                 everything
//   npm test -- <filter>     only test files whose path contains <filter> (no check, no conformance)
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

/**
 * Runs a command; resolves to its exit code and the last "N passed, N failed" it printed. Its output goes
 * straight through, or with `buffered` is kept and given back as `output` (for parts that run side by side).
 */
function run(command, args, { buffered = false } = {}) {
  return new Promise(resolve => {
    const child = spawn(command, args, { cwd: root, stdio: ['inherit', 'pipe', buffered ? 'pipe' : 'inherit'] });
    let tail = '';
    let output = '';
    const take = chunk => {
      if (buffered) output += chunk.toString();
      else process.stdout.write(chunk);
    };
    child.stdout.on('data', chunk => {
      take(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    child.stderr?.on('data', take);
    child.on('exit', (status, signal) => {
      const match = [...tail.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
      resolve({ code: status ?? (signal ? 1 : 0), passed: Number(match?.[1] ?? 0), failed: Number(match?.[2] ?? 0), output });
    });
  });
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
// System packages the tests use (promtool), installed first where they are missing and this is root on Debian.
await run(process.execPath, [`${root}scripts/system-packages.mjs`]);

let passed = 0;
let failed = 0;
const summary = [];
const count = (name, result, seconds) => {
  const partFailed = result.failed > 0 ? result.failed : result.code !== 0 ? 1 : 0;
  passed += result.passed;
  failed += partFailed;
  summary.push(`${name}: ${result.code === 0 ? 'ok' : 'FAILED'}${result.passed || result.failed ? ` (${result.passed} passed, ${result.failed} failed)` : ''} in ${seconds} s`);
};
const since = start => Math.round((Date.now() - start) / 1000);

// Typecheck and lint side by side (each is mostly one core), their outputs printed one after the other.
if (filters.length === 0) {
  const checksStarted = Date.now();
  const checks = await Promise.all([
    run(npm, ['run', '--silent', 'typecheck'], { buffered: true }),
    run(npm, ['run', '--silent', 'lint'], { buffered: true })
  ]);
  for (const [index, name] of ['typecheck', 'lint'].entries()) {
    const result = checks[index];
    process.stdout.write(`\n== ${name}\n${result.output}`);
    count(name, result, since(checksStarted));
  }
}
const parts = [['tests', process.execPath, [`${root}scripts/run-tests.mjs`, ...filters]]];
if (filters.length === 0) parts.push(['conformance', process.execPath, [`${root}scripts/conformance.mjs`]]);
for (const [name, command, args] of parts) {
  process.stdout.write(`\n== ${name}\n`);
  const partStarted = Date.now();
  count(name, await run(command, args), since(partStarted));
}
summary.push(`${since(started)} s in all`);
process.stdout.write(`\n${summary.join('; ')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);

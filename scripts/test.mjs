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

/** Runs a command with inherited stdio; resolves to its exit code and the last "N passed, N failed" it printed. */
function run(command, args) {
  return new Promise(resolve => {
    const child = spawn(command, args, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', chunk => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    child.on('exit', (status, signal) => {
      const match = [...tail.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
      resolve({ code: status ?? (signal ? 1 : 0), passed: Number(match?.[1] ?? 0), failed: Number(match?.[2] ?? 0) });
    });
  });
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const parts = [];
// System packages the tests use (promtool), installed first where they are missing and this is root on Debian.
await run(process.execPath, [`${root}scripts/system-packages.mjs`]);
if (filters.length === 0) {
  parts.push(['typecheck', npm, ['run', '--silent', 'typecheck']]);
  parts.push(['lint', npm, ['run', '--silent', 'lint']]);
}
parts.push(['tests', process.execPath, [`${root}scripts/run-tests.mjs`, ...filters]]);
if (filters.length === 0) parts.push(['conformance', process.execPath, [`${root}scripts/conformance.mjs`]]);

let passed = 0;
let failed = 0;
const summary = [];
for (const [name, command, args] of parts) {
  process.stdout.write(`\n== ${name}\n`);
  const result = await run(command, args);
  const partFailed = result.failed > 0 ? result.failed : result.code !== 0 ? 1 : 0;
  passed += result.passed;
  failed += partFailed;
  summary.push(`${name}: ${result.code === 0 ? 'ok' : 'FAILED'}${result.passed || result.failed ? ` (${result.passed} passed, ${result.failed} failed)` : ''}`);
}
process.stdout.write(`\n${summary.join('; ')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);

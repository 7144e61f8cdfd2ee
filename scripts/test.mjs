#!/usr/bin/env node
// The README's test command (`npm test`): the unit and end-to-end tests, and beside them (niced) the typecheck,
// the lint and the MCP conformance suite through the gateway. Every part runs even if another fails, and the
// last line is the sum CI reads: "N passed, N failed" (a failed typecheck or lint counts as one failure each).
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

// The tests in the foreground. Beside them, at a lower priority (nice 10), the typecheck, the lint and the
// conformance suite: the tests leave about a fifth of two cores idle (waiting on processes, timers and sockets),
// which these fill without slowing the tests much; their outputs are printed after the tests'.
const niced = (command, args) => (process.platform === 'win32' ? [command, args] : ['nice', ['-n', '10', command, ...args]]);
const beside = [];
if (filters.length === 0) {
  for (const [name, command, args] of [
    ['typecheck', npm, ['run', '--silent', 'typecheck']],
    ['lint', npm, ['run', '--silent', 'lint']],
    ['conformance', process.execPath, [`${root}scripts/conformance.mjs`]]
  ]) {
    const partStarted = Date.now();
    beside.push({ name, done: run(...niced(command, args), { buffered: true }).then(result => ({ result, seconds: since(partStarted) })) });
  }
}
process.stdout.write('\n== tests\n');
const testsStarted = Date.now();
count('tests', await run(process.execPath, [`${root}scripts/run-tests.mjs`, ...filters]), since(testsStarted));
for (const { name, done } of beside) {
  const { result, seconds } = await done;
  process.stdout.write(`\n== ${name}\n${result.output}`);
  count(name, result, seconds);
}
summary.push(`${since(started)} s in all`);
process.stdout.write(`\n${summary.join('; ')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);

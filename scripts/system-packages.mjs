#!/usr/bin/env node
// System packages the tests use, installed when missing (Debian/Ubuntu, as root: what CI and a fresh machine
// have). `npm test` runs this first, so the README's two commands still do all set-up. Prints what it did; a
// package it cannot install is reported and the tests that need it fail with their own clear error.
//
//   node scripts/system-packages.mjs           install what is missing
//   node scripts/system-packages.mjs --check   only say what is missing (exit 1 if anything is)
import { spawnSync } from 'node:child_process';

/**
 * A command the tests run, and the Debian package that provides it. PostgreSQL's initdb and postgres live in
 * /usr/lib/postgresql/<version>/bin, not on PATH (Debian 12: package postgresql, which is PostgreSQL 15); the
 * tests start their own server from there (scripts/fleet/postgres.ts), never the system service. nginx is in
 * /usr/sbin, not on every user's PATH.
 */
const needed = [
  { command: 'promtool', pkg: 'prometheus', why: 'checks the /metrics text format' },
  { command: 'redis-server', pkg: 'redis-server', why: 'the shared Redis of fleet mode (scripts/fleet/redis.ts)' },
  { command: 'chromium', pkg: 'chromium', why: 'the web console tests drive it with playwright-core' },
  { command: 'initdb', pkg: 'postgresql', why: 'the PostgreSQL store tests start a throwaway server', dirs: ['/usr/lib/postgresql/*/bin'] },
  { command: 'nginx', pkg: 'nginx', why: 'the fleet end-to-end test and npm run fleet put nginx in front of the instances', dirs: ['/usr/sbin'] }
];

const has = (command, dirs = []) =>
  // Without dirs, `ls` alone would list the current folder and succeed: only PATH counts then.
  spawnSync('sh', ['-c', dirs.length > 0 ? `command -v ${command} || ls ${dirs.map(dir => `${dir}/${command}`).join(' ')}` : `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter(entry => !has(entry.command, entry.dirs));
if (missing.length === 0) process.exit(0);
const list = missing.map(entry => `${entry.command} (package ${entry.pkg}: ${entry.why})`).join(', ');
if (process.argv.includes('--check')) {
  process.stdout.write(`missing: ${list}\n`);
  process.exit(1);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !has('apt-get')) {
  process.stderr.write(`warning: missing ${list}; install them (e.g. sudo apt-get install ${missing.map(entry => entry.pkg).join(' ')}) or the tests that use them fail\n`);
  process.exit(0);
}
process.stdout.write(`installing ${missing.map(entry => entry.pkg).join(' ')} (apt-get) for the tests: ${list}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const install =
  update.status === 0
    ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map(entry => entry.pkg)], { stdio: 'inherit', env })
    : update;
if (install.status !== 0) process.stderr.write(`warning: apt-get could not install ${list}; the tests that use them will fail\n`);

/**
 * Regression issue 9 (defects 5 and 8): configs a new user writes load, and the CLI's exit codes and
 * messages are what docs/CLI.md says. Every case runs the real CLI as a process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadConfig } from '../../src/config/index.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { freePort, runCli, startFixtureHttp } from '../helpers/fixtures.js';
import { fixtureServer, repoRoot, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

/** The environment without the variables these tests leave unset on purpose. */
function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/** A stdio server entry that leaves a file behind if it is ever started. */
function tripwire(marker: string): Record<string, unknown> {
  return { command: process.execPath, args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'started')`] };
}

describe('regression issue 9: a server whose variable is not set is down with the reason; the others serve', () => {
  it('tools lists the other servers (exit 0); doctor names the variable and the config path; a disabled one needs nothing', async () => {
    await using config = writeConfig({
      servers: {
        echo: fixtureServer('echo.ts'),
        docs: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${MANIFOLD_TEST_DOCS_TOKEN}' } },
        off: { enabled: false, url: '${MANIFOLD_TEST_OFF_URL}', headers: { Authorization: 'Bearer ${MANIFOLD_TEST_OFF_TOKEN}' } }
      }
    });
    const env = envWithout('MANIFOLD_TEST_DOCS_TOKEN', 'MANIFOLD_TEST_OFF_URL', 'MANIFOLD_TEST_OFF_TOKEN');
    const tools = await runCli(['tools', '--config', config.path], { env });
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stdout, /echo__echo/);
    assert.match(tools.stdout, /1 tools from 1 of 2 servers; down: docs/);

    const doctor = await runCli(['doctor', '--json', '--config', config.path], { env });
    assert.equal(doctor.code, 1, doctor.stderr);
    const report = JSON.parse(doctor.stdout) as { servers: Array<{ server: string; status: string; error?: string }>; disabled: string[] };
    const docs = report.servers.find(row => row.server === 'docs');
    assert.equal(docs?.status, 'down');
    assert.equal(
      docs?.error,
      'server "docs": environment variable MANIFOLD_TEST_DOCS_TOKEN is not set (servers.docs.headers.Authorization); set it or use ${MANIFOLD_TEST_DOCS_TOKEN:-default}'
    );
    assert.equal(report.servers.find(row => row.server === 'echo')?.status, 'up');
    assert.deepEqual(report.disabled, ['off']);

    // Served over HTTP: /healthz says degraded, docs failed; the gateway's log says why, once.
    await using gateway = await startHttpGateway(config.path);
    const health = (await (await fetch(new URL('/healthz', gateway.url))).json()) as { status: string; upstreams: Array<{ name: string; state: string }> };
    assert.equal(health.status, 'degraded');
    assert.deepEqual(health.upstreams, [
      { name: 'echo', state: 'ready' },
      { name: 'docs', state: 'failed' }
    ]);
    assert.match(gateway.stderr(), /server "docs": environment variable MANIFOLD_TEST_DOCS_TOKEN is not set .*; serving without it/);
  });
});

describe('regression issue 9: CLI exit codes and messages (docs/CLI.md: 2 for bad usage)', () => {
  it('usage errors exit 2 and start no server', async () => {
    await using config = writeConfig({});
    const marker = join(config.dir, 'started');
    await using withTripwire = writeConfig({ servers: { trip: tripwire(marker) }, views: { agent: { discovery: 'search' } } });
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--http', 'abc'], /--http takes a whole number from 0 to 65535, got "abc"/],
      [['serve', '--http', '70000'], /--http takes a whole number from 0 to 65535/],
      [['serve', '--view', 'nope'], /--view: no view "nope" in the config \(views: agent\)/],
      [['search', 'read a file', '--view', 'nope'], /--view: no view "nope"/],
      [['search', 'read a file', '--server', 'nope'], /--server: no server "nope" in the config; servers: trip/],
      [['search'], /give a query/],
      [['search', 'x', '--limit', '0'], /--limit takes a whole number of 1 or more/],
      [['call'], /name the tool to call/],
      [['call', 'trip__x', '--args', '{nope'], /--args is not valid JSON/],
      [['run'], /name the workflow to run/],
      [['runs', '--limit', 'many'], /--limit takes a whole number of 1 or more, got "many"/],
      [['workflows', 'frobnicate'], /unknown action "frobnicate"/],
      [['eval', 'retrieval'], /needs --tools/],
      [['tools', 'json'], /unknown action "json"/],
      [['doctor', 'trip'], /unexpected argument "trip"/]
    ];
    for (const [args, expected] of cases) {
      const result = await runCli([...args, '--config', withTripwire.path]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected, args.join(' '));
      assert.equal(existsSync(marker), false, `${args.join(' ')} started a server`);
    }
  });

  it('tools exits 1 when every server is down, naming them', async () => {
    await using config = writeConfig({ servers: { dead: { url: 'http://127.0.0.1:1/mcp', type: 'http' } }, gateway: { connectTimeout: '5s' } });
    const result = await runCli(['tools', '--config', config.path]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /every server is down: dead \(see manifold doctor\)/);
  });

  it('doctor shows the root cause first (connect ECONNREFUSED), not the wrapper text', async () => {
    await using config = writeConfig({ servers: { dead: { url: 'http://127.0.0.1:1/mcp', type: 'http' } } });
    const doctor = await runCli(['doctor', '--json', '--config', config.path]);
    assert.equal(doctor.code, 1, doctor.stderr);
    const report = JSON.parse(doctor.stdout) as { servers: Array<{ error?: string }> };
    assert.match(report.servers[0]?.error ?? '', /^connect ECONNREFUSED 127\.0\.0\.1:1\b/);
    const table = await runCli(['doctor', '--config', config.path]);
    assert.match(table.stdout, /down .*connect ECONNREFUSED 127\.0\.0\.1:1/);
  });

  it('bin/manifold.js without dist/ says in one line to run npm ci, with no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-nodist-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(repoRoot, 'bin/manifold.js'), join(dir, 'bin/manifold.js'));
      const result = spawnSync(process.execPath, [join(dir, 'bin/manifold.js'), 'tools'], { encoding: 'utf8' });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^manifold: the CLI is not built .*run `npm ci` \(or `npm run build`\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('regression issue 9: manifold init --from a VS Code mcp.json with inputs', () => {
  it('without a terminal, writes the MANIFOLD_INPUT_* form, names the variables to set, and the result loads', async () => {
    await using config = writeConfig({});
    mkdirSync(join(config.dir, '.vscode'));
    const source = join(config.dir, '.vscode', 'mcp.json');
    writeFileSync(
      source,
      JSON.stringify({
        inputs: [{ id: 'github-token', type: 'promptString', description: 'GitHub token', password: true }],
        servers: {
          gh: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${input:github-token}' } },
          fs: { type: 'stdio', command: 'node', args: ['${workspaceFolder}/server.js'] }
        }
      })
    );
    const out = join(config.dir, 'imported.yaml');
    const result = await runCli(['init', '--from', source, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /set MANIFOLD_INPUT_GITHUB_TOKEN \(GitHub token\)/);
    const written = readFileSync(out, 'utf8');
    assert.match(written, /Bearer \$\{MANIFOLD_INPUT_GITHUB_TOKEN\}/);
    assert.ok(written.includes(`${config.dir}/server.js`), written);
    const gh = loadConfig(out, { MANIFOLD_INPUT_GITHUB_TOKEN: 'ghp_x' }).config.servers.gh;
    assert.ok(gh && 'url' in gh);
    assert.equal(gh.headers.Authorization, 'Bearer ghp_x');
  });
});

describe('regression issue 9: prefix: false clash when the first server connects late', () => {
  it('the first server in config order owns the name once it connects, and the move is reported, not silent', async () => {
    const port = await freePort();
    await using config = writeConfig({
      servers: {
        late: { url: `http://127.0.0.1:${port}/mcp`, type: 'http', prefix: false },
        early: { ...fixtureServer('echo.ts'), prefix: false }
      }
    });
    const lines: string[] = [];
    const loaded = loadConfig(config.path, {});
    await using core = new GatewayCore({
      config: loaded.config,
      configPath: loaded.path,
      logger: createLogger({ level: 'error', sink: line => lines.push(line) }),
      backoff: { baseMs: 200, maxMs: 400 }
    });
    await core.start();
    // "late" is not listening yet: "early" serves echo.
    assert.equal(core.catalog.findTool('echo')?.upstream, 'early');
    await using late = await startFixtureHttp('echo.ts', ['--http', String(port)]);
    await waitFor(() => core.upstreams.get('late')?.state.kind === 'ready', 'the late server to connect', 20_000);
    assert.ok(late.url.endsWith(`:${port}/mcp`));
    assert.equal(core.catalog.findTool('echo')?.upstream, 'late');
    assert.ok(core.catalog.nameClashes.some(clash => clash.includes('"echo" is served by both "late" and "early"')), core.catalog.nameClashes.join('\n'));
    assert.ok(
      lines.some(line => /tool "echo": calls now go to "late" \(first in the config, just connected\), no longer to "early"/.test(line)),
      lines.join('\n')
    );
  });
});

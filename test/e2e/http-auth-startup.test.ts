/**
 * Starting the HTTP face (issue 11): without `auth:` it serves loopback only and says so; beyond loopback it
 * needs `auth:` (or an explicit `auth: none`), else `serve` stops with an error that says what to add; a bad
 * `auth:` block stops it naming the config path.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

import { parseConfig } from '../../src/config/index.js';
import { GatewayCore, serveHttp } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { fixtureServer, manifoldCommand, startHttpGateway, writeConfig } from '../helpers/gateway.js';

/** Runs `manifold serve --http 0` to its exit; its code and stderr. */
function serveToExit(configPath: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise(resolve =>
    child.once('exit', code => {
      clearTimeout(timer);
      resolve({ code, stderr });
    })
  );
}

describe('where the HTTP face may listen (issue 11)', { timeout: 90_000 }, () => {
  it('without auth:, serve binds loopback and says only this machine can connect', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    await using gateway = await startHttpGateway(config.path);
    assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    await new Promise(resolve => setTimeout(resolve, 200));
    assert.match(gateway.stderr(), /no "auth:" in the config: bound to loopback only, so only this machine can connect/);
  });

  it('without auth:, binding beyond loopback is refused with what to add; a bad auth: block names its config path', async () => {
    await using open = writeConfig({ servers: {} });
    const refused = await serveToExit(open.path, ['--host', '0.0.0.0']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refusing to serve HTTP on 0\.0\.0\.0, beyond this machine, without authentication: add "auth:" .* or "auth: none"/);
    await using bad = writeConfig({ servers: {}, views: { a: {} }, auth: { keys: [{ name: 'k', key: 'k'.repeat(20), views: ['a', 'nope'] }] } });
    const invalid = await serveToExit(bad.path, []);
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.match(invalid.stderr, /auth\.keys\.0\.views\.1: unknown view "nope"; declared views: "default", "a"/);
  });

  it('serveHttp refuses a non-loopback host without auth: before binding, and serves it with auth: none', async () => {
    await using core = new GatewayCore({ config: parseConfig('servers: {}').config, logger: createLogger({ level: 'silent' }) });
    await assert.rejects(serveHttp(core, { host: '0.0.0.0', port: 0 }), /without authentication: add "auth:"/);
    await assert.rejects(serveHttp(core, { host: '::', port: 0 }), /without authentication/);
    await using openCore = new GatewayCore({ config: parseConfig('servers: {}\nauth: none').config, logger: createLogger({ level: 'silent' }) });
    await using served = await serveHttp(openCore, { host: '0.0.0.0', port: 0 });
    assert.equal(served.listen.allInterfaces, true);
  });
});

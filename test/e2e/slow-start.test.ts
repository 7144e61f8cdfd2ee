/**
 * Issue 9, defect 1: a stdio server that is slow to start (a cold `npx -y`, a heavy runtime) must get the
 * whole configured connect timeout, on the first try, and a too-small timeout must say in plain words what
 * happened and which key to set. The era probe used to be capped at 5 s whatever `connectTimeout` said, so
 * such a server was killed mid-start and restarted forever.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { firstText } from '../helpers/fixtures.js';
import { connectStdio, fixtureServer, writeConfig } from '../helpers/gateway.js';

/** Longer than the old 5 s probe cap. */
const startDelayMs = 6000;

describe('slow-starting servers (issue 9, defect 1)', { timeout: 120_000 }, () => {
  it('a server that takes 6 s to start connects on the first try when connectTimeout allows it', async () => {
    await using config = writeConfig({});
    const startLog = join(config.dir, 'starts.log');
    writeFileSync(
      config.path,
      stringify({
        servers: { slow: fixtureServer('echo.ts', ['--start-delay', String(startDelayMs), '--start-log', startLog]) },
        gateway: { connectTimeout: '40s' }
      })
    );
    await using connected = await connectStdio(config.path);
    const { tools } = await connected.client.listTools();
    assert.deepEqual(tools.map(tool => tool.name), ['slow__echo']);
    assert.equal(firstText(await connected.client.callTool({ name: 'slow__echo', arguments: { message: 'finally' } })), 'finally');
    const starts = readFileSync(startLog, 'utf8').trim().split('\n');
    assert.equal(starts.length, 1, `started once, not killed mid-start and started again (pids: ${starts.join(', ')})`);
  });

  it('a connectTimeout shorter than the start says so in plain words and names the key to set', async () => {
    await using config = writeConfig({
      servers: { slow: fixtureServer('echo.ts', ['--start-delay', String(startDelayMs)], { connectTimeout: '1500ms' }) }
    });
    await using connected = await connectStdio(config.path);
    let message = '';
    try {
      await connected.client.callTool({ name: 'slow__echo', arguments: { message: 'x' } });
    } catch (error) {
      message = (error as Error).message;
    }
    assert.match(message, /server "slow" did not answer within 1\.5 s while connecting/);
    assert.match(message, /servers\.slow\.connectTimeout/);
  });
});

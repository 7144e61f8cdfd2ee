import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { SqliteRunStore } from '../../src/store/index.js';
import { manifoldCommand, writeConfig } from '../helpers/gateway.js';

async function cli(configPath: string, args: string[]): Promise<string> {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await once(child, 'exit');
  return stdout;
}

describe('manifold runs, the operator\'s view of run history', { timeout: 60_000 }, () => {
  it('lists every principal\'s runs, each with who started it', async () => {
    await using config = writeConfig({ servers: {}, rules: [{ deny: 'true' }] });
    const store = new SqliteRunStore(join(config.dir, '.manifold/manifold.db'));
    store.startRun({ id: 'run_ci', workflow: 'deploy', status: 'running', startedAt: 2000, input: '{}', principal: 'ci' });
    store.startRun({ id: 'run_mine', workflow: 'deploy', status: 'running', startedAt: 1000, input: '{}' });
    store.close();
    const list = await cli(config.path, ['runs']);
    assert.match(list, /\bsteps\s+by\s+error\n/);
    assert.match(list, /run_ci\s+deploy\s+running\s+\S+ \S+\s+-\s+0\s+ci\n/);
    assert.match(list, /run_mine\s+deploy\s+running\s+\S+ \S+\s+-\s+0\s+local\n/);
    assert.match(await cli(config.path, ['runs', 'run_ci']), /started by ci/);
  });
});

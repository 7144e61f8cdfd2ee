import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { DurableRuns, isOwnerAlive } from './durable-runs.js';

describe('which runs a dead process left running', () => {
  it('tells this process, a live one, a dead one, and a restarted one with the same pid (PID 1 in a container) apart', () => {
    const host = DurableRuns.owner.host;
    assert.equal(isOwnerAlive(DurableRuns.owner), true);
    // Same pid and host, another process: the gateway restarted (a container's PID 1 is PID 1 again).
    assert.equal(isOwnerAlive({ pid: process.pid, host, token: 'an earlier process' }), false);
    assert.equal(isOwnerAlive({ pid: process.ppid, host, token: 'x' }), true);
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.equal(isOwnerAlive({ pid: exited, host, token: 'x' }), false);
  });
});

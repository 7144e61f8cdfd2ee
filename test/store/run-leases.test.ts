/**
 * Run leases (docs/FLEET.md "Runs across instances"), on both stores: a run started under a lease keeps it while
 * its owner renews it; once the lease expired another owner claims it, and of processes claiming at once each run
 * goes to exactly one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';

import { openRunStore, type RunOwner, type RunStore } from '../../src/store/index.js';
import { storeBackends } from '../helpers/store-backends.js';

const storeModule = new URL('../../src/store/index.ts', import.meta.url).pathname;
const ownerA: RunOwner = { pid: 101, host: 'host-a', token: 'token-a', lease: 6000 };
const ownerB: RunOwner = { pid: 202, host: 'host-b', token: 'token-b', lease: 6000 };

function withStore<T>(address: string, use: (store: RunStore) => T): T {
  const store = openRunStore(address);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

function startRunning(store: RunStore, id: string, owner: RunOwner): void {
  store.startRun({ id, workflow: 'w', status: 'running', startedAt: Date.now(), input: '{}', arguments: '{}', definition: '{"steps":[]}', owner });
}

for (const backend of storeBackends()) {
  describe(`run leases (${backend.name})`, { timeout: 120_000 }, () => {
    it('a run started under a lease is not claimed while the lease holds; renewed, it holds longer; expired, one claim takes it', async () => {
      const address = await backend.address();
      withStore(address, store => {
        startRunning(store, 'r1', ownerA);
        startRunning(store, 'r2', { ...ownerA, lease: undefined });
        const [row] = backend.all(address, "SELECT lease_until FROM workflow_runs WHERE id = 'r1'");
        const lease = Number(row?.lease_until);
        assert.ok(Math.abs(lease - (Date.now() + 6000)) < 2000, `lease_until ${lease}`);
        assert.equal(backend.all(address, "SELECT lease_until FROM workflow_runs WHERE id = 'r2'")[0]?.lease_until, null);

        // Before the lease ends, nothing is claimed; a run with no lease never is.
        assert.deepEqual(store.claimExpired(Date.now(), ownerB, 10), []);
        // Renewed to +20 s (the runs A holds under a lease: a run started without one does not get one): still not claimable 10 s from now.
        assert.equal(store.renewLeases('token-a', Date.now() + 20_000), 1);
        assert.deepEqual(store.claimExpired(Date.now() + 10_000, ownerB, 10), []);
        // Renewing another owner's token changes nothing.
        assert.equal(store.renewLeases('token-nobody', Date.now() + 60_000), 0);

        // 30 s later (the owner stopped renewing), B takes r1 over; r2 (no lease) stays A's.
        const later = Date.now() + 30_000;
        const claimed = store.claimExpired(later, ownerB, 10);
        assert.deepEqual(claimed, [{ id: 'r1', from: { pid: 101, host: 'host-a' } }]);
        const run = store.getRun('r1')?.run;
        assert.equal(run?.status, 'running');
        assert.equal(run?.owner?.token, 'token-b');
        assert.equal(run?.resumes, 1);
        assert.equal(Number(backend.all(address, "SELECT lease_until FROM workflow_runs WHERE id = 'r1'")[0]?.lease_until), later + 6000);
        assert.equal(store.getRun('r2')?.run.owner?.token, 'token-a');
        // Claimed once: a second claim at the same time finds nothing; A's renewal no longer covers it.
        assert.deepEqual(store.claimExpired(later, ownerA, 10), []);
        assert.equal(store.renewLeases('token-a', later + 60_000), 0);
        assert.equal(store.getRun('r1')?.run.owner?.token, 'token-b');
      });
    });

    it('a run that ended is never claimed, and a claimed run resumed by hand gets a fresh lease', async () => {
      const address = await backend.address();
      withStore(address, store => {
        startRunning(store, 'done', ownerA);
        store.endRun('done', { status: 'completed', endedAt: Date.now() });
        startRunning(store, 'stopped', ownerA);
        store.endRun('stopped', { status: 'interrupted', endedAt: Date.now() });
        assert.deepEqual(store.claimExpired(Date.now() + 60_000, ownerB, 10), []);
        assert.equal(store.claimRun('stopped', ownerB, ['interrupted']), true);
        const lease = Number(backend.all(address, "SELECT lease_until FROM workflow_runs WHERE id = 'stopped'")[0]?.lease_until);
        assert.ok(lease > Date.now() + 4000, 'claimRun renews the lease, so the old expired one does not let another instance take it');
      });
    });

    it('markInterrupted leaves a leased run to its lease', async () => {
      const address = await backend.address();
      withStore(address, store => {
        startRunning(store, 'leased', { ...ownerA, host: 'here' });
        startRunning(store, 'plain', { ...ownerA, host: 'here', lease: undefined });
        assert.deepEqual(store.markInterrupted('here', () => false, Date.now()), ['plain']);
        assert.equal(store.getRun('leased')?.run.status, 'running');
      });
    });

    it('three processes claiming 30 expired runs at once: each run is claimed by exactly one', async () => {
      const address = await backend.address();
      withStore(address, store => {
        for (let index = 0; index < 30; index++) startRunning(store, `run-${index}`, ownerA);
      });
      const children = [0, 1, 2].map(index =>
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            `const { openRunStore } = await import(${JSON.stringify(storeModule)});
             const store = openRunStore(${JSON.stringify(address)});
             const owner = { pid: ${1000 + index}, host: 'claimer', token: 'claimer-${index}', lease: 6000 };
             const claimed = [];
             const at = Date.now() + 60000;
             for (let round = 0; round < 10; round++) claimed.push(...store.claimExpired(at, owner, 4).map(run => run.id));
             store.close();
             process.stdout.write(JSON.stringify(claimed));`
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] }
        )
      );
      const outputs = await Promise.all(
        children.map(async child => {
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
          const [code] = (await once(child, 'exit')) as [number | null];
          assert.equal(code, 0, err);
          return JSON.parse(out) as string[];
        })
      );
      const all = outputs.flat();
      assert.equal(all.length, 30, `claimed ${all.length} times in all: ${JSON.stringify(outputs)}`);
      assert.equal(new Set(all).size, 30);
      withStore(address, store => {
        for (const [index, ids] of outputs.entries()) {
          for (const id of ids) assert.equal(store.getRun(id)?.run.owner?.token, `claimer-${index}`);
        }
      });
    });
  });
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { storeBackends } from '../../../test/helpers/store-backends.js';
import { openRunStore } from '../open-store.js';
import { RunJournal, StepInFlight } from '../run-journal.js';
import { openDatabase } from './open-database.js';
import { SqliteRunStore } from './sqlite-run-store.js';

/** The schema of the run store before durable runs (Manifold up to issue 9), with one run in it. */
function writeOldStore(path: string): void {
  const db = openDatabase(path);
  db.exec(`
    CREATE TABLE workflow_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL,
      input TEXT NOT NULL, output_size INTEGER, error TEXT);
    CREATE INDEX workflow_runs_started ON workflow_runs (started_at);
    CREATE TABLE workflow_steps (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES workflow_runs (id), path TEXT NOT NULL,
      kind TEXT NOT NULL, tool TEXT, attempt INTEGER NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL, input TEXT,
      output_size INTEGER, error TEXT, detail TEXT);
    CREATE INDEX workflow_steps_run ON workflow_steps (run_id, seq);
  `);
  db.prepare('INSERT INTO workflow_runs (id, workflow, status, started_at, ended_at, input, output_size) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    'old1',
    'triage',
    'completed',
    1000,
    1200,
    '{"a":1}',
    12
  );
  db.prepare('INSERT INTO workflow_steps (run_id, path, kind, tool, attempt, status, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    'old1',
    'a',
    'call',
    'x__y',
    1,
    'ok',
    1001,
    1100
  );
  db.close();
}

describe('the SQLite run store upgrades older files', () => {
  it('opens a store written before durable runs, upgrades it and keeps its runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-store-'));
    try {
      const path = join(dir, 'manifold.db');
      writeOldStore(path);
      const store = new SqliteRunStore(path);
      const old = store.getRun('old1');
      assert.equal(old?.run.status, 'completed');
      assert.equal(old?.run.arguments, undefined);
      assert.equal(old?.run.resumes, 0);
      assert.equal(old?.run.kind, 'workflow');
      assert.deepEqual(
        old?.steps.map(step => [step.path, step.tool, step.status]),
        [['a', 'x__y', 'ok']]
      );
      assert.deepEqual(
        store.listRuns().map(run => [run.id, run.steps]),
        [['old1', 1]]
      );
      // The new parts work on the upgraded file.
      store.startRun({ id: 'r2', workflow: 'w', status: 'running', startedAt: 2000, input: '{}', arguments: '{"n":2}', definition: '{"steps":[]}', owner: { pid: 1, host: 'h', token: 't1' } });
      store.saveCheckpoint({ runId: 'r2', key: 'a', kind: 'call', status: 'done', idempotent: false, label: 'x__y', output: '{"ok":true}', startedAt: 2001, endedAt: 2002 });
      store.close();
      // Opened again: already at the current version, nothing to migrate (a second ALTER would throw).
      const again = new SqliteRunStore(path);
      assert.equal(again.getRun('r2')?.run.arguments, '{"n":2}');
      assert.deepEqual(again.getRun('r2')?.run.owner, { pid: 1, host: 'h', token: 't1' });
      assert.equal(again.getCheckpoints('r2')[0]?.output, '{"ok":true}');
      // An agent run (kind added by the second upgrade) reads back as one, in a run and in the list.
      again.startRun({ id: 'r3', workflow: 'probe', kind: 'agent', status: 'running', startedAt: 3000, input: '{"task":"t"}' });
      assert.equal(again.getRun('r3')?.run.kind, 'agent');
      assert.deepEqual(again.listRuns().map(run => [run.id, run.kind]), [['r3', 'agent'], ['r2', 'workflow'], ['old1', 'workflow']]);
      // Who started a run (run_principals, added by the third upgrade): runs recorded without one are the local user's.
      again.startRun({ id: 'r4', workflow: 'w', status: 'running', startedAt: 4000, input: '{}', principal: 'ci' });
      assert.equal(again.getRun('r4')?.run.principal, 'ci');
      assert.equal(again.getRun('old1')?.run.principal, 'local');
      assert.deepEqual(again.listRuns().map(run => [run.id, run.principal]), [['r4', 'ci'], ['r3', 'local'], ['r2', 'local'], ['old1', 'local']]);
      assert.equal(again.prune(1), 3);
      again.startRun({ id: 'r5', workflow: 'w', status: 'running', startedAt: 5000, input: '{}' });
      assert.deepEqual(again.listRuns().map(run => [run.id, run.principal]), [['r5', 'local'], ['r4', 'ci']]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('processes opening an older store at once upgrade it once: none fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-store-'));
    try {
      const path = join(dir, 'manifold.db');
      writeOldStore(path);
      const store = new URL('./sqlite-run-store.ts', import.meta.url).pathname;
      const code = `const { SqliteRunStore } = await import(${JSON.stringify(store)}); new SqliteRunStore(${JSON.stringify(path)}).close();`;
      const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] }));
      const errors: string[] = [];
      for (const child of children) child.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
      const codes = await Promise.all(children.map(async child => ((await once(child, 'exit')) as [number | null])[0]));
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0], errors.join('\n'));
      const upgraded = new SqliteRunStore(path);
      assert.equal(upgraded.getRun('old1')?.run.status, 'completed');
      upgraded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const backend of storeBackends()) describe(`the run store journals runs (${backend.name})`, () => {
  it('marks runs of a dead process interrupted, and lets one process claim a run to resume it', async () => {
    const store = openRunStore(await backend.address());
    store.startRun({ id: 'dead', workflow: 'w', status: 'running', startedAt: 1, input: '{}', owner: { pid: 111, host: 'here', token: 'a' } });
    store.startRun({ id: 'alive', workflow: 'w', status: 'running', startedAt: 2, input: '{}', owner: { pid: 222, host: 'here', token: 'b' } });
    store.startStep({ runId: 'dead', path: 'a', kind: 'call', attempt: 1, status: 'running', startedAt: 1 });
    store.startRun({ id: 'elsewhere', workflow: 'w', status: 'running', startedAt: 3, input: '{}', owner: { pid: 111, host: 'there', token: 'c' } });
    assert.deepEqual(
      store.markInterrupted('here', owner => owner.pid === 222 && owner.token === 'b', 10),
      ['dead']
    );
    assert.equal(store.getRun('dead')?.run.status, 'interrupted');
    assert.match(store.getRun('dead')?.run.error ?? '', /\(process 111\) stopped .*manifold runs resume dead/);
    assert.deepEqual(
      store.getRun('dead')?.steps.map(step => [step.path, step.status, step.error]),
      [['a', 'failed', 'interrupted: process 111 stopped while it ran']]
    );
    assert.equal(store.getRun('alive')?.run.status, 'running');
    assert.equal(store.getRun('elsewhere')?.run.status, 'running');
    assert.equal(store.claimRun('dead', { pid: 333, host: 'here', token: 'd' }, ['interrupted']), true);
    // Taken: a second claimer loses.
    assert.equal(store.claimRun('dead', { pid: 444, host: 'here', token: 'e' }, ['interrupted']), false);
    const claimed = store.getRun('dead')?.run;
    assert.equal(claimed?.status, 'running');
    assert.deepEqual(claimed?.owner, { pid: 333, host: 'here', token: 'd' });
    assert.equal(claimed?.resumes, 1);
    store.close();
  });

  it('a journal does each unit once: a finished one is replayed, one in flight is refused unless idempotent or forced', async () => {
    const store = openRunStore(await backend.address());
    store.startRun({ id: 'r', workflow: 'w', status: 'running', startedAt: 1, input: '{}' });
    const onWriteError = (error: unknown) => assert.fail(String(error));
    const first = new RunJournal({ runId: 'r', store, onWriteError });
    let calls = 0;
    const work = async () => ({ n: ++calls });
    assert.deepEqual(await first.run({ key: 'a', kind: 'call', idempotent: false, label: 't' }, work), { output: { n: 1 }, replayed: false });
    // An error result is not a finished unit: a resumed run does it again.
    await first.run({ key: 'b', kind: 'call', idempotent: false }, work, () => false);
    // A crash while "c" and "d" ran: their in-flight marks stay.
    store.saveCheckpoint({ runId: 'r', key: 'c', kind: 'call', status: 'started', idempotent: false, label: 'write', startedAt: 5 });
    store.saveCheckpoint({ runId: 'r', key: 'd', kind: 'call', status: 'started', idempotent: true, label: 'read', startedAt: 5 });

    const resumed = new RunJournal({ runId: 'r', store, prior: store.getCheckpoints('r'), onWriteError });
    assert.deepEqual(await resumed.run({ key: 'a', kind: 'call', idempotent: false }, work), { output: { n: 1 }, replayed: true });
    assert.deepEqual(await resumed.run({ key: 'b', kind: 'call', idempotent: false }, work), { output: { n: 3 }, replayed: false });
    await assert.rejects(
      resumed.run({ key: 'c', kind: 'call', idempotent: false, label: 'write' }, work),
      (error: unknown) => error instanceof StepInFlight && /step "c" \(tool "write"\) was in flight/.test(error.message)
    );
    assert.deepEqual(await resumed.run({ key: 'd', kind: 'call', idempotent: true }, work), { output: { n: 4 }, replayed: false });
    assert.equal(calls, 4);

    const forced = new RunJournal({ runId: 'r', store, prior: store.getCheckpoints('r'), force: true, onWriteError });
    assert.deepEqual(await forced.run({ key: 'c', kind: 'call', idempotent: false }, work), { output: { n: 5 }, replayed: false });
    assert.deepEqual(await forced.run({ key: 'd', kind: 'call', idempotent: true }, work), { output: { n: 4 }, replayed: true });
    store.close();
  });
});

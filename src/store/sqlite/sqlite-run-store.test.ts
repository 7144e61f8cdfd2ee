import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { storeBackends } from '../../../test/helpers/store-backends.js';
import { openRunStore } from '../open-store.js';
import { SqliteRunStore } from './sqlite-run-store.js';

for (const backend of storeBackends()) describe(`the run store (${backend.name})`, () => {
  it('records a run and its steps, and reads them back from a second connection', async () => {
    {
      const path = await backend.address();
      const store = openRunStore(path);
      store.startRun({ id: 'r1', workflow: 'triage', status: 'running', startedAt: 1000.25, input: '{"a":1}' });
      const first = store.startStep({ runId: 'r1', path: 'issues', kind: 'call', tool: 'x__list', attempt: 1, status: 'running', startedAt: 1001.5, input: '{}' });
      const second = store.startStep({ runId: 'r1', path: 'refs[0]', kind: 'call', tool: 'x__find', attempt: 1, status: 'running', startedAt: 1002 });
      store.endStep(first, { status: 'ok', endedAt: 1010.75, outputSize: 42 });
      store.endStep(second, { status: 'failed', endedAt: 1011, error: 'boom', detail: 'retry skipped' });
      store.endRun('r1', { status: 'failed', endedAt: 1020, error: 'step refs failed' });

      const reader = openRunStore(path);
      const found = reader.getRun('r1');
      assert.ok(found);
      assert.equal(found.run.status, 'failed');
      assert.equal(found.run.startedAt, 1000.25);
      assert.deepEqual(
        found.steps.map(step => [step.path, step.status, step.startedAt, step.endedAt, step.outputSize, step.error, step.detail]),
        [
          ['issues', 'ok', 1001.5, 1010.75, 42, undefined, undefined],
          ['refs[0]', 'failed', 1002, 1011, undefined, 'boom', 'retry skipped']
        ]
      );
      assert.deepEqual(
        reader.listRuns().map(run => [run.id, run.steps]),
        [['r1', 2]]
      );
      assert.equal(reader.getRun('nope'), undefined);
      if (reader instanceof SqliteRunStore) assert.ok(['better-sqlite3', 'node:sqlite'].includes(reader.driver));

      for (let index = 2; index <= 5; index++) {
        store.startRun({ id: `r${index}`, workflow: 'triage', status: 'running', startedAt: 1000 + index * 100, input: '{}' });
        store.startStep({ runId: `r${index}`, path: 'a', kind: 'call', attempt: 1, status: 'running', startedAt: 1000 + index * 100 });
      }
      assert.equal(store.prune(2), 3);
      assert.deepEqual(
        store.listRuns().map(run => run.id),
        ['r5', 'r4']
      );
      assert.equal(store.getRun('r1'), undefined);
      assert.equal(store.prune(2), 0);
      reader.close();
      store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { storeBackends } from '../../test/helpers/store-backends.js';
import { openPinStore } from './open-store.js';

const seen = (tool: string, hash: string, approve = true) => ({ server: 's', tool, hash, definition: `{"name":"${tool}","v":"${hash}"}`, approve });

for (const backend of storeBackends()) describe(`PinStore (${backend.name})`, () => {
  it('records first sight as the baseline, a change as current only, and decisions by another connection bump the revision', async () => {
    const path = await backend.address();
    {
      const gateway = openPinStore(path);
      const cli = openPinStore(path);
      const start = gateway.revision();
      gateway.observePins([seen('a', 'h1'), seen('b', 'h1', false)], 1000);
      const afterFirst = gateway.revision();
      assert.ok(afterFirst > start);
      assert.equal(gateway.observePins([seen('a', 'h1')], 2000), afterFirst, 'nothing new: no new revision');
      gateway.observePins([seen('a', 'h2')], 3000);
      const [a, b] = gateway.listPins('s');
      assert.deepEqual([a?.approvedHash, a?.currentHash, a?.changedAt], ['h1', 'h2', 3000]);
      assert.deepEqual([b?.approvedHash, b?.currentHash], [null, 'h1']);

      // A stale approval (of a definition that is no longer the current one) changes nothing.
      assert.deepEqual(cli.decidePins([{ server: 's', tool: 'a', decision: 'approve', hash: 'h1', at: 4000, by: 'local:test' }]), []);
      const before = gateway.revision();
      const [approved] = cli.decidePins([{ server: 's', tool: 'a', decision: 'approve', hash: 'h2', at: 4000, by: 'local:test' }]);
      assert.deepEqual([approved?.approvedHash, approved?.decidedBy], ['h2', 'local:test']);
      assert.ok(gateway.revision() > before, 'the other connection sees the new revision');
      const [blocked] = cli.decidePins([{ server: 's', tool: 'b', decision: 'block', at: 5000, by: 'local:test' }]);
      assert.equal(blocked?.blocked, true);
      // The gateway's observation never undoes a decision.
      gateway.observePins([seen('b', 'h3')], 6000);
      assert.equal(gateway.listPins('s')[1]?.blocked, true);
      gateway.close();
      cli.close();
    }
  });

  it('a tool seen twice in one observation is taken in order: the first sighting is the baseline, the last the current', async () => {
    const path = await backend.address();
    const store = openPinStore(path);
    try {
      const start = store.revision();
      const revision = store.observePins([seen('c', 'h1'), seen('d', 'h1', false), seen('c', 'h2')], 1000);
      assert.ok(revision > start);
      assert.equal(store.revision(), revision);
      const [c, d] = store.listPins();
      assert.deepEqual([c?.tool, c?.approvedHash, c?.currentHash, c?.changedAt, c?.firstSeen], ['c', 'h1', 'h2', 1000, 1000]);
      assert.deepEqual([d?.tool, d?.approvedHash, d?.currentHash, d?.blocked], ['d', null, 'h1', false]);
      assert.deepEqual(store.decidePins([]), []);
      assert.equal(store.revision(), revision, 'no decision: no new revision');
      assert.deepEqual(backend.all(path, 'SELECT tool, current_hash FROM tool_pins ORDER BY tool'), [{ tool: 'c', current_hash: 'h2' }, { tool: 'd', current_hash: 'h1' }], 'in the store itself');
    } finally {
      store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { SqlitePinStore } from './sqlite-pin-store.js';

const seen = (tool: string, hash: string, approve = true) => ({ server: 's', tool, hash, definition: `{"name":"${tool}","v":"${hash}"}`, approve });

describe('SqlitePinStore', () => {
  it('records first sight as the baseline, a change as current only, and decisions by another connection bump the revision', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-pins-'));
    try {
      const path = join(dir, 'manifold.db');
      const gateway = new SqlitePinStore(path);
      const cli = new SqlitePinStore(path);
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

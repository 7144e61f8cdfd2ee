import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { storeBackends } from '../../test/helpers/store-backends.js';
import type { StoredApproval } from './approval-store.js';
import { openApprovalStore } from './open-store.js';

const base: StoredApproval = {
  id: 'a1',
  principal: 'key:ci',
  tool: 'gh__delete_repo',
  server: 'gh',
  argsDigest: 'd1',
  arguments: '{"repo":"x"}',
  reason: 'destructiveHint',
  status: 'pending',
  createdAt: 1000,
  expiresAt: 61_000
};

for (const backend of storeBackends()) describe(`ApprovalStore (${backend.name})`, () => {
  it('decides only pending, unexpired approvals, and spends a decision exactly once', async () => {
    const address = await backend.address();
    const store = openApprovalStore(address);
    store.addApproval(base);
    store.addApproval({ ...base, id: 'a2', argsDigest: 'd2', createdAt: 2000, expiresAt: 3000 });
    assert.deepEqual(store.listApprovals({ now: 2500 }).map(row => row.id), ['a1', 'a2']);
    assert.deepEqual(store.listApprovals({ now: 5000 }).map(row => row.id), ['a1'], 'an expired one is not listed as waiting');
    assert.equal(store.decideApproval('a2', 'granted', 'cli:ada', 5000), false, 'expired');
    assert.equal(store.findOpenApproval('key:ci', 'gh__delete_repo', 'd1', 5000)?.status, 'pending');
    assert.equal(store.useApproval('a1', 5000), false, 'a pending approval cannot be spent');
    assert.equal(store.decideApproval('a1', 'granted', 'cli:ada', 5000), true);
    assert.equal(store.decideApproval('a1', 'denied', 'cli:bob', 5001), false, 'decided already');
    assert.equal(store.getApproval('a1')?.decidedBy, 'cli:ada');
    assert.deepEqual(store.getApproval('a1'), { ...base, status: 'granted', decidedAt: 5000, decidedBy: 'cli:ada' }, 'every field as stored');
    assert.deepEqual(store.listApprovals({ now: 5000, all: true }).map(row => [row.id, row.status]), [['a2', 'pending'], ['a1', 'granted']], 'all, newest first');
    assert.equal(store.findOpenApproval('key:other', 'gh__delete_repo', 'd1', 5000), undefined, 'another principal');
    assert.equal(store.useApproval('a1', 5000), true);
    assert.equal(store.useApproval('a1', 5000), false, 'spent once');
    assert.equal(store.findOpenApproval('key:ci', 'gh__delete_repo', 'd1', 5000), undefined);
    assert.deepEqual(backend.all(address, 'SELECT id, status FROM approvals ORDER BY id'), [{ id: 'a1', status: 'used' }, { id: 'a2', status: 'pending' }], 'in the store itself');
    assert.equal(store.pruneApprovals(4000), 1);
    store.close();
  });
});

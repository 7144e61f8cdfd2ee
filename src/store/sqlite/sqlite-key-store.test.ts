import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { storeBackends } from '../../../test/helpers/store-backends.js';
import { openKeyStore } from '../open-store.js';

for (const backend of storeBackends()) describe(`the key store (${backend.name})`, () => {
  it('a key created or revoked through another connection counts at the next lookup, despite the lookup cache', async () => {
    const path = await backend.address();
    const gateway = openKeyStore(path);
    const cli = openKeyStore(path);
    try {
      const hash = 'ab'.repeat(32);
      assert.equal(gateway.findKeyByHash(hash), undefined);
      cli.createKey({ name: 'robot', hash, views: ['a'], createdAt: 1 });
      assert.deepEqual(gateway.findKeyByHash(hash), { name: 'robot', hash, views: ['a'], createdAt: 1 });
      assert.ok(cli.revokeKey('robot', 2));
      assert.equal(gateway.findKeyByHash(hash)?.revokedAt, 2);
      assert.throws(() => cli.createKey({ name: 'other', hash, createdAt: 3 }), /UNIQUE|hash/);
      // A revoked name may be used again.
      cli.createKey({ name: 'robot', hash: 'cd'.repeat(32), createdAt: 4 });
      assert.equal(gateway.findKeyByHash(hash), undefined);
      assert.deepEqual(cli.listKeys().map(key => key.name), ['robot']);
      assert.throws(() => cli.createKey({ name: 'robot', hash: 'ef'.repeat(32), createdAt: 5 }), /exists already/);
    } finally {
      gateway.close();
      cli.close();
    }
  });
});

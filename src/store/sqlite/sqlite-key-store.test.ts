import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { SqliteKeyStore } from './sqlite-key-store.js';

describe('the SQLite key store', () => {
  it('a key created or revoked through another connection counts at the next lookup, despite the lookup cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-keys-'));
    const path = join(dir, 'manifold.db');
    const gateway = new SqliteKeyStore(path);
    const cli = new SqliteKeyStore(path);
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
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

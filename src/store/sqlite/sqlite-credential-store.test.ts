import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { openStoreDatabase } from './sqlite-run-store.js';
import { credentialKeyPath, SqliteCredentialStore } from './sqlite-credential-store.js';

function tempStore(): { path: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-credentials-'));
  return { path: join(dir, 'manifold.db'), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const credentials = {
  clientInformation: { client_id: 'dyn_1' },
  tokens: { access_token: 'access-PLAINTEXT-1234567890', refresh_token: 'refresh-PLAINTEXT-0987654321', token_type: 'Bearer', expires_in: 3600 },
  obtainedAt: 1
};

describe('SqliteCredentialStore', () => {
  it('keeps credentials sealed (AES-256-GCM) under a 0600 key file; another instance reads them back', () => {
    using temp = tempStore();
    const store = new SqliteCredentialStore(temp.path);
    store.save('github', credentials);
    store.close();
    assert.equal(statSync(credentialKeyPath(temp.path)).mode & 0o777, 0o600);
    assert.equal(statSync(temp.path).mode & 0o777, 0o600);
    const dir = join(temp.path, '..');
    const bytes = readdirSync(dir)
      .filter(file => file !== 'manifold.db.key')
      .map(file => readFileSync(join(dir, file)).toString('latin1'))
      .join('');
    assert.ok(!bytes.includes('PLAINTEXT'), 'a token is readable in the store file');
    const again = new SqliteCredentialStore(temp.path);
    assert.deepEqual(again.load('github'), credentials);
    assert.equal(again.load('other'), undefined);
    assert.equal(again.delete('github'), true);
    assert.equal(again.load('github'), undefined);
    assert.equal(again.delete('github'), false);
    again.close();
  });

  it("refuses a row moved to another server's name, and a key file others can read", () => {
    using temp = tempStore();
    const store = new SqliteCredentialStore(temp.path);
    store.save('github', credentials);
    store.close();
    const db = openStoreDatabase(temp.path);
    db.prepare("INSERT INTO upstream_credentials (server, sealed, updated_at) SELECT 'jira', sealed, updated_at FROM upstream_credentials WHERE server = 'github'").run();
    db.close();
    const reopened = new SqliteCredentialStore(temp.path);
    assert.throws(() => reopened.load('jira'), /stored credentials of server "jira" cannot be decrypted .*run "manifold logout jira" and "manifold login jira"/);
    reopened.close();
    chmodSync(credentialKeyPath(temp.path), 0o644);
    const exposed = new SqliteCredentialStore(temp.path);
    assert.throws(() => exposed.load('github'), /can be read by other users \(mode 644\): run "chmod 600 /);
    exposed.close();
  });
});

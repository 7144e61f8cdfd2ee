import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

import type { UpstreamCredentials, UpstreamCredentialStore } from '../credential-store.js';
import { errorMessage, ManifoldError } from '../../core/errors.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

const format = 'v1';

/** The key file beside a store file: `<store>.key`. */
export function credentialKeyPath(storePath: string): string {
  return `${storePath}.key`;
}

/**
 * Upstream OAuth credentials in the store's SQLite file (table `upstream_credentials`), each server's sealed
 * with AES-256-GCM under a key kept in `<store>.key` (mode 0600, created on first use), the server's name
 * bound in as associated data so a row cannot be moved to another server. What this protects and what it does
 * not: docs/SECURITY.md "Upstream credentials".
 */
export class SqliteCredentialStore implements UpstreamCredentialStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private key: Buffer | undefined;
  private readonly statements: Record<'load' | 'save' | 'delete', SqliteStatement>;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.statements = {
      load: this.db.prepare('SELECT sealed FROM upstream_credentials WHERE server = ?'),
      save: this.db.prepare('INSERT INTO upstream_credentials (server, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (server) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at'),
      delete: this.db.prepare('DELETE FROM upstream_credentials WHERE server = ?')
    };
  }

  load(server: string): UpstreamCredentials | undefined {
    const row = this.statements.load.get(server) as { sealed: string } | undefined;
    if (!row) return undefined;
    return JSON.parse(this.open(server, row.sealed)) as UpstreamCredentials;
  }

  save(server: string, credentials: UpstreamCredentials): void {
    this.statements.save.run(server, this.seal(server, JSON.stringify(credentials)), Date.now());
    // The file holds only sealed credentials, but it is nobody else's business either.
    if (this.path !== ':memory:') chmodSync(this.path, 0o600);
  }

  delete(server: string): boolean {
    return Number(this.statements.delete.run(server).changes) > 0;
  }

  close(): void {
    this.db.close();
  }

  private seal(server: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.secret(), iv);
    cipher.setAAD(associatedData(server));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [format, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  private open(server: string, sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    try {
      if (version !== format || !iv || !tag || ciphertext === undefined) throw new Error(`unknown format "${version ?? ''}"`);
      const decipher = createDecipheriv('aes-256-gcm', this.secret(), Buffer.from(iv, 'base64url'));
      decipher.setAAD(associatedData(server));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new ManifoldError(
        'INTERNAL',
        `the stored credentials of server "${server}" cannot be decrypted with ${credentialKeyPath(this.path)} (${errorMessage(error)}): the key file was replaced or the row altered; run "manifold logout ${server}" and "manifold login ${server}"`,
        { cause: error }
      );
    }
  }

  /** The 32-byte key: read from `<store>.key`, or made there (0600) on first use. In memory for `:memory:`. */
  private secret(): Buffer {
    if (this.key) return this.key;
    if (this.path === ':memory:') return (this.key = randomBytes(32));
    const keyPath = credentialKeyPath(this.path);
    if (!existsSync(keyPath)) {
      try {
        const fd = openSync(keyPath, 'wx', 0o600);
        writeSync(fd, `${randomBytes(32).toString('base64')}\n`);
        closeSync(fd);
      } catch (error) {
        // Another process made it first: read theirs.
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      }
    }
    const mode = statSync(keyPath).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ManifoldError(
        'INTERNAL',
        `the credentials key ${keyPath} can be read by other users (mode ${mode.toString(8)}): run "chmod 600 ${keyPath}"`
      );
    }
    const key = Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ManifoldError('INTERNAL', `the credentials key ${keyPath} is not 32 bytes of base64: move it away and log in again`);
    return (this.key = key);
  }
}

function associatedData(server: string): Buffer {
  return Buffer.from(`manifold upstream credentials ${format} ${server}`, 'utf8');
}

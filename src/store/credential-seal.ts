import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

import { errorMessage, ManifoldError } from '../core/errors.js';

const format = 'v1';

/**
 * Seals upstream credentials with AES-256-GCM under a key kept in a file (mode 0600, created on first use), the
 * server's name bound in as associated data so a sealed value cannot be moved to another server. Both stores use
 * it: SQLite (`<store>.key`) and PostgreSQL (the key file stays on the instance, never in the database).
 * What this protects and what it does not: docs/SECURITY.md "Upstream credentials".
 */
export class CredentialSeal {
  private key: Buffer | undefined;

  /** `keyPath` undefined: a key in memory only (a `:memory:` store). */
  constructor(readonly keyPath: string | undefined) {}

  seal(server: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.secret(), iv);
    cipher.setAAD(associatedData(server));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [format, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(server: string, sealed: string): string {
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
        `the stored credentials of server "${server}" cannot be decrypted with ${this.keyPath} (${errorMessage(error)}): the key file was replaced or the row altered; run "manifold logout ${server}" and "manifold login ${server}"`,
        { cause: error }
      );
    }
  }

  /** The 32-byte key: read from `<store>.key`, or made there (0600) on first use. In memory for `:memory:`. */
  private secret(): Buffer {
    if (this.key) return this.key;
    if (this.keyPath === undefined) return (this.key = randomBytes(32));
    const keyPath = this.keyPath;
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

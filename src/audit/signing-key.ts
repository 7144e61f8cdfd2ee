import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { errorMessage, ManifoldError } from '../core/errors.js';

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows. */
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 key that signs checkpoints, and its public half that verifies them. */
export interface AuditSigner {
  sign(data: string): string;
  verify(data: string, signature: string): boolean;
}

/**
 * Reads `audit.signingKey`: a PEM private key, or base64 of a 32-byte seed or of a PKCS#8 DER key, inline (usually
 * `${ENV}`) or `{ file }` (relative to the config file). Anything else is a CONFIG_INVALID naming the key.
 */
export function loadSigningKey(setting: string | { file: string }, configPath: string | undefined): AuditSigner {
  const where = typeof setting === 'string' ? 'audit.signingKey' : 'audit.signingKey.file';
  let text: string;
  if (typeof setting === 'string') {
    text = setting;
  } else {
    const file = resolve(configPath ? dirname(resolve(configPath)) : process.cwd(), setting.file);
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ManifoldError('CONFIG_INVALID', `${where}: cannot read ${file}: ${errorMessage(error)}; give a readable file with an Ed25519 private key (PEM)`);
    }
  }
  let key: KeyObject;
  try {
    key = parsePrivateKey(text.trim());
  } catch (error) {
    throw new ManifoldError(
      'CONFIG_INVALID',
      `${where}: not an Ed25519 private key (${errorMessage(error)}); give a PEM key ("openssl genpkey -algorithm ed25519") or base64 of its 32-byte seed`
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ManifoldError('CONFIG_INVALID', `${where}: the key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519; make one with "openssl genpkey -algorithm ed25519"`);
  }
  const publicKey = createPublicKey(key);
  return {
    sign: data => sign(null, Buffer.from(data), key).toString('base64'),
    verify: (data, signature) => {
      try {
        return verify(null, Buffer.from(data), publicKey, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    }
  };
}

function parsePrivateKey(text: string): KeyObject {
  if (text.startsWith('-----BEGIN')) return createPrivateKey(text);
  if (!/^[A-Za-z0-9+/=_-]+$/.test(text)) throw new Error('neither PEM nor base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 32) return createPrivateKey({ key: Buffer.concat([pkcs8Ed25519Prefix, bytes]), format: 'der', type: 'pkcs8' });
  return createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
}

import type { ApiKeyConfig } from '../config/index.js';
import type { Principal } from '../core/principal.js';
import type { KeyStore, StoredKey } from '../store/index.js';
import { hashApiKey, sameDigest } from './api-key.js';

/** The outcome of checking an API key. */
export type KeyVerdict =
  | { ok: true; principal: Principal }
  /** `unknown`: no key has this digest; `expired`, `revoked`: the named key did, but no longer counts. */
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked'; name?: string };

interface ConfigKey {
  name: string;
  digest: Buffer;
  views?: readonly string[] | undefined;
  scopes?: readonly string[] | undefined;
  expiresAt?: number | undefined;
}

export interface KeyVerifierOptions {
  /** `auth.keys` of the config (key literals already expanded from `${ENV}`). */
  keys: readonly ApiKeyConfig[];
  /** The keys made by `manifold keys create`, read on each check (so a revoke counts on the next request); undefined: none. */
  store?: () => KeyStore | undefined;
  now?: () => number;
}

/**
 * Checks API keys: those of the config (digests compared in constant time, every one of them, whatever
 * matches) and those in the store (looked up by digest). A key's principal is `{ kind: 'key', name }` with
 * its views and scopes.
 */
export function createKeyVerifier(options: KeyVerifierOptions): (presented: string) => KeyVerdict {
  const now = options.now ?? Date.now;
  const configKeys: ConfigKey[] = options.keys.map(key => ({
    name: key.name,
    digest: Buffer.from(key.hash !== undefined ? key.hash.slice('sha256:'.length).toLowerCase() : hashApiKey(key.key ?? ''), 'hex'),
    views: key.views,
    scopes: key.scopes,
    expiresAt: key.expires
  }));
  return presented => {
    const hex = hashApiKey(presented);
    const digest = Buffer.from(hex, 'hex');
    let found: ConfigKey | undefined;
    for (const key of configKeys) {
      // No early exit: the time taken does not say which key (if any) matched.
      if (sameDigest(key.digest, digest)) found = key;
    }
    if (found) return verdictOf(found, undefined, now());
    const stored = options.store?.()?.findKeyByHash(hex);
    if (stored) return verdictOf(toConfigKey(stored), stored.revokedAt, now());
    return { ok: false, reason: 'unknown' };
  };
}

function toConfigKey(stored: StoredKey): ConfigKey {
  return { name: stored.name, digest: Buffer.alloc(0), views: stored.views, scopes: stored.scopes, expiresAt: stored.expiresAt };
}

function verdictOf(key: ConfigKey, revokedAt: number | undefined, now: number): KeyVerdict {
  if (revokedAt !== undefined) return { ok: false, reason: 'revoked', name: key.name };
  if (key.expiresAt !== undefined && key.expiresAt <= now) return { ok: false, reason: 'expired', name: key.name };
  const principal: Principal = {
    name: key.name,
    kind: 'key',
    ...(key.views ? { views: key.views } : {}),
    ...(key.scopes ? { scopes: key.scopes } : {})
  };
  return { ok: true, principal };
}

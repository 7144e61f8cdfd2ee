import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What `manifold keys create` prints: a prefix that says what it is (secret scanners match on it), then 256 random bits. */
export const apiKeyPrefix = 'mfk_';

/** A new API key: `mfk_` and 43 base64url characters (32 random bytes). */
export function createApiKey(): string {
  return `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 of a key, lowercase hex: what the store and `hash: sha256:<hex>` keep. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Whether two digests are equal, in time that does not depend on where they differ. Both sides are digests
 * of the same length, so timingSafeEqual applies; what it protects is the digest, never the key itself.
 */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

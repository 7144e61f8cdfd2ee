import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every requestState the input_required bridge mints starts with this; anything else belongs to the upstream. */
export const gatewayStatePrefix = 'manifold.v1.';

/** Every requestState the approval gate mints starts with this (not `gatewayStatePrefix`: the bridge leaves it alone). */
export const approvalStatePrefix = 'manifold.approval.v1.';

/**
 * Seals small JSON claims into an opaque string (`<prefix><base64url body>.<HMAC-SHA256>`) with a key of the
 * gateway's, made at start and never written anywhere: a state sealed by one gateway process opens only in it.
 * The purpose is part of what is signed, so a state minted for one use (the bridge's parked call) never opens as
 * another (an approval). Integrity only: the claims are readable by whoever holds the state, so nothing secret
 * goes in them.
 */
export class StateSeal {
  private readonly key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  /** `<prefix><body>.<mac>` over the claims' JSON. */
  seal(prefix: string, purpose: string, claims: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${prefix}${body}.${this.mac(purpose, body)}`;
  }

  /** The claims of a state this seal made for this purpose, or undefined (another prefix, a bad MAC, not JSON). */
  open(prefix: string, purpose: string, state: string): Record<string, unknown> | undefined {
    if (!state.startsWith(prefix)) return undefined;
    const [body, mac, ...rest] = state.slice(prefix.length).split('.');
    if (!body || !mac || rest.length > 0) return undefined;
    const expected = Buffer.from(this.mac(purpose, body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(purpose: string, body: string): string {
    return createHmac('sha256', this.key).update(`${purpose}:${body}`).digest('base64url');
  }
}

import type { PriorDiscovery } from '@modelcontextprotocol/client';
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';

import type { ServerConfig } from '../config/index.js';
import type { RemoteKind } from './create-transport.js';

export interface Negotiation {
  prior?: PriorDiscovery;
  mode: 'legacy' | 'auto' | { pin: string };
}

/**
 * How to find a server's protocol era: the configured `protocol`, or (auto) the `server/discover` probe,
 * skipped when the verdict of the last successful connect is reused. Legacy SSE is always 2025.
 */
export function negotiationFor(protocol: ServerConfig['protocol'], kind: 'stdio' | RemoteKind, verdict: PriorDiscovery | undefined): Negotiation {
  if (kind === 'sse') return { mode: 'legacy' };
  switch (protocol) {
    case 'legacy':
      return { mode: 'legacy' };
    case 'modern':
      return { mode: { pin: '2026-07-28' } };
    case 'auto':
      return { mode: 'auto', ...(verdict ? { prior: verdict } : {}) };
  }
}

/** Some legacy servers exit when they see the modern probe: the sign to start them afresh as legacy. */
export function isClosedInProbe(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed && /closed/.test(error.message);
}

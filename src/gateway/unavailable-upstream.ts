import { UpstreamConnection, type UpstreamConnectionOptions, type UpstreamState } from '../upstream/index.js';

/**
 * A configured server that cannot start as written (a variable its entry uses is not set): never
 * connected, always `failed` with the reason and no retry, so that doctor, `tools`, /healthz and calls
 * to it say why while the other servers serve. Restarting Manifold with the variable set brings it up.
 */
export class UnavailableUpstream extends UpstreamConnection {
  private readonly failure: UpstreamState;

  constructor(options: UpstreamConnectionOptions, reason: string) {
    super(options);
    this.failure = { kind: 'failed', since: Date.now(), reason, attempt: 0, retryAt: undefined };
  }

  override get state(): UpstreamState {
    return this.failure;
  }

  override async start(): Promise<void> {
    // Nothing to start: the entry is incomplete until the gateway is restarted with the variable set.
  }
}

import type { ManifoldConfig } from '../../config/index.js';
import { errorMessage } from '../../core/errors.js';
import type { GatewayCore } from '../../gateway/index.js';
import type { UpstreamConnection, UpstreamOAuthStatus } from '../../upstream/index.js';

/** One server as `manifold doctor --json`, the console's Servers page and `/console/api/servers` show it. */
export interface ServerReport {
  server: string;
  status: 'up' | 'down';
  /** The connection's state: `ready`, `starting` (connecting or reconnecting), `failed`, `stopped` (disabled at runtime). */
  state: 'ready' | 'starting' | 'failed' | 'stopped';
  transport: string | undefined;
  protocol: string | undefined;
  era: string | undefined;
  connectMs: number | undefined;
  latencyMs: number | undefined;
  tools: number;
  resources: number;
  prompts: number;
  serverInfo: { name: string; version: string } | undefined;
  error: string | undefined;
  /** Servers with `oauth:`: the grant and the token held (never the token itself). */
  oauth?: UpstreamOAuthStatus;
}

/** An upstream's report from its state alone (no round trip): what the console's live updates send. */
export function serverStateOf(upstream: UpstreamConnection): ServerReport {
  const state = upstream.state;
  const snapshot = upstream.snapshot;
  return {
    server: upstream.name,
    status: state.kind === 'ready' ? 'up' : 'down',
    state: state.kind,
    transport: state.kind === 'ready' ? state.transport : undefined,
    protocol: state.kind === 'ready' ? state.protocolVersion : undefined,
    era: state.kind === 'ready' ? state.era : undefined,
    connectMs: state.kind === 'ready' ? state.connectMs : undefined,
    latencyMs: undefined,
    tools: snapshot.tools.length,
    resources: snapshot.resources.length + snapshot.resourceTemplates.length,
    prompts: snapshot.prompts.length,
    serverInfo: upstream.serverVersion,
    error:
      state.kind === 'failed'
        ? state.reason
        : state.kind === 'starting' && state.lastFailure
          ? `reconnecting (attempt ${state.attempt}); last failure: ${state.lastFailure}`
          : state.kind === 'stopped'
            ? 'stopped (disabled in the console, or the gateway is closing)'
            : undefined
  };
}

/** Checks one upstream: its state, and a round trip when it is up. */
export async function diagnoseServer(upstream: UpstreamConnection): Promise<ServerReport> {
  const row = serverStateOf(upstream);
  if (upstream.oauth) row.oauth = await upstream.oauth.status();
  if (upstream.state.kind === 'ready') {
    try {
      row.latencyMs = Math.round((await upstream.measureLatency()) * 100) / 100;
    } catch (error) {
      row.error = `connected, but a round trip failed: ${errorMessage(error)}`;
    }
  }
  return row;
}

/** What `manifold doctor --json` prints and `/console/api/servers` answers. */
export interface ServersReport {
  config: string | undefined;
  servers: ServerReport[];
  /** Servers the config disables (`enabled: false`). */
  disabled: string[];
  tools: number;
}

/** Every upstream diagnosed (a round trip each, in parallel), the config's disabled servers, the catalog's size. */
export async function serversReport(core: GatewayCore, configPath: string | undefined): Promise<ServersReport> {
  const servers = await Promise.all([...core.upstreams.values()].map(diagnoseServer));
  return { config: configPath, servers, disabled: disabledServers(core.config), tools: core.catalog.tools.length };
}

export function disabledServers(config: ManifoldConfig): string[] {
  return Object.entries(config.servers)
    .filter(([, server]) => !server.enabled)
    .map(([name]) => name);
}

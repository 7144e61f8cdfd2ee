import { errorMessage } from '../../core/errors.js';
import type { UpstreamConnection, UpstreamOAuthStatus } from '../../upstream/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';

export interface DoctorRow {
  server: string;
  status: 'up' | 'down';
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

/** Checks one upstream: its state, and a round trip when it is up. */
export async function diagnose(upstream: UpstreamConnection): Promise<DoctorRow> {
  const state = upstream.state;
  const snapshot = upstream.snapshot;
  const row: DoctorRow = {
    server: upstream.name,
    status: state.kind === 'ready' ? 'up' : 'down',
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
          : undefined
  };
  if (upstream.oauth) row.oauth = await upstream.oauth.status();
  if (state.kind === 'ready') {
    try {
      row.latencyMs = Math.round((await upstream.measureLatency()) * 100) / 100;
    } catch (error) {
      row.error = `connected, but a round trip failed: ${errorMessage(error)}`;
    }
  }
  return row;
}

/** `manifold doctor`: one line per server. Exit 1 if any is down. */
export async function runDoctor(parsed: ParsedCommand, output: Output): Promise<number> {
  const { core, loaded } = await openGateway(commonOptions(parsed), 'silent');
  try {
    const rows = await Promise.all([...core.upstreams.values()].map(diagnose));
    const disabled = Object.entries(loaded.config.servers)
      .filter(([, server]) => !server.enabled)
      .map(([name]) => name);
    if (parsed.values.json) {
      output.out(JSON.stringify({ config: loaded.path, servers: rows, disabled, tools: core.catalog.tools.length }, null, 2));
    } else {
      const table = rows.map(row => [
        row.server,
        row.status,
        row.transport ?? '-',
        row.protocol ?? '-',
        row.connectMs !== undefined ? `${row.connectMs} ms` : '-',
        row.latencyMs !== undefined ? `${row.latencyMs} ms` : '-',
        String(row.tools),
        String(row.resources),
        String(row.prompts),
        oneLine(row.error, 100)
      ]);
      output.out(`config: ${loaded.path}`);
      output.out(formatTable(['SERVER', 'STATUS', 'TRANSPORT', 'PROTOCOL', 'CONNECT', 'LATENCY', 'TOOLS', 'RESOURCES', 'PROMPTS', 'ERROR'], table));
      if (disabled.length > 0) output.out(`disabled: ${disabled.join(', ')}`);
      const down = rows.filter(row => row.status === 'down').length;
      output.out(down === 0 ? `\nall ${rows.length} servers up; ${core.catalog.tools.length} tools` : `\n${down} of ${rows.length} servers down`);
    }
    return rows.some(row => row.status === 'down') ? 1 : 0;
  } finally {
    await core.close();
  }
}

import { serversReport } from '../../console/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';

/** `manifold doctor`: one line per server. Exit 1 if any is down. */
export async function runDoctor(parsed: ParsedCommand, output: Output): Promise<number> {
  const { core, loaded } = await openGateway(commonOptions(parsed), 'silent');
  try {
    const report = await serversReport(core, loaded.path);
    const { servers: rows, disabled } = report;
    if (parsed.values.json) {
      output.out(JSON.stringify(report, null, 2));
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

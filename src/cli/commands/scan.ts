import { toPublicName } from '../../catalog/index.js';
import { createNameFilter } from '../../core/glob.js';
import { viewNames, viewOf } from '../../gateway/index.js';
import { type Finding, findToxicFlows, type ScannedServer, scanServers, severityRank } from '../../scanner/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';

/**
 * `manifold scan`: connects to every server, scans every tool definition as the server lists it (withheld tools
 * too: the gateway's own load-time check may already keep them out) and each view for toxic flows. Exit 1 when
 * any finding is high.
 */
export async function runScan(parsed: ParsedCommand, output: Output): Promise<number> {
  // The gateway logs its own load-time findings at warn; the report is this command's output.
  const { core } = await openGateway(commonOptions(parsed), 'error');
  try {
    const options = core.config.security.scan;
    const servers: ScannedServer[] = [...core.upstreams.values()].map(upstream => {
      const keep = createNameFilter(upstream.config.include, upstream.config.exclude);
      const tools = upstream.snapshot.tools.filter(tool => typeof tool?.name === 'string' && keep(tool.name));
      return {
        name: upstream.name,
        ...(upstream.instructions ? { instructions: upstream.instructions } : {}),
        tools: tools.map(tool => ({ server: upstream.name, publicName: toPublicName(upstream.name, tool.name, upstream.config.prefix), definition: tool }))
      };
    });
    const findings: Finding[] = scanServers(servers, { config: options, trustOf: server => core.config.servers[server]?.trust ?? 'untrusted' });
    for (const name of viewNames(core)) {
      const tools = viewOf(core, name)
        .tools()
        .filter(tool => !tool.catalogTool.local)
        .map(tool => ({ name: tool.name, server: tool.server, annotations: tool.definition.annotations }));
      findings.push(...findToxicFlows(name, tools, options.labels));
    }
    findings.sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool) || a.rule.localeCompare(b.rule));
    const high = findings.filter(finding => finding.severity === 'high').length;
    const down = [...core.upstreams.values()].filter(upstream => upstream.state.kind !== 'ready');
    if (parsed.values.json) {
      output.out(JSON.stringify({ findings: findings.map(({ server, tool, rule, severity, field, evidence }) => ({ server, tool, rule, severity, field, evidence })) }, null, 2));
    } else if (findings.length === 0) {
      output.out(`No findings in ${servers.reduce((sum, server) => sum + server.tools.length, 0)} tools of ${servers.length - down.length} servers.`);
    } else {
      const rows = findings.map(finding => [finding.severity, finding.rule, finding.server, finding.tool, oneLine(finding.field, 50), oneLine(finding.evidence, 100)]);
      output.out(formatTable(['SEVERITY', 'RULE', 'SERVER', 'TOOL', 'FIELD', 'EVIDENCE'], rows));
      const count = (severity: Finding['severity']) => findings.filter(finding => finding.severity === severity).length;
      output.out(`\n${findings.length} findings: ${high} high, ${count('medium')} medium, ${count('low')} low (rules: docs/SECURITY.md "Scanner")`);
    }
    if (down.length > 0) output.err(`manifold scan: not scanned, down: ${down.map(upstream => upstream.name).join(', ')} (see manifold doctor)`);
    if (core.upstreams.size > 0 && down.length === core.upstreams.size) return 1;
    return high > 0 ? 1 : 0;
  } finally {
    await core.close();
  }
}

import type { CatalogTool, ToolWithholder } from '../catalog/index.js';
import type { ManifoldConfig } from '../config/index.js';
import { createToolNameIndex, type Finding, instructionsTool, type ScannedServer, scanRules, scanServers, scanTool } from '../scanner/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { UpstreamConnection } from '../upstream/index.js';

function describe(finding: Finding): string {
  const title = (scanRules as Record<string, { title: string } | undefined>)[finding.rule]?.title ?? finding.rule;
  return `${finding.rule} ${finding.severity} (${title}) in ${finding.field}: ${finding.evidence}`;
}

/**
 * The scanner at load time (docs/SECURITY.md "Scanner"): on every catalog rebuild, each upstream tool is scanned
 * (once per definition, against the other servers' tool names), its findings logged at warn once, and with
 * `security.scan.onHigh: hide` (the default) a tool with a high finding is withheld: out of lists, views and
 * search, and a call is told why. A server's instructions are scanned and logged too (never withheld).
 * `security.scan.enabled: false`: undefined, nothing is scanned.
 */
export function createScanWithholder(config: ManifoldConfig, upstreams: ReadonlyMap<string, UpstreamConnection>, logger: Logger): ToolWithholder | undefined {
  const options = config.security.scan;
  if (!options.enabled) return undefined;
  const scanOptions = { config: options, trustOf: (server: string) => config.servers[server]?.trust ?? 'untrusted' };
  const cache = new Map<string, Finding[]>();
  const logged = new Set<string>();
  let namesSeen = '';
  return (tools: readonly CatalogTool[]) => {
    const servers = new Map<string, ScannedServer & { tools: ScannedServer['tools'][number][] }>();
    for (const tool of tools) {
      let server = servers.get(tool.upstream);
      if (!server) servers.set(tool.upstream, (server = { name: tool.upstream, tools: [] }));
      server.tools.push({ server: tool.upstream, publicName: tool.name, definition: { ...tool.definition, name: tool.originalName } });
    }
    const index = createToolNameIndex([...servers.values()]);
    // Another server's names are what a reference is found against: when they change, scan again.
    const names = [...index.keys()].join('\n');
    if (names !== namesSeen) cache.clear();
    namesSeen = names;
    const withheld = new Map<string, string>();
    for (const server of servers.values()) {
      for (const tool of server.tools) {
        const key = `${tool.server}\0${JSON.stringify(tool.definition)}`;
        let findings = cache.get(key);
        if (!findings) cache.set(key, (findings = scanTool(tool, index, scanOptions)));
        if (findings.length === 0) continue;
        const high = findings.filter(finding => finding.severity === 'high');
        const hide = options.onHigh === 'hide' && high.length > 0;
        if (!logged.has(key)) {
          logged.add(key);
          logger.warn(
            `scanner: server "${tool.server}" tool "${tool.publicName}": ${findings.map(describe).join('; ')}${hide ? ' — withheld (security.scan.onHigh: hide); see manifold scan, allow it under security.scan.allow' : ''}`,
            { server: tool.server, tool: tool.publicName, findings }
          );
        }
        if (hide && high[0])
          withheld.set(tool.publicName, `the scanner found ${describe(high[0])} (server "${tool.server}"); run manifold scan, or allow it under security.scan.allow (docs/SECURITY.md "Scanner")`);
      }
    }
    for (const upstream of upstreams.values()) {
      const text = upstream.instructions;
      if (!text) continue;
      const key = `${upstream.name}\0instructions\0${text}`;
      if (logged.has(key)) continue;
      logged.add(key);
      const findings = scanServers([{ name: upstream.name, tools: [], instructions: text }], scanOptions);
      if (findings.length > 0) logger.warn(`scanner: server "${upstream.name}" ${instructionsTool}: ${findings.map(describe).join('; ')}`, { server: upstream.name, findings });
    }
    return withheld;
  };
}

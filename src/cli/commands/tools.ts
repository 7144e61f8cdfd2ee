import { toolReports } from '../../console/index.js';
import { countToolListTokens, countToolTokens, tokenEncoding } from '../../discovery/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';
import { type PinAction, pinActions, runToolPins } from './tool-pins.js';

/** `manifold tools`: the merged catalog as a table, or JSON. */
export async function runTools(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action] = parsed.positionals;
  if (action !== undefined) {
    if (!(pinActions as readonly string[]).includes(action)) throw new UsageError(`unknown action "${action}": manifold tools takes ${pinActions.join(', ')} (or nothing: the catalog)`);
    return runToolPins(action as PinAction, parsed, output);
  }
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  try {
    const tools = core.catalog.tools;
    const down = [...core.upstreams.values()].filter(upstream => upstream.state.kind !== 'ready');
    const withTokens = parsed.values.tokens === true;
    if (parsed.values.json) {
      output.out(JSON.stringify(toolReports(core, withTokens), null, 2));
    } else if (withTokens) {
      const rows = tools.map(tool => [tool.name, tool.upstream, String(countToolTokens(tool.definition)), oneLine(tool.definition.description, 60)]);
      output.out(formatTable(['TOOL', 'SERVER', 'TOKENS', 'DESCRIPTION'], rows));
      output.out(`\ntools/list of ${tools.length} tools: ${countToolListTokens(tools.map(tool => tool.definition))} tokens (${tokenEncoding}, as JSON)`);
    } else {
      const rows = tools.map(tool => [tool.name, tool.upstream, oneLine(tool.definition.description, 80)]);
      output.out(formatTable(['TOOL', 'SERVER', 'DESCRIPTION'], rows));
      const local = tools.filter(tool => tool.local).length;
      const served = `${tools.length - local} tools from ${core.upstreams.size - down.length} of ${core.upstreams.size} servers`;
      const summary = local > 0 ? `${tools.length} tools: ${served}, ${local} served by the gateway (workflows)` : served;
      const held = core.catalog.heldTools;
      if (held.length > 0) output.out(`\n${held.length} tool(s) held back by pinning (${held.map(entry => `${entry.tool.name}: ${entry.hold.state}`).join(', ')}): manifold tools pins`);
      output.out(`\n${summary}${down.length > 0 ? `; down: ${down.map(upstream => upstream.name).join(', ')} (see manifold doctor)` : ''}`);
    }
    // Every server down is a failure (a script must not read an empty catalog as success); some down is not.
    if (core.upstreams.size > 0 && down.length === core.upstreams.size) {
      output.err(`manifold tools: every server is down: ${down.map(upstream => upstream.name).join(', ')} (see manifold doctor)`);
      return 1;
    }
    return 0;
  } finally {
    await core.close();
  }
}

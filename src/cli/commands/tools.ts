import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';

/** `manifold tools`: the merged catalog as a table, or JSON. */
export async function runTools(parsed: ParsedCommand, output: Output): Promise<number> {
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  try {
    const tools = core.catalog.tools;
    if (parsed.values.json) {
      output.out(
        JSON.stringify(
          tools.map(tool => ({ server: tool.upstream, originalName: tool.originalName, ...tool.definition })),
          null,
          2
        )
      );
    } else {
      const rows = tools.map(tool => [tool.name, tool.upstream, oneLine(tool.definition.description, 80)]);
      output.out(formatTable(['TOOL', 'SERVER', 'DESCRIPTION'], rows));
      const down = [...core.upstreams.values()].filter(upstream => upstream.state.kind !== 'ready');
      const summary = `${tools.length} tools from ${core.upstreams.size - down.length} of ${core.upstreams.size} servers`;
      output.out(`\n${summary}${down.length > 0 ? `; down: ${down.map(upstream => upstream.name).join(', ')} (see manifold doctor)` : ''}`);
    }
    return 0;
  } finally {
    await core.close();
  }
}

import { searchReport } from '../../console/index.js';
import { viewOf } from '../../gateway/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { checkViewName, parseWholeNumber, UsageError } from '../usage-error.js';

/** `manifold search "<query>"`: the ranking retrieve_tools would return, over a view (default: every tool). */
export async function runSearch(parsed: ParsedCommand, output: Output): Promise<number> {
  const query = parsed.positionals.join(' ').trim();
  if (query === '') throw new UsageError('give a query: manifold search "create an issue" [--view v] [--limit n]');
  const limit = parseWholeNumber('limit', stringOption(parsed, 'limit'), 10, 1);
  const server = stringOption(parsed, 'server');
  const viewName = stringOption(parsed, 'view') ?? 'default';
  const { core } = await openGateway(commonOptions(parsed), 'warn', {
    check: config => {
      checkViewName(config, viewName);
      if (server !== undefined && server !== 'workflows' && !Object.hasOwn(config.servers, server)) {
        throw new UsageError(`--server: no server "${server}" in the config; servers: ${Object.keys(config.servers).join(', ') || '(none)'}`);
      }
    }
  });
  try {
    const view = viewOf(core, viewName);
    if (parsed.values.json) {
      output.out(JSON.stringify(await searchReport(core, viewName, query, { limit, server }), null, 2));
      return 0;
    }
    const matches = await view.find(query, { limit, ...(server !== undefined ? { server } : {}) });
    if (matches.length === 0) {
      output.out(`no tool of ${view.tools().length} in view "${view.name}" matched "${query}"`);
      return 0;
    }
    const rows = matches.map((match, index) => [
      String(index + 1),
      match.score.toPrecision(4),
      match.view.name,
      oneLine(match.view.definition.description, 70)
    ]);
    output.out(formatTable(['#', 'SCORE', 'TOOL', 'DESCRIPTION'], rows));
    return 0;
  } finally {
    await core.close();
  }
}

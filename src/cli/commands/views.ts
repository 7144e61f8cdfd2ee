import { viewsReport } from '../../console/index.js';
import { tokenEncoding } from '../../discovery/index.js';
import { openGateway } from '../open-gateway.js';
import { formatTable, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';

/** `manifold views`: each view's endpoint, discovery mode, tools, and the tokens its tools/list costs. */
export async function runViews(parsed: ParsedCommand, output: Output): Promise<number> {
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  try {
    const report = viewsReport(core);
    const reports = report.views;
    if (parsed.values.json) {
      output.out(JSON.stringify(report, null, 2));
      return 0;
    }
    const rows = reports.map(report => [
      report.name,
      report.endpoint,
      report.discovery,
      String(report.tools),
      String(report.listed),
      String(report.listTokens),
      report.discovery === 'all' ? '' : `${report.allTokens} if all listed`
    ]);
    output.out(formatTable(['VIEW', 'ENDPOINT', 'DISCOVERY', 'TOOLS', 'LISTED', 'LIST TOKENS', ''], rows));
    output.out(`\ntokens: ${tokenEncoding} (gpt-tokenizer), of the tools/list result as JSON`);
    return 0;
  } finally {
    await core.close();
  }
}

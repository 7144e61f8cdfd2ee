import { ManifoldError } from '../../core/errors.js';
import { UsageError } from '../usage-error.js';
import { runIdMetaKey } from '../../workflows/index.js';
import { cliDownstream } from '../cli-downstream.js';
import { openGateway } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { parseToolArguments, renderResult } from './call.js';

/** `manifold run <workflow>`: runs a workflow through the pipeline, with live progress on stderr. */
export async function runRun(parsed: ParsedCommand, output: Output): Promise<number> {
  const [name, ...pairs] = parsed.positionals;
  if (!name) throw new UsageError('name the workflow to run: manifold run <workflow> [--args <json>] [key=value ...] (see manifold workflows list)');
  const args = parseToolArguments(stringOption(parsed, 'args'), pairs);
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  const controller = new AbortController();
  const onSignal = () => {
    output.err('cancelling the run…');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  const started = Date.now();
  try {
    if (!core.workflows.workflows.has(name) && !core.catalog.findTool(name)?.local) {
      throw new ManifoldError('TOOL_NOT_FOUND', `no workflow "${name}" (see manifold workflows list)`);
    }
    const result = await core.pipeline({
      method: 'tools/call',
      params: { name, arguments: args },
      downstream: cliDownstream(controller.signal, output, ({ progress, total, message }) => {
        const done = Number.isInteger(progress) ? String(progress) : progress.toFixed(2);
        output.err(`[${done}/${total ?? 0}] ${message ?? ''}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      })
    });
    if (parsed.values.json) output.out(JSON.stringify(result, null, 2));
    else output.out(renderResult(result));
    const runId = (result._meta as Record<string, unknown> | undefined)?.[runIdMetaKey];
    if (typeof runId === 'string') {
      // The store opens on the first run; if it could not (logged above), or keeps nothing, do not point at it.
      const recorded = core.config.store.path !== ':memory:' && core.workflows.store !== undefined;
      const where = recorded ? `manifold runs ${runId}` : 'not recorded: the run store is not available';
      const status = (result.structuredContent as { status?: unknown } | undefined)?.status;
      const ended = result.isError !== true ? 'completed' : status === 'cancelled' || status === 'interrupted' ? status : 'failed';
      output.err(`run ${runId} ${ended} in ${((Date.now() - started) / 1000).toFixed(2)} s (${where})`);
    }
    return result.isError === true ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    await core.close();
  }
}

import { ManifoldError } from '../../core/errors.js';
import { UsageError } from '../usage-error.js';
import { cliDownstream } from '../cli-downstream.js';
import { openGateway } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { renderResult } from './call.js';

/**
 * `manifold runs resume <id> [--force]`: continues an interrupted, failed or cancelled run from its journal, in
 * this process (with the config's servers), and prints its result.
 */
export async function runRunsResume(parsed: ParsedCommand, output: Output): Promise<number> {
  const [, id] = parsed.positionals;
  if (!id) throw new UsageError('name the run to resume: manifold runs resume <run-id> [--force] (manifold runs lists the recent ones)');
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  const controller = new AbortController();
  const started = Date.now();
  try {
    const resumed = core.workflows.runs.resume(id, { force: parsed.values.force === true }, cliDownstream(controller.signal, output, () => {}));
    if (!resumed.done) {
      if (parsed.values.json) output.out(JSON.stringify(resumed.refused, null, 2));
      else output.out(renderResult(resumed.refused));
      return 1;
    }
    const onSignal = () => {
      output.err('cancelling the run…');
      void core.workflows.runs.cancel(id).catch(() => {});
    };
    process.once('SIGINT', onSignal);
    try {
      const result = await resumed.done;
      if (parsed.values.json) output.out(JSON.stringify(result, null, 2));
      else output.out(renderResult(result));
      const status = core.workflows.runs.status(id)?.status ?? (result.isError === true ? 'failed' : 'completed');
      output.err(`run ${id} ${status} in ${((Date.now() - started) / 1000).toFixed(2)} s (manifold runs ${id} shows its steps)`);
      return result.isError === true ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
    }
  } catch (error) {
    if (error instanceof ManifoldError && error.code === 'INVALID_PARAMS') throw new ManifoldError('INVALID_PARAMS', `manifold runs resume: ${error.message}`, { cause: error });
    throw error;
  } finally {
    await core.close();
  }
}

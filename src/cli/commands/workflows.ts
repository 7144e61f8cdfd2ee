import { UsageError } from '../usage-error.js';
import { checkWorkflowDefinitions, formatProblem } from '../../workflows/index.js';
import { loadCliConfig, openGateway } from '../open-gateway.js';
import { formatTable, oneLine, type Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { createLogger } from '../../telemetry/logger.js';

/** `manifold workflows check|list`. */
export async function runWorkflows(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action = 'check'] = parsed.positionals;
  if (action === 'check') return check(parsed, output);
  if (action === 'list') return list(parsed, output);
  throw new UsageError(`unknown action "${action}": use manifold workflows check | list`);
}

/**
 * Checks every workflow: first the definitions alone (expressions, step references, cycles), then, with
 * every server connected, the tools they call (exist, required arguments set, retries possible).
 */
async function check(parsed: ParsedCommand, output: Output): Promise<number> {
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const definitions = loaded.config.workflows;
  const names = Object.keys(definitions);
  if (names.length === 0) {
    output.out(`no workflows in ${loaded.path} (nor in the folders of its workflowDirs)`);
    return 0;
  }
  const { problems } = checkWorkflowDefinitions(definitions, {
    models: Object.keys(loaded.config.models),
    agents: Object.keys(loaded.config.agents),
    servers: Object.keys(loaded.config.servers)
  });
  if (problems.some(problem => problem.severity === 'error')) {
    for (const problem of problems) output.out(formatProblem(problem, definitions));
    output.err(`${problems.filter(problem => problem.severity === 'error').length} error(s) in the workflow definitions; the gateway will not start with them`);
    return 1;
  }
  // Errors only: the gateway's own warnings while servers connect ("will fail when run: …") repeat, as the
  // catalog grows, what this command prints once below, with every server's problems.
  const { core } = await openGateway(options, 'error');
  try {
    const found = [...problems, ...core.workflows.check()];
    for (const problem of found) output.out(formatProblem(problem, definitions));
    const errors = found.filter(problem => problem.severity === 'error').length;
    const warnings = found.length - errors;
    const summary = `${names.length} workflow(s) checked: ${errors} error(s), ${warnings} warning(s)`;
    if (errors > 0) output.err(summary);
    else output.out(found.length === 0 ? `${summary}: all good` : summary);
    return errors > 0 ? 1 : 0;
  } finally {
    await core.close();
  }
}

/** The workflows as tools: name, steps, derived annotations, description. */
async function list(parsed: ParsedCommand, output: Output): Promise<number> {
  const { core } = await openGateway(commonOptions(parsed), 'warn');
  try {
    const rows = [...core.workflows.workflows.keys()].map(name => {
      const tool = core.catalog.findTool(name)?.definition;
      const annotations = tool?.annotations;
      const flags = [annotations?.readOnlyHint ? 'read-only' : '', annotations?.destructiveHint ? 'destructive' : '', annotations?.idempotentHint ? 'idempotent' : '']
        .filter(Boolean)
        .join(',');
      return [name, String(core.workflows.workflows.get(name)?.steps.length ?? 0), flags || '-', oneLine(tool?.description, 70)];
    });
    if (parsed.values.json) output.out(JSON.stringify([...core.workflows.workflows.keys()].map(name => core.catalog.findTool(name)?.definition), null, 2));
    else output.out(rows.length === 0 ? 'no workflows' : formatTable(['workflow', 'steps', 'annotations', 'description'], rows));
    return 0;
  } finally {
    await core.close();
  }
}

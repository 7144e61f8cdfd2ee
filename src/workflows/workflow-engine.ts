import { principalOf } from '../core/principal.js';
import { type AccessPolicy, visibleTool } from '../rules/index.js';
import { dirname } from 'node:path';

import type { Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';

import type { Catalog, LocalTool } from '../catalog/index.js';
import { formatIssues, type WorkflowDefinition, workflowSchema, type WorkflowStep } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { GatewayRequest, GatewayResult, Handler } from '../core/pipeline.js';
import { type RunStore, runLinkOf } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tracing } from '../telemetry/tracing/index.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { checkModelSteps, type ModelNames } from './check-model-steps.js';
import { checkWorkflowTools, deriveAnnotations } from './check-workflow-tools.js';
import { callsOf, compileWorkflow, type CompiledWorkflow, findCycles, type WorkflowProblem } from './compile-workflow.js';
import { DurableRuns, type PreparedRun } from './durable-runs.js';
import { executeWorkflow, type ExecuteWorkflowOptions } from './execute-workflow.js';
import type { WorkflowModels } from './model-steps.js';
import { runToolDefinitions } from './run-tools.js';
import { watchWorkflowFiles } from './watch-workflow-files.js';
import { withDefaults } from './with-defaults.js';

/** The name of the ad-hoc workflow tool. */
export const runWorkflowToolName = 'run_workflow';
/** The catalog source under which workflow tools are registered. */
export const workflowSource = 'workflows';

export interface WorkflowEngineOptions {
  workflows: Readonly<Record<string, WorkflowDefinition>>;
  /** Serve `run_workflow`. */
  adHoc: boolean;
  /** Serve the run tools (runs_start, runs_status, runs_cancel, runs_resume). */
  runTools?: boolean;
  catalog: Catalog;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  /** The gateway pipeline; every step goes through it. */
  pipeline: Handler;
  logger: Logger;
  /** Spans of workflow steps (docs/OBSERVABILITY.md "Traces"); off when absent. */
  tracing?: Tracing | undefined;
  /** Opens the run store on first use; without it runs are not recorded. */
  openStore?: () => RunStore;
  /** The models and agents of model steps (`agent`, `aggregate`, `evaluate`); without them such steps are config errors. */
  models?: WorkflowModels;
  /** Whether the run store exists already (at start, runs a dead process left `running` are marked then). */
  storeExists?: () => boolean;
  /** Config `rules:`: run_workflow checks a definition against the tools its caller may see; the run tools hide others' runs. */
  access?: AccessPolicy | undefined;
}

export type Validate = (input: unknown) => { valid: boolean; errorMessage?: string | undefined };

const validators = new AjvJsonSchemaValidator();

/**
 * Validators of `run_workflow` input schemas, by their JSON text. Ajv caches a compiled schema per schema
 * object, and each call brings a new object: without this, every ad-hoc run would compile (and keep) one more.
 */
const adHocValidators = new Map<string, Validate>();
const maxAdHocValidators = 256;

function adHocValidator(schema: unknown): Validate {
  const key = JSON.stringify(schema ?? null);
  let validate = adHocValidators.get(key);
  if (!validate) {
    validate = validators.getValidator(schema as Parameters<typeof validators.getValidator>[0]);
    if (adHocValidators.size >= maxAdHocValidators) adHocValidators.delete(adHocValidators.keys().next().value as string);
    adHocValidators.set(key, validate);
  }
  return validate;
}

/**
 * Compiles and checks workflow definitions without the catalog. Errors here are config errors: the gateway
 * does not start with them.
 */
export function checkWorkflowDefinitions(
  workflows: Readonly<Record<string, WorkflowDefinition>>,
  /** The configured models, agents and servers model steps may name; unchecked when absent. */
  known?: ModelNames
): {
  compiled: Map<string, CompiledWorkflow>;
  problems: WorkflowProblem[];
} {
  const problems: WorkflowProblem[] = [];
  const compiled = new Map<string, CompiledWorkflow>();
  for (const [name, definition] of Object.entries(workflows)) {
    const workflow = compileWorkflow(name, definition, problems);
    compiled.set(name, workflow);
    if (known) checkModelSteps(workflow, known, problems);
    for (const [key, schema] of [
      ['input', definition.input],
      ['outputSchema', definition.outputSchema]
    ] as const) {
      if (schema === undefined) continue;
      try {
        validators.getValidator(schema);
      } catch (error) {
        problems.push({ workflow: name, path: `workflows.${name}.${key}`, message: `not a valid JSON Schema: ${errorMessage(error)}`, severity: 'error' });
      }
    }
  }
  for (const cycle of findCycles(compiled)) {
    problems.push({
      workflow: cycle[0] ?? '',
      path: `workflows.${cycle[0] ?? ''}`,
      message: `workflows call each other in a cycle: ${cycle.join(' → ')} (a run would never end)`,
      severity: 'error'
    });
  }
  return { compiled, problems };
}

/** One line per problem: `path: message`, with the file for workflows defined in workflows/*.yaml. */
export function formatProblem(problem: WorkflowProblem, definitions?: Readonly<Record<string, WorkflowDefinition>>): string {
  const source = definitions?.[problem.workflow]?.source;
  const tag = problem.severity === 'warning' ? 'warning: ' : '';
  return `${tag}${problem.path}: ${problem.message}${source ? ` (in ${source})` : ''}`;
}

/**
 * Serves workflows as catalog tools. Checks them at construction (throws CONFIG_INVALID on errors), and
 * against the catalog whenever it changes (upstreams connect asynchronously): derived annotations follow the
 * steps' tools, and problems (an unknown tool, a `with` that misses a required argument) are logged.
 */
export class WorkflowEngine implements Disposable {
  private compiled: ReadonlyMap<string, CompiledWorkflow>;
  private definitions: Readonly<Record<string, WorkflowDefinition>>;
  private readonly options: WorkflowEngineOptions;
  private readonly logger: Logger;
  private readonly inputValidators = new Map<string, Validate>();
  private readonly outputValidators = new Map<string, Validate>();
  private runStore: RunStore | undefined;
  private storeFailed = false;
  private lastDefinitions = '';
  private readonly reported = new Set<string>();
  private readonly unsubscribers: Array<() => void> = [];
  private watcher: { close(): void } | undefined;
  /** Runs in the background, polled, cancelled and resumed (runs_* tools, manifold runs resume). */
  readonly runs: DurableRuns;
  /** The runs this engine marked interrupted at start (a gateway before it died running them). */
  interruptedAtStart: string[] = [];

  constructor(options: WorkflowEngineOptions) {
    this.options = options;
    this.logger = options.logger.child('workflows');
    this.definitions = options.workflows;
    this.compiled = this.compile(options.workflows);
    this.runs = new DurableRuns({
      store: () => this.store,
      catalog: options.catalog,
      logger: this.logger,
      prepare: (name, given) => this.prepare(name, given),
      prepareStored: (name, definitionJson) => this.prepareStored(name, definitionJson),
      execute: (prepared, request, extra) => this.execute(prepared.workflow, prepared.runName, prepared.args, request, prepared.validateOutput, extra)
    });
  }

  /** What model steps may name (none without models: a model step is then a config error). */
  private modelNames(): ModelNames {
    const models = this.options.models;
    return { models: Object.keys(models?.models ?? {}), agents: Object.keys(models?.agents ?? {}), servers: models?.servers ?? [] };
  }

  /** The declared workflows, compiled. */
  get workflows(): ReadonlyMap<string, CompiledWorkflow> {
    return this.compiled;
  }

  /** Compiles and checks definitions and sets up their validators; throws CONFIG_INVALID on errors. */
  private compile(definitions: Readonly<Record<string, WorkflowDefinition>>): Map<string, CompiledWorkflow> {
    const { compiled, problems } = checkWorkflowDefinitions(definitions, this.modelNames());
    const errors = problems.filter(problem => problem.severity === 'error');
    if (errors.length > 0) {
      const lines = errors.map(problem => formatProblem(problem, definitions));
      throw new ManifoldError('CONFIG_INVALID', `workflows have ${lines.length === 1 ? 'an error' : `${lines.length} errors`}:\n${lines.join('\n')}`, {
        data: { issues: lines }
      });
    }
    this.inputValidators.clear();
    this.outputValidators.clear();
    for (const [name, workflow] of compiled) {
      this.inputValidators.set(name, validators.getValidator(workflow.definition.input));
      if (workflow.definition.outputSchema) this.outputValidators.set(name, validators.getValidator(workflow.definition.outputSchema));
    }
    return compiled;
  }

  /**
   * Replaces the declared workflows (a changed workflow file): checked as at start; with an error nothing
   * changes (throws CONFIG_INVALID). Runs in flight finish with the definition they started with.
   */
  reload(definitions: Readonly<Record<string, WorkflowDefinition>>): { added: string[]; changed: string[]; removed: string[] } {
    const before = this.definitions;
    this.compiled = this.compile(definitions);
    this.definitions = definitions;
    const same = (name: string) => JSON.stringify(before[name]) === JSON.stringify(definitions[name]);
    const diff = {
      added: Object.keys(definitions).filter(name => !(name in before)),
      changed: Object.keys(definitions).filter(name => name in before && !same(name)),
      removed: Object.keys(before).filter(name => !(name in definitions))
    };
    this.reported.clear();
    this.refresh();
    return diff;
  }

  /**
   * Reloads the workflows when the files they come from change (`serve`): the config file and the folders of
   * workflow files (`workflowDirs`, absolute). `load` reads the config again and returns its workflows. A change
   * that does not load is logged, and the workflows stay as they were.
   */
  watch(configPath: string, workflowDirs: readonly string[], load: () => Readonly<Record<string, WorkflowDefinition>>): void {
    this.watcher?.close();
    const fromFiles = Object.values(this.definitions).flatMap(definition => (definition.source ? [dirname(definition.source)] : []));
    const folders = [...new Set([...fromFiles, ...workflowDirs])];
    const watcher = watchWorkflowFiles(configPath, folders, () => {
      try {
        const diff = this.reload(load());
        const parts = (['added', 'changed', 'removed'] as const).filter(key => diff[key].length > 0).map(key => `${key} ${diff[key].join(', ')}`);
        if (parts.length > 0) this.logger.info(`workflows reloaded: ${parts.join('; ')} (other config changes take effect on restart)`);
      } catch (error) {
        this.logger.error(`the config or a workflow file changed, but the workflows do not load; the gateway keeps the workflows it had (fix the file and save it again):\n${errorMessage(error)}`);
      }
    });
    this.watcher = watcher;
    this.logger.info(`reloading workflows when these change: ${watcher.paths.join(', ')}`);
  }

  /** Registers the tools and follows catalog changes; marks runs left `running` by a dead process `interrupted`. */
  start(): void {
    if (this.options.storeExists?.() ?? this.options.openStore !== undefined) this.interruptedAtStart = this.runs.markInterrupted();
    if (this.workflows.size > 0) {
      const names = [...this.workflows.keys()];
      this.logger.info(`${names.length} workflow(s) loaded (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`);
    }
    this.refresh();
    this.unsubscribers.push(
      this.options.catalog.onChange(change => {
        if (change.upstream !== workflowSource && change.kinds.includes('tools')) this.refresh();
      })
    );
    // A server's tools may be listed before it counts as ready: check again when it gets there.
    for (const upstream of this.options.upstreams.values()) {
      this.unsubscribers.push(
        upstream.onEvent(event => {
          if (event.type === 'state' && event.state.kind === 'ready') this.refresh();
        })
      );
    }
  }

  /** The catalog checks of every workflow now (for `manifold workflows check`, after upstreams connected). */
  check(): WorkflowProblem[] {
    const lookup = { catalog: this.options.catalog, upstreams: this.options.upstreams, workflows: this.workflows };
    return [...this.workflows.values()].flatMap(workflow => checkWorkflowTools(workflow, lookup));
  }

  /** The run store, opened on first use; undefined if it cannot be opened (runs then go unrecorded). */
  get store(): RunStore | undefined {
    if (this.runStore || this.storeFailed || !this.options.openStore) return this.runStore;
    try {
      this.runStore = this.options.openStore();
    } catch (error) {
      this.storeFailed = true;
      this.logger.warn(`runs will not be recorded: ${errorMessage(error)}`);
    }
    return this.runStore;
  }

  /**
   * Runs a declared workflow for a request (the catalog tool's handler). A call linked to a run id (a router's
   * workflow route, see RunLink) runs under that id, or, when its caller is resumed, goes on with that run.
   */
  async run(name: string, request: GatewayRequest): Promise<GatewayResult> {
    const link = runLinkOf(request.downstream, name);
    const continued = link ? this.runs.continueLinked(link, request.downstream) : undefined;
    if (continued) return continued;
    const { prepared, error } = this.prepare(name, request.params.arguments ?? {});
    if (!prepared) return error;
    return this.execute(prepared.workflow, name, prepared.args, request, prepared.validateOutput, link ? { runId: link.runId } : {});
  }

  /** A declared workflow and its checked arguments, ready to run; a tool error result when they are invalid. */
  private prepare(name: string, given: unknown): { prepared: PreparedRun; error?: undefined } | { prepared?: undefined; error: GatewayResult } {
    const workflow = this.workflows.get(name);
    if (!workflow) throw new ManifoldError('TOOL_NOT_FOUND', `unknown workflow "${name}"`);
    // Defaults first: an agent that read `default: 3` leaves the argument out, and a required one with a
    // default is then set.
    const args = isArgumentsObject(given) ? withDefaults(workflow.definition.input, given) : given;
    const invalid = this.validateArguments(name, args, this.inputValidators.get(name));
    if (invalid) return { error: invalid };
    return { prepared: { workflow, runName: name, args: args as Record<string, unknown>, validateOutput: this.outputValidators.get(name) } };
  }

  /** A run's recorded definition, compiled again to resume it (arguments are set by the caller). */
  private prepareStored(runName: string, definitionJson: string): Omit<PreparedRun, 'args'> | string {
    let definition: WorkflowDefinition;
    try {
      definition = JSON.parse(definitionJson) as WorkflowDefinition;
    } catch (error) {
      return `its recorded definition is not JSON (${errorMessage(error)})`;
    }
    const problems: WorkflowProblem[] = [];
    const workflow = compileWorkflow(runName === '(ad hoc)' ? runWorkflowToolName : runName, definition, problems);
    const errors = problems.filter(problem => problem.severity === 'error');
    if (errors.length > 0) return `its recorded definition does not compile: ${errors.map(problem => formatProblem(problem)).join('; ')}`;
    let validateOutput: Validate | undefined;
    try {
      validateOutput = definition.outputSchema ? adHocValidator(definition.outputSchema) : undefined;
    } catch (error) {
      return `its recorded outputSchema is not a valid JSON Schema (${errorMessage(error)})`;
    }
    return { workflow, runName, ...(validateOutput ? { validateOutput } : {}) };
  }

  private execute(
    workflow: CompiledWorkflow,
    runName: string,
    args: Record<string, unknown>,
    request: GatewayRequest,
    validateOutput?: Validate,
    extra: Partial<ExecuteWorkflowOptions> = {}
  ): Promise<GatewayResult> {
    const { pipeline, catalog, upstreams, models } = this.options;
    const checkOutput = validateOutput
      ? (structuredContent: unknown) => {
          const verdict = validateOutput(structuredContent);
          return verdict.valid ? undefined : (readableSchemaErrors(verdict.errorMessage, 'the output') ?? 'invalid');
        }
      : undefined;
    return executeWorkflow({
      workflow,
      runName,
      args,
      request,
      pipeline,
      catalog,
      upstreams,
      store: this.store,
      logger: this.logger,
      tracing: this.options.tracing,
      checkOutput,
      definitionJson: JSON.stringify(workflow.definition),
      owner: DurableRuns.owner,
      models,
      ...extra
    });
  }

  /** `run_workflow`: parses, checks and runs a definition given as an argument. */
  async runAdHoc(request: GatewayRequest): Promise<GatewayResult> {
    const params = (request.params.arguments ?? {}) as { workflow?: unknown; arguments?: unknown };
    const parsed = workflowSchema.safeParse(params.workflow);
    if (!parsed.success) return definitionError(formatIssues(parsed.error.issues, params.workflow, ['workflow']));
    const problems: WorkflowProblem[] = [];
    // A caller served a view names tools as its view does, and may call only those.
    const scope = request.downstream.toolScope;
    const definition = scope ? resolveToolNames(parsed.data, scope, problems) : parsed.data;
    const workflow = compileWorkflow(runWorkflowToolName, definition, problems, 'workflow');
    checkModelSteps(workflow, this.modelNames(), problems);
    if (callsOf(workflow.steps).some(call => call.step.call === runWorkflowToolName)) {
      problems.push({ workflow: runWorkflowToolName, path: 'workflow', message: `an ad-hoc workflow may not call ${runWorkflowToolName}`, severity: 'error' });
    }
    const visible = this.options.access?.active ? visibleTool(this.options.access, principalOf(request.downstream)) : undefined;
    problems.push(
      ...checkWorkflowTools(workflow, {
        catalog: this.options.catalog,
        upstreams: this.options.upstreams,
        workflows: this.workflows,
        ...(visible ? { visible } : {})
      })
    );
    const errors = problems.filter(problem => problem.severity === 'error');
    if (errors.length > 0) return definitionError(errors.map(problem => formatProblem(problem)));
    let validate: Validate;
    try {
      validate = adHocValidator(parsed.data.input);
    } catch (error) {
      return definitionError([`workflow.input: not a valid JSON Schema: ${errorMessage(error)}`]);
    }
    const given = params.arguments === undefined ? {} : params.arguments;
    const args = isArgumentsObject(given) ? withDefaults(parsed.data.input, given) : given;
    const invalid = this.validateArguments(runWorkflowToolName, args, validate);
    if (invalid) return invalid;
    let validateOutput: Validate | undefined;
    if (parsed.data.outputSchema) {
      try {
        validateOutput = adHocValidator(parsed.data.outputSchema);
      } catch (error) {
        return definitionError([`workflow.outputSchema: not a valid JSON Schema: ${errorMessage(error)}`]);
      }
    }
    return this.execute(workflow, '(ad hoc)', args as Record<string, unknown>, request, validateOutput);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.runs.close();
    this.runStore?.close();
    this.runStore = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private validateArguments(name: string, args: unknown, validate: Validate | undefined): GatewayResult | undefined {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      return toolError(`Invalid arguments for workflow "${name}": expected an object of arguments.`);
    }
    const verdict = validate?.(args);
    if (verdict && !verdict.valid) {
      return toolError(`Invalid arguments for workflow "${name}": ${readableSchemaErrors(verdict.errorMessage) ?? 'they do not match its input schema'}. Fix them and call again.`);
    }
    return undefined;
  }

  /** Recomputes the tool definitions (annotations follow the catalog) and reports new catalog problems. */
  private refresh(): void {
    // Workflows that call workflows take their annotations from the catalog: settle in a few rounds.
    for (let round = 0; round < 4; round++) {
      const tools = this.localTools();
      const key = JSON.stringify(tools.map(tool => tool.definition));
      if (key === this.lastDefinitions) break;
      this.lastDefinitions = key;
      this.options.catalog.setLocalTools(workflowSource, tools);
    }
    for (const problem of this.check()) {
      const line = formatProblem(problem, this.definitions);
      if (problem.severity !== 'error' || this.reported.has(line)) continue;
      this.reported.add(line);
      this.logger.warn(`workflow "${problem.workflow}" will fail when run: ${line}`);
    }
  }

  private localTools(): LocalTool[] {
    const tools: LocalTool[] = [];
    for (const [name, workflow] of this.workflows) {
      const definition = workflow.definition;
      const tool: Tool = {
        name,
        ...(definition.title !== undefined ? { title: definition.title } : {}),
        description: definition.description ?? `Workflow: ${describeSteps(workflow)}.`,
        inputSchema: definition.input as Tool['inputSchema'],
        ...(definition.outputSchema ? { outputSchema: definition.outputSchema } : {}),
        annotations: deriveAnnotations(workflow, { catalog: this.options.catalog })
      };
      tools.push({ definition: tool, call: request => this.run(name, request), ...(definition.tags ? { tags: definition.tags } : {}) });
    }
    if (this.options.adHoc) {
      tools.push({
        definition: {
          name: runWorkflowToolName,
          title: 'Run a workflow',
          description:
            'Runs a workflow given as its argument, inside the gateway: steps that call tools (by their names in this tool list) in order, ' +
            'in parallel, over a list (map) or by rule (switch), passing results between steps with JSONata expressions in {{ }}. ' +
            'One call instead of a round trip per step. Example: {"workflow": {"steps": [{"id": "a", "call": "<tool>", "with": {"x": "{{ input.x }}"}}, ' +
            '{"id": "b", "call": "<tool>", "with": {"y": "{{ steps.a.result.field }}"}}]}, "arguments": {"x": 1}}. ' +
            'A failed step returns an error naming it, with the finished steps\' results in structuredContent.partial_results.',
          inputSchema: {
            type: 'object',
            properties: {
              workflow: {
                type: 'object',
                description:
                  'The definition: steps (each with id and one of call, parallel, map, switch), and optionally input (JSON Schema), output, timeout, concurrency, onError. ' +
                  'A call may have failWhen (a condition over its result, e.g. "result.error", that fails it); any step may have let (named values, read as vars.<name>).'
              },
              arguments: { type: 'object', description: 'The workflow\'s input, read as {{ input.<name> }}.' }
            },
            required: ['workflow']
          },
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }
        },
        call: request => this.runAdHoc(request),
        tags: ['workflow', 'compose', 'chain']
      });
    }
    // Long runs started and polled, and resumed after a crash (gateway.runTools).
    if (this.options.runTools === true)
      tools.push(...runToolDefinitions(this.runs, this.options.access ? { policy: this.options.access, catalog: this.options.catalog } : undefined));
    return tools;
  }
}

/** The definition with every call's tool renamed from the caller's view names to catalog names. */
function resolveToolNames(definition: WorkflowDefinition, scope: (name: string) => string | undefined, problems: WorkflowProblem[]): WorkflowDefinition {
  const resolveStep = (step: WorkflowStep, path: string): WorkflowStep => {
    const fallback = step.fallback ? { fallback: resolveStep(step.fallback, `${path}.fallback`) } : {};
    switch (step.kind) {
      case 'call': {
        const target = step.call === runWorkflowToolName ? step.call : scope(step.call);
        if (target === undefined) {
          problems.push({ workflow: runWorkflowToolName, path: `${path}.call`, message: `there is no tool "${step.call}" in this view (use the names of its tools/list)`, severity: 'error' });
        }
        return { ...step, ...fallback, call: target ?? step.call };
      }
      case 'parallel':
        return { ...step, ...fallback, parallel: Object.fromEntries(Object.entries(step.parallel).map(([name, branch]) => [name, resolveStep(branch, `${path}.parallel.${name}`)])) };
      case 'map':
        return { ...step, ...fallback, do: resolveStep(step.do, `${path}.do`) };
      case 'switch':
        return {
          ...step,
          ...fallback,
          switch: step.switch.map((rule, index) => ({ ...rule, do: resolveStep(rule.do, `${path}.switch.${index}.do`) })),
          ...(step.default ? { default: resolveStep(step.default, `${path}.default`) } : {})
        };
      case 'agent':
      case 'evaluate':
        return { ...step, ...fallback };
    }
  };
  return { ...definition, steps: definition.steps.map((step, index) => resolveStep(step, `workflow.steps.${index}`)) };
}

function describeSteps(workflow: CompiledWorkflow): string {
  return workflow.steps
    .map(step => {
      switch (step.kind) {
        case 'call':
          return step.step.call;
        case 'parallel':
          return `(${step.branches.map(([name]) => name).join(' | ')})`;
        case 'map':
          return `map ${step.label}`;
        case 'switch':
          return `switch ${step.label}`;
        case 'agent':
          return `agent ${typeof step.step.agent === 'string' ? step.step.agent : step.step.agent.model}`;
        case 'evaluate':
          return `evaluate ${step.label}`;
      }
    })
    .join(' → ');
}

/**
 * Ajv's messages name the value `data` and its parts `data/a/b`: say "the arguments" and "a.b" instead
 * (`data/n must be >= 1` → `"n" must be >= 1`).
 */
export function readableSchemaErrors(message: string | undefined, whole = 'the arguments'): string | undefined {
  return message?.replace(/(^|, )data(\/\S*)?(?= )/g, (_match, separator: string, path: string | undefined) =>
    separator + (path ? `"${path.slice(1).replace(/\//g, '.')}"` : whole)
  );
}

function isArgumentsObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function toolError(text: string, structuredContent?: Record<string, unknown>): GatewayResult {
  return { isError: true, content: [{ type: 'text', text }], ...(structuredContent ? { structuredContent } : {}) };
}

function definitionError(lines: string[]): GatewayResult {
  return toolError(
    `The workflow definition has ${lines.length === 1 ? 'a problem' : `${lines.length} problems`}; nothing was run. Fix ${lines.length === 1 ? 'it' : 'them'} and call again:\n${lines.join('\n')}`,
    { problems: lines }
  );
}

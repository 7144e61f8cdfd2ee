import type { Tool } from '@modelcontextprotocol/client';

import { type Catalog, type CatalogTool, combineAnnotations, nameSeparator, type VisibleTool } from '../catalog/index.js';
import { errorMessage } from '../core/errors.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { modelStepKinds } from './check-model-steps.js';
import { callsOf, type CompiledWorkflow, type WorkflowProblem } from './compile-workflow.js';

export interface ToolLookup {
  catalog: Catalog;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  /** Workflows known by name (their tools may not be in the catalog yet). */
  workflows: ReadonlyMap<string, CompiledWorkflow>;
  /** The caller's rules (run_workflow): a tool it may not see is unknown, in the same words as one that does not exist. */
  visible?: ((tool: VisibleTool) => boolean) | undefined;
}

/**
 * The checks that need the catalog: every called tool exists, a `with` object sets the tool's required
 * arguments, and a retry is possible (the tool is read-only or idempotent, or the step forces it). A tool
 * of a server that is not connected cannot be checked: that is a warning, not an error.
 */
export function checkWorkflowTools(workflow: CompiledWorkflow, lookup: ToolLookup): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const add = (path: string, message: string, severity: WorkflowProblem['severity'] = 'error') => problems.push({ workflow: workflow.name, path, message, severity });
  for (const call of callsOf(workflow.steps)) {
    const name = call.step.call;
    const found = toolDefinition(name, lookup);
    const definition = found && lookup.visible && !lookup.visible(lookup.catalog.findTool(name) as CatalogTool) ? undefined : found;
    if (!definition) {
      const server = serverOf(name, lookup.upstreams);
      const serverVisible = !lookup.visible || (server !== undefined && lookup.visible({ name, upstream: server.name, definition: { name, inputSchema: { type: 'object' } } }));
      if (server && serverVisible && server.state.kind !== 'ready') {
        const why = server.state.kind === 'failed' ? `failed: ${server.state.reason}` : server.state.kind;
        add(`${call.path}.call`, `cannot check tool "${name}": server "${server.name}" is not connected (${why})`, 'warning');
        continue;
      }
      let message = `unknown tool "${name}"`;
      try {
        lookup.catalog.getTool(name, lookup.visible);
      } catch (error) {
        message = errorMessage(error);
      }
      add(`${call.path}.call`, message);
      continue;
    }
    const required = requiredArguments(definition);
    const template = call.with;
    if (template === undefined || template.kind === 'object') {
      const given = new Set(template?.kind === 'object' ? template.entries.map(([key]) => key) : []);
      const missing = required.filter(key => !given.has(key));
      const known = knownArguments(definition);
      const unknown = known ? [...given].filter(key => !known.includes(key)) : [];
      if (unknown.length > 0) {
        add(
          `${call.path}.with`,
          `tool "${name}" has no argument ${unknown.map(key => `"${key}"`).join(', ')} (its arguments: ${known!.map(key => `"${key}"`).join(', ') || 'none'})`,
          'warning'
        );
      }
      const optionalOnly = template?.kind === 'object' ? required.filter(key => template.optional?.has(key)) : [];
      if (optionalOnly.length > 0) {
        add(
          `${call.path}.with`,
          `tool "${name}" requires ${optionalOnly.map(key => `"${key}"`).join(', ')}, which "with" sets only when it has a value ("${optionalOnly[0]}?"): the call fails when it has none`,
          'warning'
        );
      }
      if (missing.length > 0) {
        add(
          `${call.path}.with`,
          `tool "${name}" requires ${missing.map(key => `"${key}"`).join(', ')}, which "with" does not set (it sets ${given.size > 0 ? [...given].map(key => `"${key}"`).join(', ') : 'nothing'})`
        );
      }
    } else if (template.kind !== 'expression') {
      add(`${call.path}.with`, `"with" must be an object of arguments or one {{ expression }} that yields one`);
    }
    const retry = call.step.retry;
    if (retry && retry.attempts > 0 && !retry.force && !isRetrySafe(definition)) {
      add(
        `${call.path}.retry`,
        `retry is ignored: tool "${name}" is neither read-only nor idempotent by its annotations (set retry.force: true to retry it anyway)`,
        'warning'
      );
    }
  }
  return problems;
}

/** The definition of a tool by public name, or of a workflow not yet in the catalog. */
export function toolDefinition(name: string, lookup: Pick<ToolLookup, 'catalog'>): Tool | undefined {
  return lookup.catalog.findTool(name)?.definition;
}

/** A tool may be retried when its annotations say a repeat does no harm. */
export function isRetrySafe(tool: Tool | undefined): boolean {
  const annotations = tool?.annotations;
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
}

function requiredArguments(tool: Tool): string[] {
  const required = (tool.inputSchema as { required?: unknown } | undefined)?.required;
  return Array.isArray(required) ? required.filter((key): key is string => typeof key === 'string') : [];
}

/** The argument names a tool's schema lists, or undefined when it does not say (no `properties`). */
function knownArguments(tool: Tool): string[] | undefined {
  const properties = (tool.inputSchema as { properties?: unknown } | undefined)?.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : undefined;
}

/** The server that would serve a tool by its public name, if the name says (or an unprefixed server that is not ready). */
export function serverOf(name: string, upstreams: ReadonlyMap<string, UpstreamConnection>): UpstreamConnection | undefined {
  const index = name.indexOf(nameSeparator);
  if (index > 0) {
    const byPrefix = upstreams.get(name.slice(0, index));
    if (byPrefix) return byPrefix;
  }
  // Unprefixed servers: any that is not ready might serve it.
  return [...upstreams.values()].find(upstream => !upstream.config.prefix && upstream.state.kind !== 'ready');
}

/**
 * A workflow's annotations from its steps: read-only only if every call is; idempotent only if every call
 * is read-only or idempotent; destructive if any call may be; open-world if any call may be. A tool that
 * cannot be found counts as the spec's defaults (not read-only, destructive, open-world). The definition's
 * `annotations:` override them, consistently (combineAnnotations: an override's read-only is not destructive).
 */
export function deriveAnnotations(workflow: CompiledWorkflow, lookup: Pick<ToolLookup, 'catalog'>): NonNullable<Tool['annotations']> {
  const calls = callsOf(workflow.steps);
  const annotationsOf = (name: string) => toolDefinition(name, lookup)?.annotations ?? {};
  const all = calls.map(call => annotationsOf(call.step.call));
  const readOnly = all.every(annotations => annotations.readOnlyHint === true);
  // Model steps: a model's answers vary (not idempotent) and come from outside (open world); an agent picks
  // its tool calls at run time, so nothing is known about them (neither read-only nor safe from side effects).
  const models = modelStepKinds(workflow.steps);
  const agentic = models.has('agent');
  const derived = {
    readOnlyHint: readOnly && !agentic,
    destructiveHint: agentic || (!readOnly && all.some(annotations => annotations.readOnlyHint !== true && annotations.destructiveHint !== false)),
    idempotentHint: models.size === 0 && all.every(annotations => annotations.readOnlyHint === true || annotations.idempotentHint === true),
    openWorldHint: models.size > 0 || all.some(annotations => annotations.openWorldHint !== false)
  };
  return combineAnnotations(derived, workflow.definition.annotations);
}

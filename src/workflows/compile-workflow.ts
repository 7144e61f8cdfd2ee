import type { AgentStep, CallStep, EvaluateStep, MapStep, ParallelStep, SwitchStep, WorkflowDefinition, WorkflowStep } from '../config/index.js';
import {
  type CompiledExpression,
  type CompiledTemplate,
  compileConditionOrList,
  compileTemplate,
  type ExpressionRefs,
  expressionsOf,
  type TemplateOptions,
  type TemplateProblem
} from './template.js';

/** A step's `let`: names and their templates, in order. */
export type CompiledLets = Array<[string, CompiledTemplate]> | undefined;

/** A step with its templates compiled, and where it sits (`steps.2.parallel.a`, for messages). */
export type CompiledStep =
  | {
      kind: 'call';
      path: string;
      label: string;
      step: CallStep;
      with: CompiledTemplate | undefined;
      failWhen: CompiledExpression | undefined;
      fallback: CompiledStep | undefined;
      lets: CompiledLets;
    }
  | { kind: 'parallel'; path: string; label: string; step: ParallelStep; branches: Array<[string, CompiledStep]>; fallback: CompiledStep | undefined; lets: CompiledLets }
  | {
      kind: 'map';
      path: string;
      label: string;
      step: MapStep;
      list: CompiledExpression | undefined;
      each: CompiledStep;
      fallback: CompiledStep | undefined;
      lets: CompiledLets;
    }
  | {
      kind: 'switch';
      path: string;
      label: string;
      step: SwitchStep;
      rules: Array<{ when: CompiledExpression | undefined; then: CompiledStep }>;
      otherwise: CompiledStep | undefined;
      fallback: CompiledStep | undefined;
      lets: CompiledLets;
    }
  | { kind: 'agent'; path: string; label: string; step: AgentStep; task: CompiledTemplate; fallback: CompiledStep | undefined; lets: CompiledLets }
  | { kind: 'evaluate'; path: string; label: string; step: EvaluateStep; task: CompiledTemplate; fallback: CompiledStep | undefined; lets: CompiledLets };

export interface CompiledWorkflow {
  name: string;
  definition: WorkflowDefinition;
  steps: CompiledStep[];
  output: CompiledTemplate | undefined;
}

export interface WorkflowProblem {
  workflow: string;
  /** The definition path: `workflows.triage.steps.1.with.query`. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

interface Context {
  workflow: string;
  /** Top-level step ids that have run before this point. */
  available: readonly string[];
  allIds: readonly string[];
  /** Variables (`let`) set before this point. */
  vars: readonly string[];
  inMap: boolean;
  problems: WorkflowProblem[];
}

/**
 * Compiles a workflow's templates and checks what can be checked without the catalog: expressions parse,
 * `steps.<id>` names a step that runs earlier, `item`/`index` appear only inside a map. Problems are
 * appended to `problems`; the result is usable only if none is an error.
 */
export function compileWorkflow(name: string, definition: WorkflowDefinition, problems: WorkflowProblem[], prefix = `workflows.${name}`): CompiledWorkflow {
  const allIds = definition.steps.map(step => step.id ?? '');
  const steps: CompiledStep[] = [];
  // Variables a top-level step sets are read by the steps after it: where each was set, for messages.
  const varsSet = new Map<string, string>();
  definition.steps.forEach((step, index) => {
    const path = `${prefix}.steps.${index}`;
    const context: Context = { workflow: name, available: allIds.slice(0, index), allIds, vars: [...varsSet.keys()], inMap: false, problems };
    steps.push(compileStep(step, path, step.id ?? String(index), context));
    for (const variable of Object.keys(step.let ?? {})) {
      const earlier = varsSet.get(variable);
      if (earlier !== undefined) problems.push({ workflow: name, path: `${path}.let.${variable}`, message: `variable "${variable}" is already set by ${earlier} (use another name)`, severity: 'error' });
      else varsSet.set(variable, `${path}.let`);
    }
  });
  let output: CompiledTemplate | undefined;
  if (definition.output !== undefined) {
    const context: Context = { workflow: name, available: allIds, allIds, vars: [...varsSet.keys()], inMap: false, problems };
    output = compileChecked(definition.output, `${prefix}.output`, context);
  }
  return { name, definition, steps, output };
}

function compileStep(step: WorkflowStep, path: string, label: string, outer: Context): CompiledStep {
  // The step's own `let` comes first; the step (and its fallback) read what it sets.
  let lets: CompiledLets;
  let context = outer;
  if (step.let) {
    lets = [];
    for (const [variable, template] of Object.entries(step.let)) {
      lets.push([variable, compileChecked(template, `${path}.let.${variable}`, context)]);
      context = { ...context, vars: [...context.vars, variable] };
    }
  }
  const fallback = step.fallback ? compileStep(step.fallback, `${path}.fallback`, `${label}.fallback`, context) : undefined;
  switch (step.kind) {
    case 'call':
      return {
        kind: 'call',
        path,
        label,
        step,
        with: step.with === undefined ? undefined : compileChecked(step.with, `${path}.with`, context, { optionalKeys: true }),
        failWhen: step.failWhen === undefined ? undefined : compileExpressionChecked(step.failWhen, `${path}.failWhen`, context),
        fallback,
        lets
      };
    case 'parallel':
      return {
        kind: 'parallel',
        path,
        label,
        step,
        branches: Object.entries(step.parallel).map(([branch, inner]) => [branch, compileStep(inner, `${path}.parallel.${branch}`, `${label}.${branch}`, context)]),
        fallback,
        lets
      };
    case 'map': {
      const list = compileExpressionChecked(step.map, `${path}.map`, context);
      // `steps.<id>` inside the map's own step may name only earlier steps, as outside; `item` is bound.
      // The short form's call (`call:`/`with:` on the map step itself) is found at the map step's path.
      const each = compileStep(step.do, step.shortForm === true ? path : `${path}.do`, `${label}[]`, { ...context, inMap: true });
      return { kind: 'map', path, label, step, list, each, fallback, lets };
    }
    case 'switch':
      return {
        kind: 'switch',
        path,
        label,
        step,
        rules: step.switch.map((rule, index) => ({
          when: compileExpressionChecked(rule.when, `${path}.switch.${index}.when`, context),
          then: compileStep(rule.do, `${path}.switch.${index}.do`, `${label}.${index}`, context)
        })),
        otherwise: step.default ? compileStep(step.default, `${path}.default`, `${label}.default`, context) : undefined,
        fallback,
        lets
      };
    case 'agent':
      return { kind: 'agent', path, label, step, task: compileChecked(step.task, `${path}.task`, context), fallback, lets };
    case 'evaluate':
      return { kind: 'evaluate', path, label, step, task: compileChecked(step.evaluate.task, `${path}.evaluate.task`, context), fallback, lets };
  }
}

function compileChecked(value: unknown, path: string, context: Context, options?: TemplateOptions): CompiledTemplate {
  const templateProblems: TemplateProblem[] = [];
  const template = compileTemplate(value, path, templateProblems, options);
  report(templateProblems, context);
  for (const expression of expressionsOf(template)) checkRefs(expression.refs, expression.path, context);
  return template;
}

function compileExpressionChecked(source: string, path: string, context: Context): CompiledExpression | undefined {
  const templateProblems: TemplateProblem[] = [];
  const expression = compileConditionOrList(source, path, templateProblems);
  report(templateProblems, context);
  if (expression) checkRefs(expression.refs, path, context);
  return expression;
}

function report(templateProblems: TemplateProblem[], context: Context): void {
  for (const problem of templateProblems) context.problems.push({ workflow: context.workflow, ...problem, severity: 'error' });
}

function checkRefs(refs: ExpressionRefs, path: string, context: Context): void {
  for (const id of refs.steps) {
    if (context.available.includes(id)) continue;
    const message = context.allIds.includes(id)
      ? `steps.${id} is not available here: step "${id}" does not run before this point (steps run in order, and a step cannot read its own result or a later step's)`
      : `there is no step "${id}" (the steps are ${context.allIds.map(other => `"${other}"`).join(', ')})`;
    context.problems.push({ workflow: context.workflow, path, message, severity: 'error' });
  }
  for (const variable of refs.vars) {
    if (context.vars.includes(variable)) continue;
    const known = context.vars.length > 0 ? `the variables set before this point: ${context.vars.map(other => `"${other}"`).join(', ')}` : 'no variable is set before this point';
    context.problems.push({
      workflow: context.workflow,
      path,
      message: `vars.${variable} is not set here: a variable is set by a step's "let" and read by that step and the steps after it (${known})`,
      severity: 'error'
    });
  }
  if (refs.usesItem && !context.inMap) {
    context.problems.push({ workflow: context.workflow, path, message: '"item" and "index" exist only inside a map step (in its "do" or its call\'s "with")', severity: 'error' });
  }
}

/**
 * Calls `fn` on every step of a compiled workflow, depth first in config order: a step, then the steps
 * nested in it (branches, `do`, rules and `otherwise`), then its fallback.
 */
export function eachStep(steps: readonly CompiledStep[], fn: (step: CompiledStep) => void): void {
  const visit = (step: CompiledStep | undefined): void => {
    if (!step) return;
    fn(step);
    switch (step.kind) {
      case 'parallel':
        for (const [, branch] of step.branches) visit(branch);
        break;
      case 'map':
        visit(step.each);
        break;
      case 'switch':
        for (const rule of step.rules) visit(rule.then);
        visit(step.otherwise);
        break;
      case 'call':
      case 'agent':
      case 'evaluate':
        break;
    }
    visit(step.fallback);
  };
  for (const step of steps) visit(step);
}

/** Every call step in a compiled workflow (nested ones too, fallbacks included). */
export function callsOf(steps: readonly CompiledStep[]): Array<Extract<CompiledStep, { kind: 'call' }>> {
  const out: Array<Extract<CompiledStep, { kind: 'call' }>> = [];
  eachStep(steps, step => {
    if (step.kind === 'call') out.push(step);
  });
  return out;
}

/** Workflows that call each other in a circle: each cycle once, as `a → b → a`. */
export function findCycles(workflows: ReadonlyMap<string, CompiledWorkflow>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [name, workflow] of workflows) {
    edges.set(name, [...new Set(callsOf(workflow.steps).map(call => call.step.call).filter(target => workflows.has(target)))]);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of workflows.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

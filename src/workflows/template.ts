import jsonata from 'jsonata';

/**
 * Templates: JSON values in which a string may hold `{{ expression }}`. Expressions are JSONata
 * (https://docs.jsonata.org) over the run's scope `{ input, steps, vars, item, index, result }`, also bound as
 * the variables `$input`, `$steps`, `$vars`, `$item`, `$index`, `$result`.
 *
 * - a string that is exactly one `{{ … }}` yields the expression's value, of any type;
 * - a string with text around `{{ … }}` yields a string (values that are not strings are JSON);
 * - any other value is itself; objects and arrays are templates all the way down.
 */

/** What an expression reads besides `input`. */
export interface ExpressionRefs {
  /** Top-level step ids it reads (`steps.<id>`). */
  steps: Set<string>;
  /** Variables it reads (`vars.<name>`, set by a step's `let`). */
  vars: Set<string>;
  /** Reads `item` or `index` (only meaningful inside a map). */
  usesItem: boolean;
}

export interface CompiledExpression {
  source: string;
  /** Where it is in the definition. */
  path: string;
  expression: jsonata.Expression;
  refs: ExpressionRefs;
}

export type CompiledTemplate =
  | { kind: 'literal'; value: unknown }
  | { kind: 'expression'; expression: CompiledExpression }
  | { kind: 'interpolation'; parts: Array<string | CompiledExpression> }
  | { kind: 'array'; items: CompiledTemplate[] }
  | {
      kind: 'object';
      entries: Array<[string, CompiledTemplate]>;
      /** Keys written with a trailing "?" (in a call's `with`): left out when their value is nothing. */
      optional?: ReadonlySet<string>;
    };

/** How a template is compiled: in a call's `with`, a key may end with "?" (an optional argument). */
export interface TemplateOptions {
  optionalKeys?: boolean;
}

/** The values expressions see. */
export interface Scope {
  input: unknown;
  steps: Record<string, StepEntry>;
  /** Values named by `let`, in the order they were set. */
  vars: Record<string, unknown>;
  item?: unknown;
  index?: number;
  /** The step's result, for its `failWhen`. */
  result?: unknown;
}

/** What `steps.<id>` holds for a top-level step that finished (or failed and was continued). */
export interface StepEntry {
  result: unknown;
  /** `partial`: a map whose failed items were continued past (`errors` lists them). */
  status: 'ok' | 'partial' | 'failed';
  error?: string;
  errors?: ItemError[];
}

/** A map item that failed and was continued past (onError: continue). */
export interface ItemError {
  index: number;
  error: string;
}

/** A problem found while compiling, with the definition path where it is. */
export interface TemplateProblem {
  path: string;
  message: string;
}

/** Compiles one JSONata expression; records a problem (and returns undefined) if it does not parse. */
export function compileExpression(text: string, path: string, problems: TemplateProblem[]): CompiledExpression | undefined {
  const source = text.trim();
  try {
    const expression = jsonata(source);
    return { source, path, expression, refs: collectRefs(expression.ast()) };
  } catch (error) {
    problems.push({ path, message: `bad expression "${source}": ${describeJsonataError(error)}` });
    return undefined;
  }
}

/** A field that is always an expression (`map:`, `when:`): braces are optional. */
export function compileConditionOrList(source: string, path: string, problems: TemplateProblem[]): CompiledExpression | undefined {
  const trimmed = source.trim();
  const whole = /^\{\{([\s\S]*)\}\}$/.exec(trimmed);
  return compileExpression(whole?.[1] ?? trimmed, path, problems);
}

/** Compiles a template; problems are recorded with their path, and the broken parts left as literals. */
export function compileTemplate(value: unknown, path: string, problems: TemplateProblem[], options: TemplateOptions = {}): CompiledTemplate {
  if (typeof value === 'string') return compileString(value, path, problems);
  if (Array.isArray(value)) return { kind: 'array', items: value.map((item, index) => compileTemplate(item, `${path}.${index}`, problems, options)) };
  if (value !== null && typeof value === 'object') {
    const optional = new Set<string>();
    const entries = Object.entries(value as Record<string, unknown>).map(([written, item]): [string, CompiledTemplate] => {
      const key = options.optionalKeys && written.length > 1 && written.endsWith('?') ? written.slice(0, -1) : written;
      if (key !== written) optional.add(key);
      return [key, compileTemplate(item, `${path}.${written}`, problems, options)];
    });
    return { kind: 'object', entries, ...(optional.size > 0 ? { optional } : {}) };
  }
  return { kind: 'literal', value };
}

function compileString(text: string, path: string, problems: TemplateProblem[]): CompiledTemplate {
  if (!text.includes('{{')) return { kind: 'literal', value: text };
  const trimmed = text.trim();
  if (trimmed.startsWith('{{') && trimmed.endsWith('}}')) {
    // The whole string may be one expression (which may itself contain "}}", as in {{ {'a': {'b': 1}} }}).
    const inner = trimmed.slice(2, -2);
    const quiet: TemplateProblem[] = [];
    const whole = compileExpression(inner, path, quiet);
    if (whole) return { kind: 'expression', expression: whole };
  }
  const parts: Array<string | CompiledExpression> = [];
  let rest = text;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      parts.push(rest);
      break;
    }
    if (open > 0) parts.push(rest.slice(0, open));
    // The expression ends at the first "}}" after which the text between parses.
    let close = rest.indexOf('}}', open + 2);
    let compiled: CompiledExpression | undefined;
    let lastProblem: TemplateProblem | undefined;
    while (close >= 0) {
      const attempt: TemplateProblem[] = [];
      compiled = compileExpression(rest.slice(open + 2, close), path, attempt);
      if (compiled) break;
      lastProblem = attempt[0];
      close = rest.indexOf('}}', close + 1);
    }
    if (!compiled) {
      problems.push(lastProblem ?? { path, message: `"{{" without a closing "}}" in "${text}"` });
      return { kind: 'literal', value: text };
    }
    parts.push(compiled);
    rest = rest.slice(close + 2);
  }
  return { kind: 'interpolation', parts };
}

/**
 * Evaluates a compiled template in a scope. Keys whose value is undefined are left out of objects; with
 * `strict` (a call's `with`) that is an error unless the key was written optional (`key?`).
 */
export async function evaluateTemplate(template: CompiledTemplate, scope: Scope, strict = false, at = ''): Promise<unknown> {
  switch (template.kind) {
    case 'literal':
      return template.value;
    case 'expression':
      return evaluateExpression(template.expression, scope);
    case 'interpolation': {
      let out = '';
      for (const part of template.parts) {
        if (typeof part === 'string') out += part;
        else {
          const value = await evaluateExpression(part, scope);
          out += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
        }
      }
      return out;
    }
    case 'array': {
      const items: unknown[] = [];
      for (const [index, item] of template.items.entries()) items.push(await evaluateTemplate(item, scope, strict, `${at}${at ? '.' : ''}${index}`));
      return items;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of template.entries) {
        const path = `${at}${at ? '.' : ''}${key}`;
        const value = await evaluateTemplate(item, scope, strict, path);
        if (value !== undefined) out[key] = value;
        else if (strict && !template.optional?.has(key)) throw new MissingValueError(path, item);
      }
      return out;
    }
  }
}

/** Thrown when an expression fails at run time (a type error, say). */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly source: string;
  constructor(source: string, message: string) {
    super(message);
    this.source = source;
  }
}

/** Thrown when an argument of a call's `with` yields nothing (a missing field, say) and is not optional. */
export class MissingValueError extends ExpressionError {
  readonly argument: string;
  constructor(argument: string, template: CompiledTemplate) {
    const written = template.kind === 'expression' ? `{{ ${template.expression.source} }}` : JSON.stringify(templateSource(template));
    super(
      written,
      `argument "${argument}" of "with" yielded nothing: ${written} has no value here (a missing field, or a step result without it). ` +
        `Fix the template, or write the key as "${argument.split('.').pop() ?? argument}?" to leave the argument out when it has no value`
    );
    this.argument = argument;
  }
}

function templateSource(template: CompiledTemplate): unknown {
  return template.kind === 'literal' ? template.value : template.kind;
}

export async function evaluateExpression(compiled: CompiledExpression, scope: Scope): Promise<unknown> {
  try {
    const bindings: Record<string, unknown> = { input: scope.input, steps: scope.steps, vars: scope.vars };
    if ('item' in scope) bindings.item = scope.item;
    if (scope.index !== undefined) bindings.index = scope.index;
    if ('result' in scope) bindings.result = scope.result;
    return normalise(await compiled.expression.evaluate(scope, bindings));
  } catch (error) {
    throw new ExpressionError(compiled.source.trim(), `expression "${compiled.source.trim()}" failed: ${describeJsonataError(error)}`);
  }
}

/**
 * JSONata marks its result arrays (sequences) with extra properties and builds objects without a prototype;
 * hand plain JSON on.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = normalise(item);
    return out;
  }
  return value;
}

/** Every expression in a template. */
export function expressionsOf(template: CompiledTemplate): CompiledExpression[] {
  switch (template.kind) {
    case 'literal':
      return [];
    case 'expression':
      return [template.expression];
    case 'interpolation':
      return template.parts.filter((part): part is CompiledExpression => typeof part !== 'string');
    case 'array':
      return template.items.flatMap(expressionsOf);
    case 'object':
      return template.entries.flatMap(([, item]) => expressionsOf(item));
  }
}

function describeJsonataError(error: unknown): string {
  const details = error as { message?: string; position?: number; token?: string; code?: string };
  const message = details.message ?? String(error);
  return details.position !== undefined ? `${message} (at character ${details.position})` : message;
}

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  [key: string]: unknown;
}

/**
 * What an expression reads: `steps.<id>` and `item`/`index` at the root of a path (names inside predicates
 * are relative to the values being filtered, so only the variables `$steps`, `$item` count there).
 */
function collectRefs(ast: unknown): ExpressionRefs {
  const refs: ExpressionRefs = { steps: new Set(), vars: new Set(), usesItem: false };
  const visit = (node: unknown, atRoot: boolean): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, atRoot);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const current = node as AstNode;
    if (current.type === 'variable' && (current.value === 'item' || current.value === 'index')) refs.usesItem = true;
    if (current.type === 'name' && atRoot && (current.value === 'item' || current.value === 'index')) refs.usesItem = true;
    if (current.type === 'path' && Array.isArray(current.steps)) {
      const [head, next] = current.steps;
      const isStepsRoot = (head?.type === 'name' && atRoot) || head?.type === 'variable';
      if (isStepsRoot && head?.value === 'steps' && next?.type === 'name' && typeof next.value === 'string') refs.steps.add(next.value);
      if (isStepsRoot && head?.value === 'vars' && next?.type === 'name' && typeof next.value === 'string') refs.vars.add(next.value);
      current.steps.forEach((step, index) => visit(step, atRoot && index === 0));
      visitOthers(current, ['steps'], atRoot);
      return;
    }
    visitOthers(current, [], atRoot);
  };
  const visitOthers = (node: AstNode, skip: string[], atRoot: boolean): void => {
    for (const [key, child] of Object.entries(node)) {
      if (skip.includes(key) || key === 'value' || key === 'type' || key === 'position') continue;
      visit(child, key === 'stages' || key === 'predicate' || key === 'group' ? false : atRoot);
    }
  };
  visit(ast, true);
  return refs;
}

import { Environment } from '@marcbachmann/cel-js';

/**
 * The CEL variables a rule may read (docs/SECURITY.md, "Rules"), declared with their shape: a misspelt variable or
 * field (`principal.nmae`) is a startup error rather than a rule that never matches. Only for checking: the shapes
 * make each evaluation convert its objects (3× slower), so programs run in `runtime`, where the objects are maps.
 */
const checking = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false })
  .registerVariable({
    name: 'principal',
    schema: { name: 'string', kind: 'string', scopes: 'list<string>', views: 'list<string>', claims: 'map<string, dyn>' }
  })
  .registerVariable({
    name: 'annotations',
    schema: { title: 'string', readOnlyHint: 'bool', destructiveHint: 'bool', idempotentHint: 'bool', openWorldHint: 'bool' }
  });

/** The same variables for evaluation, the structured ones as maps (checked above, so their fields are known). */
const runtime = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false })
  .registerVariable('principal', 'map<string, dyn>')
  .registerVariable('annotations', 'map<string, dyn>');

for (const environment of [checking, runtime]) {
  environment
    .registerVariable('kind', 'string')
    .registerVariable('server', 'string')
    .registerVariable('tool', 'string')
    .registerVariable('prompt', 'string')
    .registerVariable('uri', 'string')
    .registerVariable('startedBy', 'string')
    .registerVariable('arguments', 'map<string, dyn>');
}

/** The variables a rule reads, in the order the docs list them. */
export const ruleVariables = ['principal', 'kind', 'server', 'tool', 'prompt', 'uri', 'startedBy', 'annotations', 'arguments'] as const;

/** What a compiled rule expression is evaluated with (every variable is always set; see AccessPolicy). */
export interface RuleContext {
  principal: { name: string; kind: string; scopes: readonly string[]; views: readonly string[]; claims: Readonly<Record<string, unknown>> };
  kind: string;
  server: string;
  tool: string;
  prompt: string;
  uri: string;
  startedBy: string;
  annotations: { title: string; readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
  arguments: Readonly<Record<string, unknown>>;
}

/** A rule expression, parsed and type-checked once. */
export interface CompiledRule {
  readonly source: string;
  /**
   * The string literals the expression compares `server`, `kind` or `principal.views` with (`server == "x"`,
   * `server in ["x"]`, `"v" in principal.views`): names the config can check, so a typo is not a rule that never
   * matches.
   */
  readonly names: ReadonlyArray<{ variable: 'server' | 'kind' | 'principal.views'; value: string }>;
  /** The rule variables the expression reads (`principal`, `kind`, …). */
  readonly variables: ReadonlySet<string>;
  /** Evaluates; throws on an evaluation error (a missing key, a claim of another type, a value that is not a bool). */
  evaluate(context: RuleContext): boolean;
}

const compiled = new Map<string, CompiledRule>();

/**
 * Parses and checks a rule expression: it must be CEL over the rule variables and yield a bool. Throws an
 * Error whose message is the parser's or the checker's (with the caret under the place). Cached by text.
 */
export function compileRuleExpression(source: string): CompiledRule {
  const cached = compiled.get(source);
  if (cached) return cached;
  const checked = checking.check(source);
  if (!checked.valid) throw new Error(withoutTrailingSpace(checked.error?.message ?? 'invalid expression'));
  if (checked.type !== 'bool' && checked.type !== 'dyn') throw new Error(`the expression yields ${checked.type}, not a bool (write a condition, e.g. server == "github")`);
  const program = runtime.parse(source);
  const rule: CompiledRule = {
    source,
    variables: identifiersOf(program.ast),
    names: comparedNames(program.ast),
    evaluate: context => {
      const value: unknown = program(context);
      if (typeof value !== 'boolean') throw new Error(`the expression yielded ${typeof value}, not a bool`);
      return value;
    }
  };
  compiled.set(source, rule);
  return rule;
}

/** The identifiers an expression's AST names (`{op: 'id', args: name}` nodes), i.e. the variables it reads. */
function identifiersOf(ast: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const { op, args } = node as { op?: unknown; args?: unknown };
    if (op === 'id' && typeof args === 'string') found.add(args);
    else walk(args);
  };
  walk(ast);
  return found;
}

interface AstNode {
  op?: unknown;
  args?: unknown;
}

/** Which of the checkable names a node is: `server`, `kind`, `principal.views`. */
function checkable(node: unknown): 'server' | 'kind' | 'principal.views' | undefined {
  const { op, args } = (node ?? {}) as AstNode;
  if (op === 'id' && (args === 'server' || args === 'kind')) return args;
  if (op === '.' && Array.isArray(args) && args[1] === 'views' && (args[0] as AstNode | undefined)?.op === 'id' && (args[0] as AstNode).args === 'principal')
    return 'principal.views';
  return undefined;
}

function stringsOf(node: unknown): string[] {
  const { op, args } = (node ?? {}) as AstNode;
  if (op === 'value' && typeof args === 'string') return [args];
  if (op === 'list' && Array.isArray(args)) return args.flatMap(stringsOf);
  return [];
}

/** Every `x == "lit"`, `"lit" == x`, `x != "lit"`, `x in [...]` and `"lit" in principal.views` of an AST. */
function comparedNames(ast: unknown): Array<{ variable: 'server' | 'kind' | 'principal.views'; value: string }> {
  const found: Array<{ variable: 'server' | 'kind' | 'principal.views'; value: string }> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const { op, args } = node as AstNode;
    if ((op === '==' || op === '!=' || op === 'in') && Array.isArray(args) && args.length === 2) {
      const [left, right] = args as [unknown, unknown];
      const leftName = checkable(left);
      const rightName = checkable(right);
      if (leftName && leftName !== 'principal.views') for (const value of stringsOf(right)) found.push({ variable: leftName, value });
      if (rightName && (op !== 'in' || rightName === 'principal.views')) for (const value of stringsOf(left)) found.push({ variable: rightName, value });
    }
    if (op !== 'value') walk(args);
  };
  walk(ast);
  return found;
}

/** The checker's message and its source excerpt, without trailing blank lines. */
function withoutTrailingSpace(message: string): string {
  return message.replace(/\s+$/, '');
}

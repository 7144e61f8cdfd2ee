import type { ToolAnnotations } from '@modelcontextprotocol/client';

import type { CatalogPrompt, CatalogResource, CatalogResourceTemplate, CatalogTool } from '../catalog/index.js';
import { type AccessRule, type CompiledRule, compileRuleExpression, type RuleContext, type ruleKinds } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import { type Principal } from '../core/principal.js';
import type { Logger } from '../telemetry/logger.js';

/** What a rule's `kind` is: a tool of a server, a gateway tool by its source, a prompt, a resource, a run. */
export type AccessKind = (typeof ruleKinds)[number];

/** The thing a principal wants to see or use, as the rules see it. */
export interface AccessTarget {
  kind: AccessKind;
  /** The server (for a gateway tool: its source, `workflows`, `agents`, …); `""` for a run. */
  server: string;
  /** The tool's public name (a gateway tool's too), or a run's tool. */
  tool?: string;
  prompt?: string;
  /** A resource's URI, or a template's URI template. */
  uri?: string;
  /** A run's principal: the name of who started it. */
  startedBy?: string;
  annotations?: ToolAnnotations | undefined;
  /** A call's arguments. Absent: not known (a list), so a rule that reads them cannot be decided. */
  arguments?: Record<string, unknown>;
}

/** How a decision was reached, for logs and tests. */
export interface AccessDecision {
  allowed: boolean;
  /** The index of the rule that decided, or undefined for the default. */
  rule: number | undefined;
}

const sourceKinds: Readonly<Record<string, AccessKind>> = {
  workflows: 'workflow',
  agents: 'agent',
  orchestrators: 'orchestrator',
  routers: 'router'
};

/** A target for a catalog tool, with its (corrected) annotations and, for a call, its arguments. */
export function toolTarget(tool: Pick<CatalogTool, 'name' | 'upstream' | 'definition' | 'local'>, args?: Record<string, unknown>): AccessTarget {
  return {
    kind: tool.local ? (sourceKinds[tool.upstream] ?? 'tool') : 'tool',
    server: tool.upstream,
    tool: tool.name,
    annotations: tool.definition.annotations,
    ...(args !== undefined ? { arguments: args } : {})
  };
}

export function promptTarget(prompt: Pick<CatalogPrompt, 'name' | 'upstream'>, args?: Record<string, unknown>): AccessTarget {
  return { kind: 'prompt', server: prompt.upstream, prompt: prompt.name, ...(args !== undefined ? { arguments: args } : {}) };
}

export function resourceTarget(uri: string, server: string): AccessTarget {
  return { kind: 'resource', server, uri };
}

/** A run of a workflow, agent, orchestrator or router, started by the principal named `startedBy`. */
export function runTarget(startedBy: string, tool: string): AccessTarget {
  return { kind: 'run', server: '', tool, startedBy, arguments: {} };
}

/** Thrown by `arguments` in a list, where they are not known: the rule cannot be decided. */
const argumentsUnknown = new Error('arguments are not known when listing');
const unknownArguments: Readonly<Record<string, unknown>> = new Proxy(
  {},
  {
    get: () => {
      throw argumentsUnknown;
    },
    has: () => {
      throw argumentsUnknown;
    },
    ownKeys: () => {
      throw argumentsUnknown;
    },
    getOwnPropertyDescriptor: () => {
      throw argumentsUnknown;
    }
  }
);

/** The hints of something read: a prompt, a resource, a run. */
const readHints: RuleContext['annotations'] = {
  title: '',
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false
};

/** A tool's hints with the MCP defaults filled in, so every field can be read (destructive unless read-only). */
function hintsOf(annotations: ToolAnnotations | undefined): RuleContext['annotations'] {
  const readOnly = annotations?.readOnlyHint === true;
  return {
    title: typeof annotations?.title === 'string' ? annotations.title : '',
    readOnlyHint: readOnly,
    destructiveHint: typeof annotations?.destructiveHint === 'boolean' ? annotations.destructiveHint : !readOnly,
    idempotentHint: annotations?.idempotentHint === true,
    openWorldHint: typeof annotations?.openWorldHint === 'boolean' ? annotations.openWorldHint : true
  };
}

interface Rule {
  effect: 'allow' | 'deny';
  program: CompiledRule;
  /** `rules.<i>.<allow|deny>`, with the rule's description when it has one. */
  path: string;
}

/** Most memoised list decisions kept per listed thing (one per principal); past it, that thing's memo starts over. */
const maxPrincipalsPerEntry = 1_000;

/**
 * Config `rules:` as one decision function (docs/SECURITY.md, "Rules"). The rules are tried in order and the
 * first whose condition holds decides (for a run, only rules that read `kind` or `startedBy`); when none holds, a
 * run is allowed only to the principal that started it, and anything else
 * is allowed when the list has no `allow` rule (a deny list) and denied when it has one (an allow list).
 * A condition that cannot be evaluated (a missing claim) counts as holding for a `deny` rule and as not holding
 * for an `allow` rule: an error never grants access.
 */
export class AccessPolicy {
  private readonly rules: Rule[];
  private readonly defaultAllow: boolean;
  private readonly logger: Logger;
  private readonly warned = new Set<string>();
  /** List decisions per listed thing (the catalog's entries, replaced on each rebuild) and principal. */
  private readonly memo = new WeakMap<object, Map<string, boolean>>();
  private readonly principalKeys = new WeakMap<Principal, string>();

  constructor(rules: readonly AccessRule[], logger: Logger) {
    this.logger = logger;
    this.rules = rules.map((rule, index) => {
      const described = rule.description !== undefined ? ` ("${rule.description}")` : '';
      return rule.allow !== undefined
        ? { effect: 'allow', program: compileRuleExpression(rule.allow), path: `rules.${index}.allow${described}` }
        : { effect: 'deny', program: compileRuleExpression(rule.deny ?? 'false'), path: `rules.${index}.deny${described}` };
    });
    this.defaultAllow = !this.rules.some(rule => rule.effect === 'allow');
  }

  /** What the rules are, for the start-up log: how many, and what happens when none holds. */
  describe(): string {
    if (this.rules.length === 0) return 'no rules: every caller may see and call everything';
    return `${this.rules.length} rule(s), ${this.defaultAllow ? 'a deny list: what no rule denies is allowed' : 'an allow list: what no rule allows is denied'} (runs: their own to each principal)`;
  }

  /** Whether there are rules at all; without them everything is allowed and nothing is filtered (runs aside). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /**
   * The one decision: may `principal` reach `target`? With arguments (a call), every rule can be decided. Without
   * (a list), a rule that reads `arguments` and is not decided by the rest of its condition lets the thing be
   * listed if it is an `allow` rule (some call may be allowed) and is passed over if it is a `deny` rule (some
   * call may not be denied): a thing is listed unless the rules deny it whatever the arguments.
   */
  decide(principal: Principal, target: AccessTarget): AccessDecision {
    // Without rules everything is allowed, but a run still only to the principal that started it.
    if (this.rules.length === 0) return { allowed: target.kind !== 'run' || target.startedBy === principal.name, rule: undefined };
    const context = this.contextOf(principal, target);
    for (const [index, rule] of this.rules.entries()) {
      // Runs are decided only by rules written for them: a rule that reads neither `kind` nor `startedBy` is about
      // tools, prompts and resources (an `allow` for a principal's tools must not open everyone's runs to it).
      if (target.kind === 'run' && !rule.program.variables.has('kind') && !rule.program.variables.has('startedBy')) continue;
      let holds: boolean;
      try {
        holds = rule.program.evaluate(context);
      } catch (error) {
        if (error === argumentsUnknown) {
          if (rule.effect === 'allow') return { allowed: true, rule: index };
          continue;
        }
        this.warnOnce(rule, principal, error);
        // Fail closed: an error never grants, and a deny that cannot be evaluated denies.
        holds = rule.effect === 'deny';
      }
      if (holds) return { allowed: rule.effect === 'allow', rule: index };
    }
    if (target.kind === 'run') return { allowed: target.startedBy === principal.name, rule: undefined };
    return { allowed: this.defaultAllow, rule: undefined };
  }

  /** Whether a principal is allowed a target (`decide(...).allowed`). */
  allows(principal: Principal, target: AccessTarget): boolean {
    return this.decide(principal, target).allowed;
  }

  /**
   * The catalog tools a principal may see, as a filter (an agent is offered only these); undefined without rules,
   * where every tool is seen.
   */
  toolFilter(principal: Principal): ((tool: CatalogTool) => boolean) | undefined {
    return this.rules.length === 0 ? undefined : tool => this.seesTool(principal, tool);
  }

  /** Whether a catalog tool is listed to a principal (memoised per catalog entry and principal). */
  seesTool(principal: Principal, tool: CatalogTool): boolean {
    return this.memoised(tool, principal, () => toolTarget(tool));
  }

  seesPrompt(principal: Principal, prompt: CatalogPrompt): boolean {
    return this.memoised(prompt, principal, () => promptTarget(prompt));
  }

  seesResource(principal: Principal, resource: CatalogResource): boolean {
    return this.memoised(resource, principal, () => resourceTarget(resource.uri, resource.upstream));
  }

  seesTemplate(principal: Principal, template: CatalogResourceTemplate): boolean {
    return this.memoised(template, principal, () => resourceTarget(template.uriTemplate, template.upstream));
  }

  private memoised(entry: object, principal: Principal, target: () => AccessTarget): boolean {
    if (this.rules.length === 0) return true;
    const key = this.keyOf(principal);
    let decisions = this.memo.get(entry);
    if (!decisions) {
      decisions = new Map();
      this.memo.set(entry, decisions);
    }
    const known = decisions.get(key);
    if (known !== undefined) return known;
    const allowed = this.decide(principal, target()).allowed;
    if (decisions.size >= maxPrincipalsPerEntry) decisions.clear();
    decisions.set(key, allowed);
    return allowed;
  }

  /** Everything a rule can read of a principal, as one string (principals are rebuilt per request). */
  private keyOf(principal: Principal): string {
    let key = this.principalKeys.get(principal);
    if (key === undefined) {
      key = JSON.stringify([principal.name, principal.kind, principal.scopes ?? [], principal.views ?? [], principal.claims ?? {}]);
      this.principalKeys.set(principal, key);
    }
    return key;
  }

  private contextOf(principal: Principal, target: AccessTarget): RuleContext {
    const isTool = target.kind !== 'prompt' && target.kind !== 'resource' && target.kind !== 'run';
    return {
      principal: {
        name: principal.name,
        kind: principal.kind,
        scopes: principal.scopes ?? [],
        views: principal.views ?? [],
        claims: principal.claims ?? {}
      },
      kind: target.kind,
      server: target.server,
      tool: target.tool ?? '',
      prompt: target.prompt ?? '',
      uri: target.uri ?? '',
      startedBy: target.startedBy ?? '',
      annotations: isTool ? hintsOf(target.annotations) : readHints,
      arguments: target.arguments ?? unknownArguments
    };
  }

  private warnOnce(rule: Rule, principal: Principal, error: unknown): void {
    const message = errorMessage(error).split('\n')[0] ?? '';
    const key = `${rule.path}\0${principal.name}\0${message}`;
    if (this.warned.has(key)) return;
    if (this.warned.size > 1_000) this.warned.clear();
    this.warned.add(key);
    this.logger.warn(
      `${rule.path} could not be evaluated for principal "${principal.name}": ${message}; counted as ${rule.effect === 'deny' ? 'holding (denied)' : 'not holding'} (guard optional fields with has() or .?field.orValue())`
    );
  }
}

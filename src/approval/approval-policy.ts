import { type CatalogTool } from '../catalog/index.js';
import type { ApprovalOptions, ServerConfig } from '../config/index.js';
import { globToRegExp } from '../core/glob.js';
import type { Principal } from '../core/principal.js';
import { AccessPolicy, toolTarget } from '../rules/index.js';
import type { Logger } from '../telemetry/logger.js';

/** What the policy decided of one tool, apart from `when` (which reads the caller and the arguments). */
type Static = { kind: 'always'; reason: string } | { kind: 'never' } | { kind: 'default'; reason: string | undefined };

/**
 * `security.approval` as one decision: does this call wait for a person, and why. Order: `always` globs, then
 * `never` globs, then `when` (CEL, the `rules:` machinery: an expression that cannot be evaluated asks, it never
 * waves a call through) or the default rule (`destructiveHint: true`, after the server's `annotations`
 * corrections, on a server not marked `trust: trusted`; the gateway's own tools, whose steps are gated one by
 * one, are left to `always` and `when`).
 */
export class ApprovalPolicy {
  private readonly always: RegExp[];
  private readonly never: RegExp[];
  private readonly when: AccessPolicy | undefined;
  private readonly options: ApprovalOptions;
  private readonly servers: Readonly<Record<string, Pick<ServerConfig, 'trust'>>>;
  /** Per catalog entry (replaced on each rebuild, so a list change is seen). */
  private readonly memo = new WeakMap<CatalogTool, Static>();

  constructor(options: ApprovalOptions, servers: Readonly<Record<string, Pick<ServerConfig, 'trust'>>>, logger: Logger) {
    this.options = options;
    this.servers = servers;
    this.always = options.always.map(globToRegExp);
    this.never = options.never.map(globToRegExp);
    // A one-rule deny list: "denied" is "the condition holds (or cannot be evaluated)".
    this.when = options.when !== undefined ? new AccessPolicy([{ deny: options.when, description: 'security.approval.when' }], logger) : undefined;
  }

  /** Whether any call can need approval at all (else the stage is left out of the pipeline). */
  get active(): boolean {
    return this.options.enabled && (this.options.destructive || this.always.length > 0 || this.when !== undefined);
  }

  /** Why this call needs approval, or undefined when it does not. */
  reasonFor(principal: Principal, tool: CatalogTool, args: Record<string, unknown>): string | undefined {
    const fixed = this.staticOf(tool);
    if (fixed.kind === 'always') return fixed.reason;
    if (fixed.kind === 'never') return undefined;
    if (this.when && !this.when.allows(principal, toolTarget(tool, args))) return `security.approval.when (${this.options.when}) holds`;
    return fixed.reason;
  }

  private staticOf(tool: CatalogTool): Static {
    let known = this.memo.get(tool);
    if (!known) {
      known = this.compute(tool);
      this.memo.set(tool, known);
    }
    return known;
  }

  private compute(tool: CatalogTool): Static {
    const always = this.options.always.find((_glob, index) => this.always[index]?.test(tool.name));
    if (always !== undefined) return { kind: 'always', reason: `security.approval.always "${always}"` };
    if (this.never.some(pattern => pattern.test(tool.name))) return { kind: 'never' };
    const untrusted = this.servers[tool.upstream]?.trust !== 'trusted';
    const destructive = !tool.local && tool.definition.annotations?.destructiveHint === true;
    return {
      kind: 'default',
      reason: this.options.destructive && destructive && untrusted ? `destructiveHint on server "${tool.upstream}", which is not marked trust: trusted` : undefined
    };
  }
}

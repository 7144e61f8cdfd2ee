import { createHash } from 'node:crypto';

import type { Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import { UriTemplate } from '@modelcontextprotocol/client';

import { createNameFilter } from '../core/glob.js';
import { createAnnotationCorrector } from './annotations.js';
import { suggestNames } from './suggest-names.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { GatewayRequest, GatewayResult } from '../core/pipeline.js';
import type { Logger } from '../telemetry/logger.js';
import type { ListKind, ResourceTemplateEntry, UpstreamConnection } from '../upstream/index.js';
import type { HeldTool, ToolGate, ToolHold } from './tool-gate.js';

/** The separator between server and tool in public names. */
export const nameSeparator = '__';
const maxNameLength = 64;

/**
 * A tool the gateway serves itself (a workflow, say) rather than an upstream. Its handler gets the whole
 * request, with the caller's progress, cancellation and log channels.
 */
export interface LocalTool {
  /** The definition clients see; its name is the public name (not prefixed). */
  definition: Tool;
  call(request: GatewayRequest): Promise<GatewayResult>;
  /** Operator-supplied words that describe it, for search. */
  tags?: readonly string[];
}

export interface CatalogTool {
  /** The name clients see and call. */
  name: string;
  /** The upstream that serves it, or for a local tool the source that registered it (e.g. "workflows"). */
  upstream: string;
  /** Set when the gateway serves the tool itself. */
  local?: LocalTool;
  /** The name on the upstream. */
  originalName: string;
  /** The definition as re-advertised: the upstream's, byte for byte, with only `name` changed. */
  definition: Tool;
  /** sha256 of the upstream description and input schema (for pinning and change detection). */
  descriptionHash: string;
}

export interface CatalogPrompt {
  name: string;
  upstream: string;
  originalName: string;
  definition: Prompt;
}

export interface CatalogResource {
  uri: string;
  upstream: string;
  definition: Resource;
}

export interface CatalogResourceTemplate {
  uriTemplate: string;
  upstream: string;
  definition: ResourceTemplateEntry;
  matcher: UriTemplate | undefined;
}

/** What a visibility check reads of a tool (a listed one, or a name of a server that is not up). */
export type VisibleTool = Pick<CatalogTool, 'name' | 'upstream' | 'definition' | 'local'>;

export type CatalogChange = { kinds: ListKind[]; upstream: string };

/**
 * Decides, on every rebuild, which of the upstreams' tools to keep out of the catalog (the scanner's high
 * findings, say): public name → the reason, which a call to the tool is told.
 */
export type ToolWithholder = (tools: readonly CatalogTool[]) => ReadonlyMap<string, string>;

/** Public name of an upstream's tool or prompt: `<server>__<name>`, made safe for every LLM API. */
export function toPublicName(server: string, name: string, prefix: boolean): string {
  if (!prefix) return name;
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
  const full = `${server}${nameSeparator}${safe}`;
  if (full.length <= maxNameLength) return full;
  // Too long: keep a readable head and a short hash of the original, so names stay unique and stable.
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, maxNameLength - 9)}_${hash}`;
}

export function hashDefinition(tool: Tool): string {
  return createHash('sha256')
    .update(JSON.stringify([tool.description ?? '', tool.inputSchema ?? {}, tool.outputSchema ?? null]))
    .digest('hex');
}

/**
 * The merged registry of every upstream's tools, prompts, resources and templates, under public names.
 * Rebuilt per upstream when that upstream's lists change; announces changes to listeners.
 */
export class Catalog {
  private readonly upstreams: UpstreamConnection[];
  private readonly logger: Logger;
  private toolList: CatalogTool[] = [];
  private toolIndex = new Map<string, CatalogTool>();
  private promptList: CatalogPrompt[] = [];
  private promptIndex = new Map<string, CatalogPrompt>();
  private resourceList: CatalogResource[] = [];
  private resourceIndex = new Map<string, CatalogResource>();
  private templateList: CatalogResourceTemplate[] = [];
  private readonly listeners = new Set<(change: CatalogChange) => void>();
  private clashes: string[] = [];
  private readonly localSources = new Map<string, readonly LocalTool[]>();
  private readonly withhold: ToolWithholder | undefined;
  private withheld = new Map<string, { tool: CatalogTool; reason: string }>();
  private readonly gate: ToolGate | undefined;
  private heldIndex = new Map<string, HeldTool>();

  /** `withhold`: which tools the scanner keeps out; `gate`: which upstream tools to hold back (pinning); none when absent. */
  constructor(upstreams: UpstreamConnection[], logger: Logger, options: { withhold?: ToolWithholder | undefined; gate?: ToolGate | undefined } = {}) {
    this.upstreams = upstreams;
    this.withhold = options.withhold;
    this.logger = logger.child('catalog');
    this.gate = options.gate;
    for (const upstream of upstreams) {
      upstream.onEvent(event => {
        if (event.type === 'lists-changed') this.rebuild({ kinds: event.kinds, upstream: upstream.name });
        // A server that goes down keeps its last lists (calls fail with a clear error while it reconnects);
        // a stopped one leaves the catalog.
        else if (event.state.kind === 'stopped') this.rebuild({ kinds: ['tools', 'prompts', 'resources'], upstream: upstream.name });
      });
    }
    this.rebuild();
  }

  /**
   * Replaces the tools a local source (workflows, say) serves, and announces the change. Their names must
   * not clash with upstream tools; a clash is reported like any other (`nameClashes`) and the upstream keeps
   * the name.
   */
  setLocalTools(source: string, tools: readonly LocalTool[]): void {
    if (tools.length === 0) this.localSources.delete(source);
    else this.localSources.set(source, tools);
    this.rebuild({ kinds: ['tools'], upstream: source });
  }

  /**
   * Asks the gate again about these servers' tools (a decision changed what it holds) and announces a tools change
   * for each, so lists, views, search and clients follow.
   */
  recheck(servers: readonly string[]): void {
    if (servers.length === 0) return;
    this.rebuild(...servers.map(upstream => ({ kinds: ['tools'] as ListKind[], upstream })));
  }

  /** The tools the gate holds back, by public name, with why. */
  get heldTools(): readonly HeldTool[] {
    return [...this.heldIndex.values()];
  }

  /** A tool the gate holds back, by public name. */
  findHeld(name: string): HeldTool | undefined {
    return this.heldIndex.get(name);
  }

  onChange(listener: (change: CatalogChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Names claimed by two upstreams (with `prefix: false`); the first in config order keeps the name. */
  get nameClashes(): readonly string[] {
    return this.clashes;
  }

  get tools(): readonly CatalogTool[] {
    return this.toolList;
  }

  get prompts(): readonly CatalogPrompt[] {
    return this.promptList;
  }

  get resources(): readonly CatalogResource[] {
    return this.resourceList;
  }

  get resourceTemplates(): readonly CatalogResourceTemplate[] {
    return this.templateList;
  }

  findTool(name: string): CatalogTool | undefined {
    return this.toolIndex.get(name);
  }

  /**
   * The tool, or TOOL_NOT_FOUND with the nearest names as a hint. With `visible` (the caller's rules), a tool it
   * may not see is unknown in the same words, and only tools it may see are suggested.
   */
  getTool(name: string, visible?: (tool: VisibleTool) => boolean): CatalogTool {
    const found = this.toolIndex.get(name);
    if (found && (!visible || visible(found))) return found;
    // Withheld (by the scanner): said so, to a caller who could see the tool.
    const withheld = found ? undefined : this.withheld.get(name);
    if (withheld && (!visible || visible(withheld.tool)))
      throw new ManifoldError('TOOL_NOT_FOUND', `tool "${name}" is withheld: ${withheld.reason}`, { data: { tool: name, withheld: true } });
    // Held back by the gate (a changed or blocked definition): its own refusal, to a caller that may see it.
    const held = this.heldIndex.get(name);
    if (held && (!visible || visible(held.tool))) throw held.hold.refusal(name);
    // A tool of a server that is not up (never connected, or reconnecting with nothing listed yet): say so,
    // rather than "unknown tool".
    const owner = found
      ? undefined
      : this.upstreams.find(upstream => upstream.config.prefix && name.startsWith(`${upstream.name}${nameSeparator}`));
    const ownerVisible = owner && (!visible || visible({ name, upstream: owner.name, definition: { name, inputSchema: { type: 'object' } } }));
    if (owner && ownerVisible && owner.state.kind !== 'ready' && !this.toolList.some(tool => tool.upstream === owner.name)) {
      const why =
        owner.state.kind === 'failed'
          ? `is down: ${owner.state.reason}`
          : owner.state.kind === 'starting'
            ? 'is still starting'
            : `is not running${owner.config.enabled ? '' : ' (enabled: false)'}`;
      throw new ManifoldError('UPSTREAM_UNAVAILABLE', `tool "${name}" cannot be called: server "${owner.name}" ${why}; its tools are listed once it connects (see manifold doctor)`, {
        data: { tool: name, server: owner.name }
      });
    }
    const candidates = (visible ? this.toolList.filter(visible) : this.toolList).map(tool => tool.name);
    throw new ManifoldError('TOOL_NOT_FOUND', `unknown tool "${name}"${this.suggest(name, candidates)}`, {
      data: { tool: name }
    });
  }

  /** The prompt, or PROMPT_NOT_FOUND; with `visible`, a prompt the caller may not see is unknown in the same words. */
  getPrompt(name: string, visible?: (prompt: CatalogPrompt) => boolean): CatalogPrompt {
    const found = this.promptIndex.get(name);
    if (found && (!visible || visible(found))) return found;
    const candidates = (visible ? this.promptList.filter(visible) : this.promptList).map(prompt => prompt.name);
    throw new ManifoldError('PROMPT_NOT_FOUND', `unknown prompt "${name}"${this.suggest(name, candidates)}`, {
      data: { prompt: name }
    });
  }

  /** Which upstream serves a resource URI: a listed resource, then a template match, then the only resource server. */
  resolveResource(uri: string): string {
    const listed = this.resourceIndex.get(uri);
    if (listed) return listed.upstream;
    for (const template of this.templateList) {
      if (template.matcher?.match(uri)) return template.upstream;
    }
    const withResources = this.upstreams.filter(upstream => upstream.state.kind === 'ready' && upstream.serverCapabilities?.resources);
    if (withResources.length === 1 && withResources[0]) return withResources[0].name;
    throw resourceNotFoundError(uri);
  }

  /** Which upstream owns a resource template (for completion). */
  resolveTemplate(uriTemplate: string): string | undefined {
    return this.templateList.find(template => template.uriTemplate === uriTemplate)?.upstream;
  }

  /** The gate's holds for one server's tools; a gate that throws holds back all of them. */
  private review(server: string, tools: readonly Tool[]): ReadonlyMap<string, ToolHold> | undefined {
    if (!this.gate || tools.length === 0) return undefined;
    try {
      return this.gate.review(server, tools);
    } catch (error) {
      const reason = errorMessage(error);
      this.logger.error(`server "${server}": its tools are held back, the pin check failed: ${reason}`);
      const hold = failedGate(server, reason);
      return new Map(tools.map(tool => [tool.name, hold]));
    }
  }

  private suggest(name: string, names: string[]): string {
    if (names.length === 0) return '; no tools are available (is every server down? see manifold doctor)';
    const suggestions = suggestNames(name, names, nameSeparator);
    if (suggestions.length > 0) return `; did you mean ${suggestions.map(candidate => `"${candidate}"`).join(', ')}?`;
    return '; list the tools to see what exists';
  }

  private rebuild(...changes: CatalogChange[]): void {
    const clashes: string[] = [];
    const tools: CatalogTool[] = [];
    const toolIndex = new Map<string, CatalogTool>();
    const prompts: CatalogPrompt[] = [];
    const promptIndex = new Map<string, CatalogPrompt>();
    const resources: CatalogResource[] = [];
    const resourceIndex = new Map<string, CatalogResource>();
    const templates: CatalogResourceTemplate[] = [];
    const held = new Map<string, HeldTool>();

    for (const upstream of this.upstreams) {
      if (upstream.state.kind === 'stopped') continue;
      const { config, name } = upstream;
      const keep = createNameFilter(config.include, config.exclude);
      // The config's corrections of wrong or missing annotations (servers.<name>.annotations): every list,
      // view, search and workflow sees the corrected hints.
      const correct = createAnnotationCorrector(config.annotations);
      const snapshot = upstream.snapshot;
      const kept = snapshot.tools.filter(tool => typeof tool?.name === 'string' && keep(tool.name));
      const holds = this.review(name, kept);
      for (const tool of kept) {
        const publicName = toPublicName(name, tool.name, config.prefix);
        const existing = toolIndex.get(publicName);
        if (existing) {
          clashes.push(`tool "${publicName}" is served by both "${existing.upstream}" and "${name}"; "${existing.upstream}" keeps it (set prefix: true on one of them, or exclude the tool)`);
          continue;
        }
        const corrected = correct ? correct(tool) : tool;
        const entry: CatalogTool = {
          name: publicName,
          upstream: name,
          originalName: tool.name,
          definition: publicName === tool.name ? corrected : { ...corrected, name: publicName },
          descriptionHash: hashDefinition(tool)
        };
        const hold = holds?.get(tool.name);
        if (hold) {
          held.set(publicName, { tool: entry, hold });
          continue;
        }
        tools.push(entry);
        toolIndex.set(publicName, entry);
      }
      for (const prompt of snapshot.prompts) {
        if (typeof prompt?.name !== 'string') continue;
        const publicName = toPublicName(name, prompt.name, config.prefix);
        const existing = promptIndex.get(publicName);
        if (existing) {
          clashes.push(`prompt "${publicName}" is served by both "${existing.upstream}" and "${name}"; "${existing.upstream}" keeps it`);
          continue;
        }
        const entry: CatalogPrompt = {
          name: publicName,
          upstream: name,
          originalName: prompt.name,
          definition: publicName === prompt.name ? prompt : { ...prompt, name: publicName }
        };
        prompts.push(entry);
        promptIndex.set(publicName, entry);
      }
      for (const resource of snapshot.resources) {
        if (typeof resource?.uri !== 'string') continue;
        const existing = resourceIndex.get(resource.uri);
        if (existing) {
          if (existing.upstream !== name) clashes.push(`resource "${resource.uri}" is listed by both "${existing.upstream}" and "${name}"; "${existing.upstream}" serves it`);
          continue;
        }
        const entry: CatalogResource = { uri: resource.uri, upstream: name, definition: resource };
        resources.push(entry);
        resourceIndex.set(resource.uri, entry);
      }
      for (const template of snapshot.resourceTemplates) {
        if (typeof template?.uriTemplate !== 'string') continue;
        templates.push({ uriTemplate: template.uriTemplate, upstream: name, definition: template, matcher: compileTemplate(template.uriTemplate) });
      }
    }

    // Upstream tools only: the gateway's own (workflows) are the operator's.
    const reasons = this.withhold?.(tools) ?? new Map<string, string>();
    const withheld = new Map<string, { tool: CatalogTool; reason: string }>();
    for (const [name, reason] of reasons) {
      const tool = toolIndex.get(name);
      if (tool) withheld.set(name, { tool, reason });
      toolIndex.delete(name);
    }
    if (withheld.size > 0) tools.splice(0, tools.length, ...tools.filter(tool => !withheld.has(tool.name)));
    this.withheld = withheld;

    for (const [source, localTools] of this.localSources) {
      for (const local of localTools) {
        const name = local.definition.name;
        const existing = toolIndex.get(name);
        if (existing) {
          clashes.push(`tool "${name}" of ${source} has the name of a tool of "${existing.upstream}"; "${existing.upstream}" keeps it (rename one of them)`);
          continue;
        }
        const entry: CatalogTool = {
          name,
          upstream: source,
          local,
          originalName: name,
          definition: local.definition,
          descriptionHash: hashDefinition(local.definition)
        };
        tools.push(entry);
        toolIndex.set(name, entry);
      }
    }

    for (const clash of clashes) if (!this.clashes.includes(clash)) this.logger.error(clash);
    // The owner of a clashing name is the first server in config order, whenever it connects. If that is
    // after another one served the name, calls now go elsewhere: say so, never silently.
    for (const [name, entry] of toolIndex) {
      const before = this.toolIndex.get(name);
      if (before && !before.local && !entry.local && before.upstream !== entry.upstream && clashes.some(clash => clash.startsWith(`tool "${name}" `))) {
        this.logger.error(
          `tool "${name}": calls now go to "${entry.upstream}" (first in the config, just connected), no longer to "${before.upstream}"; set prefix: true on one of them, or exclude the tool from one`
        );
      }
    }
    this.clashes = clashes;
    this.toolList = tools;
    this.toolIndex = toolIndex;
    this.promptList = prompts;
    this.promptIndex = promptIndex;
    this.resourceList = resources;
    this.resourceIndex = resourceIndex;
    this.templateList = templates;
    this.heldIndex = held;
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          this.logger.error('catalog listener failed', { error: errorMessage(error) });
        }
      }
    }
  }
}

/** A gate that fails holds back the server's every tool (fail closed), saying why. */
function failedGate(server: string, reason: string): ToolHold {
  return {
    state: 'unchecked',
    refusal: name =>
      new ManifoldError('INTERNAL', `tool "${name}" is held back: its definition could not be checked against its pin (${reason}); see the gateway's log`, {
        data: { tool: name, server }
      })
  };
}

/** What a read of an unknown resource is answered (and of one the caller's rules hide, in the same words). */
export function resourceNotFoundError(uri: string): ManifoldError {
  return new ManifoldError('RESOURCE_NOT_FOUND', `Resource ${uri} not found: no server lists it or a template that matches it`, {
    data: { uri }
  });
}

function compileTemplate(template: string): UriTemplate | undefined {
  try {
    return new UriTemplate(template);
  } catch {
    return undefined;
  }
}

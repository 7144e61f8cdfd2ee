import { createApiKey, hashApiKey } from '../auth/index.js';
import { loadSigningKey, verifyAudit } from '../audit/index.js';
import type { CatalogTool } from '../catalog/index.js';
import { keyNamePattern } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';
import type { DownstreamContext, GatewayResult } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import { countToolTokens } from '../discovery/index.js';
import { type GatewayCore, viewNames, viewOf } from '../gateway/index.js';
import type { AuditRow, RunSummary } from '../store/index.js';
import type { UsageGroup } from '../usage/index.js';
import type { ConsoleStores } from './console-stores.js';
import { searchReport, type SearchReport, toolReports, viewsReport } from './data/catalog-reports.js';
import { configKeys, keyReports, usageReport, usageSeries } from './data/record-reports.js';
import { diagnoseServer, serversReport, serverStateOf } from './data/server-reports.js';
import type { ConsoleProviders } from './providers.js';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `since`: a span back from now (`30m`, `24h`, `7d`) or a date; epoch ms. Throws INVALID_PARAMS naming the field. */
export function parseSince(text: string, now: number): number {
  const span = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (span) return now - Number(span[1]) * (units[span[2] as string] as number);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!Number.isNaN(date)) return date;
  throw new ManifoldError('INVALID_PARAMS', `since: expected a span back from now (30m, 24h, 7d) or a date (2026-12-01), got "${text}"`);
}

/** `/console/api/…` answers and the pages read the same data, through this (and the CLI's --json through ./data/). */
export class ConsoleData {
  /** Token counts of tool definitions, by name and definition hash (counting is the costly part of the catalog page). */
  private readonly tokenCache = new Map<string, { hash: string; tokens: number }>();

  constructor(
    readonly core: GatewayCore,
    readonly stores: ConsoleStores,
    readonly providers: ConsoleProviders,
    readonly configPath: string | undefined,
    readonly now: () => number
  ) {}

  servers() {
    return serversReport(this.core, this.configPath);
  }

  private upstream(name: string) {
    const upstream = this.core.upstreams.get(name);
    if (!upstream) {
      const disabled = this.core.config.servers[name] !== undefined;
      throw new ManifoldError('INVALID_PARAMS', disabled ? `server "${name}" is disabled in the config (enabled: false); enable it there and restart the gateway` : `no server "${name}"; servers: ${[...this.core.upstreams.keys()].join(', ')}`);
    }
    return upstream;
  }

  /** Restart (drop the session, connect now), disable (stop: its tools leave the catalog) or enable (start) a server. */
  async serverAction(name: string, action: string) {
    const upstream = this.upstream(name);
    switch (action) {
      case 'restart':
        await upstream.reconnectNow();
        break;
      case 'disable':
        await upstream.stop();
        break;
      case 'enable':
        if (upstream.state.kind === 'stopped') await upstream.start();
        break;
      default:
        throw new ManifoldError('INVALID_PARAMS', `unknown server action "${action}": restart, disable or enable`);
    }
    const report = upstream.state.kind === 'ready' ? await diagnoseServer(upstream) : serverStateOf(upstream);
    return { message: `${name}: ${action} done; now ${report.state}${report.error ? ` (${report.error})` : ''}`, server: report };
  }

  tokensOf(tool: CatalogTool): number {
    const cached = this.tokenCache.get(tool.name);
    if (cached && cached.hash === tool.descriptionHash) return cached.tokens;
    const tokens = countToolTokens(tool.definition);
    this.tokenCache.set(tool.name, { hash: tool.descriptionHash, tokens });
    return tokens;
  }

  tools(withTokens: boolean) {
    return toolReports(this.core, withTokens);
  }

  tool(name: string): CatalogTool {
    // A tool pinning holds back (changed, pending, blocked) has its page too: that is where it is approved.
    const tool = this.core.catalog.tools.find(entry => entry.name === name) ?? this.core.catalog.findHeld(name)?.tool;
    if (!tool) throw new ManifoldError('INVALID_PARAMS', `no tool "${name}" in the catalog (the Catalog page lists them)`);
    return tool;
  }

  viewNames(): string[] {
    return viewNames(this.core);
  }

  /** The ranking of each view (or of one), as `manifold search --json` prints it per view. */
  async search(query: string, view: string | undefined, limit: number): Promise<Array<{ view: string; matches: SearchReport[] }>> {
    const all = this.viewNames();
    if (view && !all.includes(view)) throw new ManifoldError('INVALID_PARAMS', `no view "${view}"; views: ${all.join(', ')}`);
    const names = view ? [view] : all;
    return Promise.all(names.map(async name => ({ view: name, matches: await searchReport(this.core, name, query, { limit }) })));
  }

  views() {
    return viewsReport(this.core);
  }

  /** What each view's tools/list holds, by view. */
  listedTools(): Map<string, string[]> {
    return new Map(this.viewNames().map(name => [name, viewOf(this.core, name).listTools().map(tool => tool.name)]));
  }

  /**
   * Calls a tool through the gateway's pipeline as the admin (rules, limits, audit, usage apply as to a client);
   * the console is the client: no progress, logs dropped, cancelled after the server's timeout.
   */
  async callTool(name: string, args: Record<string, unknown>, who: string): Promise<{ result: GatewayResult; ms: number; text: string | undefined }> {
    this.tool(name);
    // Audited and ruled as the console's admin: `console:<who>`.
    const principal: Principal = { name: `console:${who}`, kind: 'local' };
    const signal = AbortSignal.timeout(this.core.config.gateway.timeout + 5000);
    const downstream: DownstreamContext = {
      era: 'legacy',
      sessionId: `console:${who}`,
      requestScoped: true,
      principal,
      signal,
      clientCapabilities: {},
      progressToken: undefined,
      notify: async () => {},
      log: () => {}
    };
    const started = performance.now();
    const result = await this.core.pipeline({ method: 'tools/call', params: { name, arguments: args }, downstream });
    const ms = Math.round(performance.now() - started);
    const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
    const texts = content.filter(block => block.type === 'text' && typeof block.text === 'string').map(block => block.text as string);
    return { result, ms, text: texts.length > 0 ? texts.join('\n') : undefined };
  }

  runs(filters: { limit: number; workflow?: string | undefined; status?: string | undefined; kind?: string | undefined }): RunSummary[] {
    const store = this.core.workflows.store;
    if (!store) return [];
    // Filters the store has not are applied to a wider window of recent runs.
    const wide = filters.status || filters.kind ? Math.max(filters.limit * 10, 500) : filters.limit;
    return store
      .listRuns({ limit: wide, ...(filters.workflow ? { workflow: filters.workflow } : {}) })
      .filter(run => !filters.status || run.status === filters.status)
      .filter(run => !filters.kind || (run.kind ?? 'workflow') === filters.kind)
      .slice(0, filters.limit);
  }

  /** One run and its steps, as `manifold runs <id> --json`. */
  run(id: string) {
    const found = this.core.workflows.store?.getRun(id);
    if (!found) throw new ManifoldError('INVALID_PARAMS', `no run "${id}" (the Runs page lists the recent ones)`);
    return found;
  }

  partialResults(id: string): Record<string, unknown> | undefined {
    return this.core.workflows.runs.status(id)?.partial_results;
  }

  async cancelRun(id: string) {
    const report = await this.core.workflows.runs.cancel(id);
    return { message: `run ${id} is ${report.status}`, run: report, reload: true };
  }

  /** Resumes a run in the background, as the gateway (its result is in the run store when it ends). */
  resumeRun(id: string, who: string) {
    const downstream: DownstreamContext = {
      era: 'legacy',
      sessionId: `console:${who}`,
      signal: new AbortController().signal,
      clientCapabilities: {},
      progressToken: undefined,
      notify: async () => {},
      log: () => {}
    };
    const outcome = this.core.workflows.runs.resume(id, { force: false }, downstream);
    if (!outcome.done) {
      const text = (outcome.refused.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? 'refused';
      throw new ManifoldError('INVALID_PARAMS', text);
    }
    outcome.done.catch(() => {});
    return { message: `run ${id} resumed; it goes on in the background`, reload: true };
  }

  audit(filters: { since?: number | undefined; tool?: string | undefined; server?: string | undefined; principal?: string | undefined; limit: number }): AuditRow[] | undefined {
    const store = this.stores.audit();
    if (!store) return undefined;
    return store.query({
      ...(filters.since !== undefined ? { since: filters.since } : {}),
      ...(filters.tool ? { tool: filters.tool } : {}),
      ...(filters.server ? { server: filters.server } : {}),
      ...(filters.principal ? { principal: filters.principal } : {}),
      limit: filters.limit
    });
  }

  /** `manifold audit verify --json`, with a sentence for the page. */
  verifyAudit() {
    const store = this.stores.audit();
    if (!store) throw new ManifoldError('INVALID_PARAMS', `no audit log in ${this.stores.path} yet: it is written once the gateway answers a request`);
    const key = this.core.config.audit.signingKey;
    const signer = key !== undefined ? loadSigningKey(key, this.configPath) : undefined;
    const result = verifyAudit(store, signer);
    const message = result.ok
      ? `audit log intact: rows ${result.from + 1}–${result.last} (${result.rows}) chained, ${result.checkpoints} checkpoint(s)${signer ? `, ${result.signed} signature(s) verified` : ' (unsigned)'}`
      : `audit log tampered (${result.problem?.kind}): ${result.problem?.message}`;
    return { ...result, message };
  }

  usage(by: UsageGroup, since: number) {
    const rows = this.stores.usage()?.usageSince(since) ?? [];
    return { report: usageReport(rows, by, since, this.stores.path), series: usageSeries(rows, by, since, this.now()) };
  }

  keys() {
    return keyReports(this.core.config, this.stores.keys(), this.now());
  }

  /** Makes a store key (as `manifold keys create`); the key is in the answer, once. */
  createKey(body: { name?: unknown; views?: unknown; scopes?: unknown; expires?: unknown }) {
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!keyNamePattern.test(name)) throw new ManifoldError('INVALID_PARAMS', `name: 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit; got "${name}"`);
    if (configKeys(this.core.config).some(key => key.name === name)) throw new ManifoldError('INVALID_PARAMS', `the config already has a key named "${name}" (auth.keys); choose another name`);
    const list = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? [...new Set(value.split(',').map(item => item.trim()).filter(Boolean))] : undefined);
    const views = list(body.views);
    for (const view of views ?? []) if (!this.viewNames().includes(view)) throw new ManifoldError('INVALID_PARAMS', `views: no view "${view}"; views: ${this.viewNames().join(', ')}`);
    const scopes = list(body.scopes);
    const expiresAt = typeof body.expires === 'string' && body.expires.trim() !== '' ? parseExpires(body.expires, this.now()) : undefined;
    const store = this.stores.keys(true);
    if (!store) throw new ManifoldError('INVALID_PARAMS', 'store.path is ":memory:": keys made here could not be kept; put keys in auth.keys');
    const key = createApiKey();
    store.createKey({ name, hash: hashApiKey(key), views, scopes, createdAt: this.now(), expiresAt });
    return { name, key, views, scopes, expiresAt: expiresAt !== undefined ? new Date(expiresAt).toISOString() : undefined, message: `key "${name}" created; it is shown this once: ${key}` };
  }

  revokeKey(name: string) {
    if (configKeys(this.core.config).some(key => key.name === name)) throw new ManifoldError('INVALID_PARAMS', `"${name}" is a key of the config (auth.keys): remove it there and restart the gateway`);
    if (!this.stores.keys()?.revokeKey(name, this.now())) throw new ManifoldError('INVALID_PARAMS', `no active key "${name}" in the store`);
    return { message: `key "${name}" revoked; the gateway refuses it from its next request`, reload: true };
  }
}

function parseExpires(text: string, now: number): number {
  const lifetime = /^(\d+)\s*(d|h|m)$/.exec(text.trim());
  if (lifetime) return now + Number(lifetime[1]) * (units[lifetime[2] as string] as number);
  const date = Date.parse(text);
  if (Number.isNaN(date) || date <= now) throw new ManifoldError('INVALID_PARAMS', `expires: a lifetime (30d, 12h, 90m) or a future date (2027-01-31), got "${text}"`);
  return date;
}

import { ManifoldError } from '../core/errors.js';
import { usageGroups, type UsageGroup } from '../usage/index.js';
import { parseSince, type ConsoleData } from './console-data.js';
import { approvalsPage, keysPage } from './pages/admin-pages.js';
import { auditPage } from './pages/audit-page.js';
import { catalogPage } from './pages/catalog-page.js';
import { runPage } from './pages/run-page.js';
import { runsPage } from './pages/runs-page.js';
import { serversPage } from './pages/servers-page.js';
import { toolPage } from './pages/tool-page.js';
import { usagePage } from './pages/usage-page.js';
import { viewsPage } from './pages/views-page.js';
import type { ConsolePage } from './render/layout.js';
import type { Html } from './render/html.js';

/** A page to send: its title, the navigation entry it belongs to, its body. */
export interface RenderedPage {
  title: string;
  active: ConsolePage;
  body: Html;
}

/** The page at `/console/<segments>` (GET), or undefined for none. Reads through `ConsoleData`, as the API does. */
export async function renderPage(data: ConsoleData, segments: readonly string[], params: URLSearchParams): Promise<RenderedPage | undefined> {
  const [page, name, ...rest] = segments;
  if (rest.length > 0) return undefined;
  switch (page) {
    case 'servers': {
      if (name !== undefined) return undefined;
      const report = await data.servers();
      return { title: 'Servers', active: 'servers', body: serversPage(report.servers, report.disabled, report.tools) };
    }
    case 'catalog': {
      if (name !== undefined) return undefined;
      const query = (params.get('q') ?? '').trim();
      const view = params.get('view') ?? '';
      const results = query === '' ? [] : await data.search(query, view || undefined, 8);
      const pins = data.providers.pins?.states();
      return {
        title: 'Catalog and search',
        active: 'catalog',
        body: catalogPage({ tools: [...data.core.catalog.tools, ...data.core.catalog.heldTools.map(held => held.tool)], tokensOf: tool => data.tokensOf(tool), pins, views: data.viewNames(), query, view, results, filter: params.get('filter') ?? '', page: Number(params.get('page') || 1) || 1 })
      };
    }
    case 'tools': {
      if (name === undefined) return undefined;
      const tool = data.tool(name);
      const pins = data.providers.pins;
      const pin = pins ? (pins.states().get(name) ?? null) : undefined;
      const diff = pins && pin && (pin.state === 'changed' || pin.state === 'blocked') ? await pins.diff(name) : undefined;
      return { title: tool.name, active: 'catalog', body: toolPage({ tool, tokens: data.tokensOf(tool), pin, diff }) };
    }
    case 'views':
      if (name !== undefined) return undefined;
      return { title: 'Views', active: 'views', body: viewsPage(data.views(), data.listedTools()) };
    case 'runs': {
      if (name !== undefined) {
        const found = data.run(name);
        return { title: `Run ${name}`, active: 'runs', body: runPage({ ...found, partial: data.partialResults(name), now: data.now() }) };
      }
      const filters = { workflow: params.get('workflow') ?? '', status: params.get('status') ?? '', kind: params.get('kind') ?? '' };
      const runs = data.runs({ limit: 100, ...filters });
      return { title: 'Runs', active: 'runs', body: runsPage(runs, filters, [...data.core.workflows.workflows.keys()]) };
    }
    case 'approvals':
      if (name !== undefined) return undefined;
      return { title: 'Approvals', active: 'approvals', body: approvalsPage(data.providers.approvals ? await data.providers.approvals.list() : undefined) };
    case 'audit': {
      if (name !== undefined) return undefined;
      const filters = { since: params.get('since') ?? '', tool: params.get('tool') ?? '', server: params.get('server') ?? '', principal: params.get('principal') ?? '', limit: Number(params.get('limit') || 100) };
      if (!Number.isInteger(filters.limit) || filters.limit < 1) throw new ManifoldError('INVALID_PARAMS', `limit: a whole number above 0, got "${params.get('limit')}"`);
      const rows = data.audit({ ...filters, since: filters.since ? parseSince(filters.since, data.now()) : undefined });
      return { title: 'Audit log', active: 'audit', body: auditPage(rows, filters) };
    }
    case 'usage': {
      if (name !== undefined) return undefined;
      const by = (params.get('by') || 'tool') as UsageGroup;
      if (!usageGroups.includes(by)) throw new ManifoldError('INVALID_PARAMS', `by: one of ${usageGroups.join(', ')}, got "${by}"`);
      const since = params.get('since') || '24h';
      const usage = data.usage(by, parseSince(since, data.now()));
      return { title: 'Usage', active: 'usage', body: usagePage(usage.report, usage.series, usageGroups, since) };
    }
    case 'keys': {
      if (name !== undefined) return undefined;
      const auth = data.core.config.auth;
      return { title: 'API keys', active: 'keys', body: keysPage(data.keys(), data.viewNames(), auth !== undefined && auth !== 'none') };
    }
    default:
      return undefined;
  }
}

import { ManifoldError } from '../core/errors.js';
import { type UsageGroup, usageGroups } from '../usage/index.js';
import type { ConsoleData } from './console-data.js';
import { parseSince } from './console-data.js';

/** An API answer: status and JSON body. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });

/** The endpoints of `/console/api`, as `GET /console/api` lists them (docs/CONSOLE.md "The admin API"). */
export const apiEndpoints = [
  'GET  /console/api/servers                       manifold doctor --json',
  'POST /console/api/servers/<name>/restart|disable|enable',
  'GET  /console/api/tools[?tokens=1]              manifold tools --json [--tokens]',
  'GET  /console/api/tools/<name>                  one tool (with tokens and pin state)',
  'POST /console/api/tools/<name>/call             {"arguments": {...}}: a call through the pipeline',
  'POST /console/api/tools/<name>/approve|block    (with a pin provider)',
  'GET  /console/api/search?q=&view=&limit=        manifold search --json, per view',
  'GET  /console/api/views                         manifold views --json',
  'GET  /console/api/runs?limit=&workflow=&status=&kind=   manifold runs --json',
  'GET  /console/api/runs/<id>                     manifold runs <id> --json, with partial_results',
  'POST /console/api/runs/<id>/cancel|resume',
  'GET  /console/api/audit?since=&tool=&server=&principal=&limit=   manifold audit --json',
  'POST /console/api/audit/verify                  manifold audit verify --json',
  'GET  /console/api/usage?by=&since=              manifold usage --json, with hourly series',
  'GET  /console/api/keys                          manifold keys list --json',
  'POST /console/api/keys                          {"name", "views"?, "scopes"?, "expires"?}: manifold keys create --json',
  'POST /console/api/keys/<name>/revoke',
  'GET  /console/api/approvals                     (with an approval provider)',
  'POST /console/api/approvals/<id>/approve|deny'
];

function notAvailable(what: string): ApiAnswer {
  return { status: 404, body: { error: `${what} are not available in this gateway (no provider is configured in this build)` } };
}

function wholeNumber(text: string | null, fallback: number, name: string): number {
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new ManifoldError('INVALID_PARAMS', `${name}: a whole number from 1 to 100000, got "${text}"`);
  return value;
}

/**
 * One `/console/api/…` request (past sign-in and the CSRF check): `segments` are the decoded path segments after
 * `api`. The same data as the pages and the CLI's `--json`.
 */
export async function answerApi(data: ConsoleData, method: string, segments: readonly string[], params: URLSearchParams, body: Record<string, unknown>, who: string): Promise<ApiAnswer> {
  const [resource, name, action, ...rest] = segments;
  if (rest.length > 0) return { status: 404, body: { error: `no such endpoint; GET /console/api lists them` } };
  const get = method === 'GET' && action === undefined;
  const post = method === 'POST';
  switch (resource) {
    case undefined:
      if (method === 'GET') return ok({ endpoints: apiEndpoints });
      break;
    case 'servers':
      if (get && name === undefined) return ok(await data.servers());
      if (post && name !== undefined && action !== undefined) return ok(await data.serverAction(name, action));
      break;
    case 'tools': {
      if (get && name === undefined) return ok(data.tools(params.get('tokens') === '1' || params.get('tokens') === 'true'));
      if (name === undefined) break;
      const pins = data.providers.pins;
      if (get) {
        const tool = data.tool(name);
        return ok({ server: tool.upstream, originalName: tool.originalName, tokens: data.tokensOf(tool), ...(pins ? { pin: pins.states().get(name) ?? null } : {}), ...tool.definition });
      }
      if (post && action === 'call') {
        const args = body.arguments ?? {};
        if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new ManifoldError('INVALID_PARAMS', 'arguments: a JSON object');
        return ok(await data.callTool(name, args as Record<string, unknown>, who));
      }
      if (post && (action === 'approve' || action === 'block')) {
        if (!pins) return notAvailable('tool pins');
        data.tool(name);
        await (action === 'approve' ? pins.approve(name, who) : pins.block(name, who));
        return ok({ message: `${name}: ${action === 'approve' ? 'approved' : 'blocked'}`, pin: pins.states().get(name) ?? null, reload: true });
      }
      if (method === 'GET' && action === 'diff') {
        if (!pins) return notAvailable('tool pins');
        return ok((await pins.diff(name)) ?? null);
      }
      break;
    }
    case 'search':
      if (get && name === undefined) {
        const query = (params.get('q') ?? '').trim();
        if (query === '') throw new ManifoldError('INVALID_PARAMS', 'q: give a query, e.g. ?q=add+two+numbers');
        return ok({ query, results: await data.search(query, params.get('view') || undefined, wholeNumber(params.get('limit'), 10, 'limit')) });
      }
      break;
    case 'views':
      if (get && name === undefined) return ok(data.views());
      break;
    case 'runs':
      if (get && name === undefined) {
        return ok(data.runs({ limit: wholeNumber(params.get('limit'), 50, 'limit'), workflow: params.get('workflow') || undefined, status: params.get('status') || undefined, kind: params.get('kind') || undefined }));
      }
      if (get && name !== undefined) return ok({ ...data.run(name), partial_results: data.partialResults(name) ?? {} });
      if (post && name !== undefined && action === 'cancel') return ok(await data.cancelRun(name));
      if (post && name !== undefined && action === 'resume') return ok(data.resumeRun(name, who));
      break;
    case 'audit':
      if (get && name === undefined) {
        const since = params.get('since');
        return ok(
          data.audit({
            since: since ? parseSince(since, data.now()) : undefined,
            tool: params.get('tool') || undefined,
            server: params.get('server') || undefined,
            principal: params.get('principal') || undefined,
            limit: wholeNumber(params.get('limit'), 100, 'limit')
          }) ?? []
        );
      }
      if (post && name === 'verify' && action === undefined) return ok(data.verifyAudit());
      break;
    case 'usage':
      if (get && name === undefined) {
        const by = (params.get('by') || 'tool') as UsageGroup;
        if (!usageGroups.includes(by)) throw new ManifoldError('INVALID_PARAMS', `by: one of ${usageGroups.join(', ')}, got "${by}"`);
        const usage = data.usage(by, parseSince(params.get('since') || '24h', data.now()));
        return ok({ ...usage.report, series: usage.series });
      }
      break;
    case 'keys':
      if (get && name === undefined) return ok(data.keys());
      if (post && name === undefined) return ok(data.createKey(body));
      if (post && name !== undefined && action === 'revoke') return ok(data.revokeKey(name));
      break;
    case 'approvals': {
      const approvals = data.providers.approvals;
      if (!approvals) return notAvailable('approvals');
      if (get && name === undefined) return ok(await approvals.list());
      if (post && name !== undefined && (action === 'approve' || action === 'deny')) {
        await (action === 'approve' ? approvals.approve(name, who) : approvals.deny(name, who));
        return ok({ message: `${action === 'approve' ? 'approved' : 'denied'}`, reload: true });
      }
      break;
    }
  }
  return { status: method === 'GET' || method === 'POST' ? 404 : 405, body: { error: `no ${method} ${['/console/api', ...segments].join('/')}; GET /console/api lists the endpoints` } };
}

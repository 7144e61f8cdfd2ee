import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { errorMessage, ManifoldError } from '../core/errors.js';
import type { Authenticator, GatewayCore, HttpMount } from '../gateway/index.js';
import { consoleCss } from './assets/console-css.js';
import { consoleJs } from './assets/console-js.js';
import { answerApi } from './console-api.js';
import { type Admin, ConsoleAuth, isSameOrigin, keepsKeyFile, loadAdminKey, passesCsrf, sessionCookieHeader } from './console-auth.js';
import { ConsoleData } from './console-data.js';
import { openServerEvents } from './console-events.js';
import { renderPage } from './console-pages.js';
import { ConsoleStores } from './console-stores.js';
import { loginPage } from './pages/admin-pages.js';
import { type Html, html } from './render/html.js';
import { layout } from './render/layout.js';
import type { ConsoleProviders } from './providers.js';

export interface CreateConsoleOptions {
  /** The config file (audit signing key paths, and what /api/servers reports). */
  configPath: string | undefined;
  /** The store file (usage, audit, keys; the generated admin key beside it). */
  storePath: string;
  /** Pins and approvals, owned elsewhere in the gateway; absent ones are shown as not available. */
  providers?: ConsoleProviders;
  now?: () => number;
}

export interface WebConsole extends HttpMount {
  /** Where the generated admin key is kept, when the config gives none. */
  adminKeyFile: string | undefined;
  /** The admin key made for this process only (no config key, no store file to keep one beside), else undefined. */
  processKey: string | undefined;
}

/** Static assets: the one stylesheet and the one script, with an ETag (they change only with the package). */
const assets = new Map<string, { type: string; text: string; etag: string }>(
  (
    [
      ['console.css', 'text/css; charset=utf-8', consoleCss],
      ['console.js', 'text/javascript; charset=utf-8', consoleJs]
    ] as const
  ).map(([name, type, text]) => [name, { type, text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"` }])
);

/** What every console answer carries: no framing, no sniffing, no referrer, nothing from elsewhere. */
const securityHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY'
};

const maxBodyBytes = 1_048_576;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ManifoldError('INVALID_PARAMS', `the request body is over ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body, null, 2));
}

function sendHtml(res: ServerResponse, status: number, page: Html, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(page.text);
}

function redirect(res: ServerResponse, location: string, extra: Record<string, string> = {}): void {
  res.writeHead(303, { ...securityHeaders, location, 'cache-control': 'no-store', ...extra });
  res.end();
}

/** A `next` to go to after sign-in: a console path of this origin, else the Servers page. */
function safeNext(next: string | null | undefined): string {
  return next && /^\/console\/[^/\\]/.test(next) && !next.startsWith('/console/login') ? next : '/console/servers';
}

/**
 * The web console (docs/CONSOLE.md), mounted by the HTTP face at `/console`: server-rendered pages, a JSON admin
 * API at `/console/api`, server states live at `/console/events`, and the two assets. Only an admin gets past
 * /console/login (the admin key, or a credential of `auth:` with `console.adminScope`); state-changing requests
 * need the session's CSRF token and a JSON body.
 */
export function createConsole(core: GatewayCore, options: CreateConsoleOptions): WebConsole {
  const settings = core.config.console;
  const adminKey = loadAdminKey(settings, options.storePath);
  const now = options.now ?? Date.now;
  const auth = new ConsoleAuth(adminKey, settings, now);
  const stores = new ConsoleStores(options.storePath);
  const data = new ConsoleData(core, stores, options.providers ?? {}, options.configPath, now);
  const logger = core.logger.child('console');
  const streams = new Set<() => void>();
  const gateway = core.config.gateway.name;

  const signInAs = async (key: string, authenticator: Authenticator): Promise<string | undefined> => {
    if (auth.isAdminKey(key)) return 'admin';
    if (!authenticator.enabled || !/^[A-Za-z0-9\-._~+/]+=*$/.test(key)) return undefined;
    const principal = await authenticator.identify({ headers: { authorization: `Bearer ${key}` } } as IncomingMessage);
    return principal?.scopes?.includes(settings.adminScope) ? principal.name : undefined;
  };

  const handleLogin = async (req: IncomingMessage, res: ServerResponse, url: URL, authenticator: Authenticator): Promise<void> => {
    if (req.method === 'GET') return sendHtml(res, 200, layout({ title: 'Sign in', gateway, body: loginPage(undefined, safeNext(url.searchParams.get('next'))) }));
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'GET the sign-in page or POST the key' }, { allow: 'GET, POST' });
    if (!isSameOrigin(req)) return sendJson(res, 403, { error: 'sign in from the console\'s own page (the Origin of this request is not the gateway\'s)' });
    const form = new URLSearchParams(await readBody(req));
    const who = await signInAs((form.get('key') ?? '').trim(), authenticator);
    const next = safeNext(form.get('next'));
    if (!who) {
      logger.warn(`console: a sign-in from ${req.socket.remoteAddress ?? '?'} was refused (not the admin key, nor a key with the ${settings.adminScope} scope)`);
      return sendHtml(res, 401, layout({ title: 'Sign in', gateway, body: loginPage('That is not the admin key (nor an API key with the console:admin scope).', next) }));
    }
    const session = auth.signIn(who);
    logger.info(`console: ${who} signed in`);
    redirect(res, next, { 'set-cookie': sessionCookieHeader(session.id, settings.sessionTtl / 1000) });
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, admin: Admin, segments: string[], url: URL): Promise<void> => {
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      if (!passesCsrf(req, admin)) {
        return sendJson(res, 403, { error: 'a state-changing request from a browser session needs the page\'s token in X-Manifold-CSRF and a JSON body (content-type: application/json)' });
      }
      const text = await readBody(req);
      if (text.trim() !== '') {
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ManifoldError('INVALID_PARAMS', 'the body must be a JSON object');
        body = parsed as Record<string, unknown>;
      }
    }
    const answer = await answerApi(data, req.method ?? 'GET', segments, url.searchParams, body, admin.who);
    if (req.method === 'POST' && answer.status < 400) logger.info(`console: ${admin.who} ${req.method} ${url.pathname}`);
    sendJson(res, answer.status, answer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, authenticator: Authenticator): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let segments: string[];
    try {
      segments = url.pathname.split('/').slice(2).filter(Boolean).map(decodeURIComponent);
    } catch {
      return sendJson(res, 400, { error: `malformed path ${url.pathname}` });
    }
    const [first, ...rest] = segments;
    if (first === undefined) return redirect(res, '/console/servers');
    if (first === 'assets') {
      const asset = assets.get(rest.join('/'));
      if (!asset || req.method !== 'GET') return sendJson(res, 404, { error: `no asset ${url.pathname}` });
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, { etag: asset.etag });
        return void res.end();
      }
      res.writeHead(200, { ...securityHeaders, 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache' });
      return void res.end(asset.text);
    }
    if (first === 'login' && rest.length === 0) return handleLogin(req, res, url, authenticator);
    const admin = await auth.identify(req, authenticator);
    if (first === 'logout' && rest.length === 0 && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      if (admin?.session && isSameOrigin(req) && form.get('csrf') === admin.session.csrf) auth.signOut(admin.session.id);
      return redirect(res, '/console/login', { 'set-cookie': sessionCookieHeader('', 0) });
    }
    if (!admin) {
      if (first === 'api' || first === 'events' || req.method !== 'GET') {
        return sendJson(res, 401, { error: 'the console needs the admin credential: sign in at /console/login, or send "Authorization: Bearer <admin key>" (console.adminKey, or an API key with the console:admin scope)' }, { 'www-authenticate': 'Bearer realm="manifold-console"' });
      }
      return redirect(res, `/console/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    }
    try {
      if (first === 'api') return await handleApi(req, res, admin, rest, url);
      if (first === 'events' && rest.length === 0 && req.method === 'GET') {
        const end = openServerEvents(core, res);
        streams.add(end);
        res.on('close', () => streams.delete(end));
        return;
      }
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'pages are read with GET; changes go through /console/api' }, { allow: 'GET' });
      const page = await renderPage(data, segments, url.searchParams);
      if (!page) return sendHtml(res, 404, layout({ title: 'Not found', gateway, csrf: admin.session?.csrf, who: admin.who, active: 'servers', body: notFoundBody(url.pathname) }));
      sendHtml(res, 200, layout({ ...page, gateway, csrf: admin.session?.csrf, who: admin.who }));
    } catch (error) {
      const known = error instanceof ManifoldError && error.code === 'INVALID_PARAMS';
      const invalidJson = error instanceof SyntaxError;
      if (!known && !invalidJson) logger.error(`console: ${req.method ?? ''} ${url.pathname} failed: ${errorMessage(error)}`);
      const status = known || invalidJson ? 400 : 500;
      const message = invalidJson ? `the body is not JSON: ${error.message}` : errorMessage(error);
      if (first === 'api' || req.method !== 'GET') return sendJson(res, status, { error: message });
      sendHtml(res, status, layout({ title: status === 400 ? 'Cannot show this' : 'Something failed', gateway, csrf: admin.session?.csrf, who: admin.who, active: 'servers', body: errorBody(message) }));
    }
  };

  return {
    prefix: '/console',
    adminKeyFile: settings.adminKey === undefined && keepsKeyFile(options.storePath) ? `${options.storePath}.console-key` : undefined,
    processKey: settings.adminKey === undefined && !keepsKeyFile(options.storePath) ? adminKey : undefined,
    handle,
    close: async () => {
      for (const end of [...streams]) end();
      stores.close();
    }
  };
}


function notFoundBody(path: string): Html {
  return html`<p>No console page at <code>${path}</code>.</p>`;
}

function errorBody(message: string): Html {
  return html`<div class="error-box" role="alert">${message}</div>`;
}

/**
 * The web console in a real browser: Debian's chromium driven by playwright-core, against a real gateway
 * (`manifold serve --http`) with the default servers and fixtures. Each page is checked with axe-core (no serious
 * or critical violations) and saved as a screenshot in test-results/console/ (MANIFOLD_DOCS_SCREENSHOTS=1 copies
 * them into docs/console/). No page may log a console error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

import { defaultServers, fixtureServer, manifoldCommand, repoRoot, stopChild, type TempConfig, waitForStderr, writeConfig } from '../helpers/gateway.js';

// Page functions run in the browser, whose globals the Node-only tsconfig does not know.
declare const document: any;
declare const window: any;

const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(path => existsSync(path));
const adminKey = 'console-test-admin-key-0123456789';
const artifacts = join(repoRoot, 'test-results/console');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

describe('web console in chromium', { timeout: 180_000 }, () => {
  let config: TempConfig;
  let gateway: ReturnType<typeof spawn>;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  let browserStarted = 0;

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${origin}/console/api/${path}`, { ...init, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
    return { status: response.status, body: (await response.json()) as any };
  };

  /** axe-core in the page: no serious or critical violations; then a screenshot. */
  const check = async (name: string) => {
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const result = await (window).axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((violation: any) => violation.impact === 'serious' || violation.impact === 'critical')
        .map((violation: any) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node: any) => node.target.join(' ')).slice(0, 3).join('; ')}`);
    });
    assert.deepEqual(violations, [], `axe on ${name}`);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: name !== 'catalog' });
  };

  before(async () => {
    assert.ok(chromiumPath, 'chromium is not installed: apt-get install chromium (scripts/system-packages.mjs does)');
    config = writeConfig({});
    const sandbox = join(config.dir, 'sandbox');
    mkdirSync(sandbox);
    const servers = {
      ...defaultServers(sandbox),
      doomed: fixtureServer('one-life.ts', [join(config.dir, 'doomed.pid')]),
      work: fixtureServer('workflow-tools.ts')
    };
    const yaml = {
      servers,
      store: { path: join(config.dir, 'manifold.db') },
      usage: { enabled: true },
      console: { adminKey },
      workflows: {
        fanout: {
          description: 'Two sleeps at once, then one more',
          input: { type: 'object', properties: {} },
          steps: [
            { id: 'both', parallel: { left: { call: 'work__sleep', with: { ms: 400, label: 'left' } }, right: { call: 'work__sleep', with: { ms: 400, label: 'right' } } } },
            { id: 'after', call: 'work__sleep', with: { ms: 50, label: 'after' } }
          ]
        }
      }
    };
    const { stringify } = await import('yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config.path, stringify(yaml));
    gateway = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', config.path, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { match } = await waitForStderr(gateway, /web console at (http:\/\/\S+)\/console/, 'gateway', 90_000);
    origin = match[1] as string;
    browserStarted = Date.now();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync']
    });
    // bypassCSP: only so that axe-core can be injected; the pages themselves run under the console's CSP.
    context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', message => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', error => consoleErrors.push(`${page.url()}: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    if (browserStarted) process.stderr.write(`console browser part: ${((Date.now() - browserStarted) / 1000).toFixed(1)} s\n`);
    if (gateway) await stopChild(gateway, 10_000);
    await config?.[Symbol.asyncDispose]();
    if (process.env.MANIFOLD_DOCS_SCREENSHOTS === '1' && existsSync(artifacts)) {
      mkdirSync(join(repoRoot, 'docs/console'), { recursive: true });
      for (const name of ['login', 'servers', 'catalog', 'try-it', 'views', 'runs', 'run-timeline', 'audit', 'usage', 'keys', 'approvals']) {
        if (existsSync(join(artifacts, `${name}.png`))) copyFileSync(join(artifacts, `${name}.png`), join(repoRoot, 'docs/console', `${name}.png`));
      }
    }
  });

  it('refuses a request without the admin credential', async () => {
    const apiAnswer = await fetch(`${origin}/console/api/servers`);
    assert.equal(apiAnswer.status, 401);
    const wrongKey = await fetch(`${origin}/console/api/servers`, { headers: { authorization: 'Bearer not-the-admin-key-at-all' } });
    assert.equal(wrongKey.status, 401);
    const pageAnswer = await fetch(`${origin}/console/servers`, { redirect: 'manual' });
    assert.equal(pageAnswer.status, 303);
    assert.match(pageAnswer.headers.get('location') ?? '', /^\/console\/login\?next=/);
    assert.doesNotMatch(await pageAnswer.text(), /everything/);
    // A state-changing request with a session cookie but without the CSRF token is refused, whatever it asks.
    const login = await fetch(`${origin}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: `key=${adminKey}` });
    assert.equal(login.status, 303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const forged = await fetch(`${origin}/console/api/servers/memory/disable`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(forged.status, 403);
    // From another origin the guard answers first.
    const crossSite = await fetch(`${origin}/console/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, body: `key=${adminKey}` });
    assert.equal(crossSite.status, 403);
  });

  it('signs in and shows every server, live: a killed server flips to down within 2 s', async () => {
    await page.goto(`${origin}/console/login`);
    await check('login');
    await page.fill('#key', adminKey);
    await Promise.all([page.waitForURL(/\/console\/servers$/), page.click('#login button[type=submit]')]);
    for (const server of ['everything', 'memory', 'fs', 'doomed', 'work']) {
      assert.equal(await page.locator(`#server-${server} [data-field=status]`).textContent(), 'up', server);
    }
    await page.waitForFunction(() => document.getElementById('live-state')?.textContent === 'connected');
    await check('servers');
    const pid = Number(readFileSync(join(config.dir, 'doomed.pid'), 'utf8'));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await page.waitForFunction(() => document.querySelector('#server-doomed [data-field=status]')?.textContent === 'down', undefined, { timeout: 2000 });
    const flippedMs = Date.now() - killed;
    assert.ok(flippedMs < 2000, `flipped in ${flippedMs} ms`);
    assert.equal(await page.locator('#server-everything [data-field=status]').textContent(), 'up');
  });

  it('searches the catalog: ranked tools with scores per view', async () => {
    await page.goto(`${origin}/console/catalog`);
    await page.fill('#q', 'echo a message back');
    await Promise.all([page.waitForURL(/q=echo/), page.click('form[role=search] button')]);
    const ranked = await page.locator('#search-results ol.ranked li').evaluateAll(items => items.map(item => ({ tool: item.getAttribute('data-tool'), score: Number(item.querySelector('.score')?.textContent) })));
    assert.ok(ranked.length >= 2, 'several results');
    assert.equal(ranked[0]?.tool, 'everything__echo');
    for (let index = 1; index < ranked.length; index++) assert.ok((ranked[index - 1]?.score ?? 0) >= (ranked[index]?.score ?? 0), 'best first');
    assert.ok((await page.locator('#tools tbody tr').count()) > 20);
    await check('catalog');
  });

  it('"try it" on everything__echo calls it through the pipeline and shows the echoed text', async () => {
    await page.goto(`${origin}/console/tools/everything__echo`);
    await page.fill('#arg-message', 'hello from the console');
    await page.click('#try-it button[type=submit]');
    await page.waitForSelector('#try-output');
    assert.match((await page.locator('#try-output').textContent()) ?? '', /Echo: hello from the console/);
    await check('try-it');
    // Through the pipeline: the audit log has the call, by the console's admin.
    const audit = await api('audit?tool=everything__echo');
    assert.ok(audit.body.some((row: any) => row.principal === 'local:console:admin' && row.target === 'everything__echo'), JSON.stringify(audit.body));
  });

  it("a workflow run's timeline shows its parallel branches overlapping", async () => {
    const called = await api('tools/fanout/call', { method: 'POST', body: JSON.stringify({ arguments: {} }) });
    assert.equal(called.status, 200, JSON.stringify(called.body));
    assert.notEqual(called.body.result.isError, true, JSON.stringify(called.body));
    const runs = await api('runs?workflow=fanout');
    const runId = runs.body[0]?.id as string;
    assert.ok(runId, JSON.stringify({ runs: runs.body, called: called.body }).slice(0, 1500));
    await page.goto(`${origin}/console/runs`);
    await check('runs');
    await page.goto(`${origin}/console/runs/${runId}`);
    const bars = await page.locator('#timeline rect[data-path]').evaluateAll(rects => rects.map(rect => ({ path: rect.getAttribute('data-path'), start: Number(rect.getAttribute('data-start')), end: Number(rect.getAttribute('data-end')), x: Number(rect.getAttribute('x')), width: Number(rect.getAttribute('width')) })));
    const left = bars.find(bar => bar.path === 'both.left');
    const right = bars.find(bar => bar.path === 'both.right');
    const afterBar = bars.find(bar => bar.path === 'after');
    assert.ok(left && right && afterBar, JSON.stringify(bars));
    // Overlapping in time and on the screen: each starts before the other ends.
    assert.ok(left.start < right.end && right.start < left.end, JSON.stringify({ left, right }));
    assert.ok(left.x < right.x + right.width && right.x < left.x + left.width);
    // The step after the fan-in starts after both.
    assert.ok(afterBar.start >= Math.max(left.end, right.end) - 1);
    await check('run-timeline');
  });

  it('shows views, audit (verify), usage, keys and approvals', async () => {
    await page.goto(`${origin}/console/views`);
    assert.match((await page.locator('#views').textContent()) ?? '', /\/mcp/);
    await check('views');
    await page.goto(`${origin}/console/audit`);
    await page.click('#verify-audit');
    await page.waitForFunction(() => /intact/.test(document.getElementById('verify-result')?.textContent ?? ''));
    await check('audit');
    await page.goto(`${origin}/console/usage?by=tool`);
    await page.waitForSelector('#usage');
    await check('usage');
    await page.goto(`${origin}/console/keys`);
    await page.fill('#key-name', 'ci-bot');
    await page.click('#create-key button[type=submit]');
    await page.waitForFunction(() => /created/.test(document.getElementById('form-result')?.textContent ?? ''));
    await page.reload();
    assert.match((await page.locator('#keys').textContent()) ?? '', /ci-bot/);
    await check('keys');
    await page.goto(`${origin}/console/approvals`);
    // Wired to the store's queue (console-decisions.test.ts decides on one); none waits here.
    assert.equal(await page.locator('#not-available').count(), 0);
    assert.match((await page.locator('main').textContent()) ?? '', /No calls wait for approval/);
    await check('approvals');
    const queue = await api('approvals');
    assert.equal(queue.status, 200);
    assert.deepEqual(queue.body, []);
  });

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

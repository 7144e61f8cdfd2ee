/**
 * The console's pin and approval pages, wired to the gateway's stores (the same functions as `manifold tools
 * approve` and `manifold approvals grant`), in chromium against a real gateway with real SDK clients: the rug-pull
 * fixture changes a tool, the catalog shows it `changed`, its page the diff, Approve there serves it again without a
 * restart; a client without elicitation gets an approval id, the Approvals page lists it, Approve there lets the
 * retried call run once. axe-core on each page; screenshots in test-results/console/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';
import { type Browser, chromium, type Page } from 'playwright-core';

import { firstText } from '../helpers/fixtures.js';
import { connectHttp, fixtureServer, manifoldCommand, repoRoot, stopChild, type TempConfig, waitFor, waitForStderr, writeConfig } from '../helpers/gateway.js';

declare const document: any;
declare const window: any;

const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(path => existsSync(path));
const adminKey = 'console-decisions-admin-key-0123456789';
const artifacts = join(repoRoot, 'test-results/console');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const textOf = (result: { content?: unknown }) => ((result.content as { text?: string }[] | undefined) ?? []).map(block => block.text ?? '').join('\n');
const names = async (client: Client) => (await client.listTools()).tools.map(tool => tool.name);

describe('console: tool pins and the approval queue, in chromium', { timeout: 300_000 }, () => {
  let config: TempConfig;
  let gateway: ReturnType<typeof spawn>;
  let origin: string;
  let mcpUrl: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const api = async (path: string) => {
    const response = await fetch(`${origin}/console/api/${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    return { status: response.status, body: (await response.json()) as any };
  };

  const check = async (name: string) => {
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations.filter((violation: any) => violation.impact === 'serious' || violation.impact === 'critical').map((violation: any) => `${violation.id} (${violation.impact}): ${violation.help}`);
    });
    assert.deepEqual(violations, [], `axe on ${name}`);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  };

  before(async () => {
    assert.ok(chromiumPath, 'chromium is not installed: apt-get install chromium (scripts/system-packages.mjs does)');
    config = writeConfig({});
    const written = writeConfig({
      servers: {
        rug: fixtureServer('rug-pull.ts', ['--after', '2', '--state', join(config.dir, 'rug-state')]),
        counter: fixtureServer('counter.ts', [join(config.dir, 'calls.txt')])
      },
      store: { path: join(config.dir, 'manifold.db') },
      // The scanner would withhold the turned definition on its own (E001, E005): here only the pin decides.
      security: { approval: { enabled: true }, scan: { onHigh: 'warn' } },
      console: { adminKey }
    });
    const configPath = written.path;
    const dispose = config[Symbol.asyncDispose];
    config = { ...config, path: configPath, [Symbol.asyncDispose]: async () => { await written[Symbol.asyncDispose](); await dispose(); } };
    gateway = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { match } = await waitForStderr(gateway, /serving MCP at (\S+)/, 'gateway', 120_000);
    mcpUrl = match[1] as string;
    origin = new URL(mcpUrl).origin;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'] });
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', message => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', error => consoleErrors.push(`${page.url()}: ${error.message}`));
    await page.goto(`${origin}/console/login`);
    await page.fill('#key', adminKey);
    await Promise.all([page.waitForURL(/\/console\/servers$/), page.click('#login button[type=submit]')]);
  });

  after(async () => {
    await browser?.close();
    if (gateway) await stopChild(gateway, 10_000);
    await config?.[Symbol.asyncDispose]();
    if (process.env.MANIFOLD_DOCS_SCREENSHOTS === '1') {
      for (const name of ['pins-catalog', 'pin-diff', 'approvals-pending']) {
        if (existsSync(join(artifacts, `${name}.png`))) copyFileSync(join(artifacts, `${name}.png`), join(repoRoot, 'docs/console', `${name}.png`));
      }
    }
  });

  it('a rug pull: the catalog shows the tool changed, its page the diff, Approve serves it again without a restart', async () => {
    await using client = await connectHttp(mcpUrl, { era: 'legacy' });
    assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 1, b: 2 } })), '3');
    // The second call turns the server: `add` now carries instructions and a secret-seeking parameter.
    assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 2, b: 2 } })), '4');
    await waitFor(async () => !(await names(client)).includes('rug__add'), 'rug__add to leave the list', 15_000);

    await page.goto(`${origin}/console/catalog`);
    const row = page.locator('#tools tbody tr', { has: page.locator('th', { hasText: 'rug__add' }) });
    assert.equal(await row.locator('.badge').textContent(), 'changed');
    assert.equal(await page.locator('#tools tbody tr', { has: page.locator('th', { hasText: 'rug__echo' }) }).locator('.badge').textContent(), 'approved');
    await check('pins-catalog');

    await page.goto(`${origin}/console/tools/rug__add`);
    const diff = (await page.locator('pre.diff').textContent()) ?? '';
    assert.match(diff, /description: changed\n\s+- Adds two numbers/, diff);
    assert.match(diff, /\+ .*<IMPORTANT>/, diff);
    assert.match(diff, /inputSchema\.properties\.sidenote: added/, diff);
    await check('pin-diff');

    await Promise.all([page.waitForEvent('load'), page.click('button[data-post$="/rug__add/approve"]')]);
    assert.match((await page.locator('.badge').first().textContent()) ?? '', /approved/);
    await waitFor(async () => (await names(client)).includes('rug__add'), 'rug__add back after the console approval', 5000);
    assert.equal(firstText(await client.callTool({ name: 'rug__add', arguments: { a: 5, b: 5 } })), '10');

    const audit = await api('audit?tool=rug__add');
    assert.ok(audit.body.some((entry: any) => entry.method === 'manifold/tools.approve' && entry.principal === 'console:admin'), JSON.stringify(audit.body).slice(0, 2000));
  });

  it('a client without elicitation: the Approvals page lists its call, Approve there lets the retry run once', async () => {
    await using client = await connectHttp(mcpUrl, { era: 'legacy', capabilities: {} });
    const asked = await client.callTool({ name: 'counter__write', arguments: { key: 'k1' } });
    assert.equal(asked.isError, true);
    const id = /Approval id: ([0-9a-f]{12})/.exec(textOf(asked))?.[1] as string;
    assert.ok(id, textOf(asked));

    await page.goto(`${origin}/console/approvals`);
    const row = page.locator('#approvals tbody tr', { has: page.locator('th', { hasText: 'counter__write' }) });
    assert.equal(await row.count(), 1);
    assert.match((await row.textContent()) ?? '', /pending/);
    assert.match((await row.textContent()) ?? '', /"key":"k1"|"key": "k1"/);
    await check('approvals-pending');

    await row.locator('button', { hasText: 'Approve' }).click();
    // The line says "working…" while the POST is on its way: wait for its answer.
    await page.waitForFunction(() => {
      const text = document.getElementById('action-result')?.textContent ?? '';
      return /\S/.test(text) && text !== 'working…';
    });
    assert.doesNotMatch((await page.locator('#action-result').getAttribute('class')) ?? '', /error-text/, (await page.locator('#action-result').textContent()) ?? '');
    const listed = await api('approvals');
    assert.equal(listed.body.find((item: any) => item.id === id)?.status, 'granted', JSON.stringify(listed.body));

    const ran = await client.callTool({ name: 'counter__write', arguments: { key: 'k1' } });
    assert.equal(ran.isError, undefined, textOf(ran));
    assert.deepEqual(JSON.parse(textOf(ran)), { key: 'k1', wrote: 1 });
    const next = await client.callTool({ name: 'counter__write', arguments: { key: 'k1' } });
    assert.equal(next.isError, true, 'once: the next retry asks again');
    assert.equal(readFileSync(join(config.dir, 'calls.txt'), 'utf8').split('\n').filter(line => line === 'write k1').length, 1);

    const audit = await api('audit?tool=counter__write');
    assert.ok(audit.body.some((entry: any) => entry.method === 'manifold/approval' && entry.error === `grant ${id} (by console:admin)`), JSON.stringify(audit.body).slice(0, 2000));
  });

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

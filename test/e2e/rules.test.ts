/**
 * Config `rules:` on real connections: stdio and HTTP without `auth:` run as the local principal, so a rule on
 * `principal.name == "local"` shows that every face (stdio and HTTP in both eras, legacy HTTP+SSE) filters lists
 * and refuses calls at the one enforcement point, createDownstreamServer and the pipeline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';


import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { spawn } from 'node:child_process';
import { once } from 'node:events';

import { connectHttp, connectSse, connectStdio, manifoldCommand, fixtureServer, type HttpGatewayProcess, repoRoot, startHttpGateway, type TempConfig, tsEntry, writeConfig } from '../helpers/gateway.js';

const config = {
  servers: { echo: fixtureServer('echo.ts'), fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
  views: { find: { discovery: 'search' } },
  rules: [{ deny: 'principal.name == "local" && server == "echo"' }, { deny: 'principal.kind == "local" && tool == "fix__text" && arguments.text == "no"' }]
};

async function errorMessage(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return (error as Error).message;
  }
  return '(no error)';
}

/** What every face must show the local principal under these rules. */
async function checkFace(client: Client, face: string): Promise<void> {
  const names = (await client.listTools()).tools.map(tool => tool.name);
  assert.ok(names.includes('fix__text'), `${face}: ${names.join()}`);
  assert.ok(!names.some(name => name.startsWith('echo__')), `${face}: ${names.join()}`);
  // Refused as unknown, and no suggestion names the hidden tool.
  const denied = await errorMessage(client.callTool({ name: 'echo__echo', arguments: { message: 'x' } }));
  assert.match(denied, /unknown tool "echo__echo"/, face);
  assert.doesNotMatch(denied, /did you mean[^?]*"echo__echo"/, face);
  // Arguments decide the call.
  const ok = await client.callTool({ name: 'fix__text', arguments: { text: 'yes' } });
  assert.deepEqual(ok.content, [{ type: 'text', text: 'yes' }], face);
  assert.match(await errorMessage(client.callTool({ name: 'fix__text', arguments: { text: 'no' } })), /unknown tool "fix__text"/, face);
}

describe('rules on every face, as the local principal', { timeout: 120_000 }, () => {
  let written: TempConfig;
  let gateway: HttpGatewayProcess;
  before(async () => {
    written = writeConfig(config);
    gateway = await startHttpGateway(written.path);
  });
  after(async () => {
    await gateway?.stop();
    await written?.[Symbol.asyncDispose]();
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`stdio, ${era}`, async () => {
      await using connected = await connectStdio(written.path, { era });
      await checkFace(connected.client, `stdio ${era}`);
    });

    it(`HTTP, ${era}`, async () => {
      await using client = await connectHttp(gateway.url, { era });
      await checkFace(client, `HTTP ${era}`);
    });

    it(`HTTP, ${era}, a search view: retrieve_tools never returns a hidden tool`, async () => {
      await using client = await connectHttp(gateway.url.replace(/\/mcp$/, '/mcp/find'), { era });
      const found = await client.callTool({ name: 'retrieve_tools', arguments: { query: 'echo message text', limit: 50 } });
      const tools = (found.structuredContent as { tools: Array<{ name: string; server: string }> }).tools;
      assert.ok(tools.length > 0);
      assert.deepEqual(tools.filter(tool => tool.server === 'echo'), []);
      const called = await client.callTool({ name: 'call_tool', arguments: { name: 'echo__echo', arguments: { message: 'x' } } });
      assert.equal(called.isError, true);
      assert.match(JSON.stringify(called.content), /No tool named \\"echo__echo\\" in this view/);
    });
  }

  it('legacy HTTP+SSE', async () => {
    await using client = await connectSse(gateway.url.replace(/\/mcp$/, '/sse'));
    await checkFace(client, 'SSE');
  });

  it('HTTP, modern: a list filtered per caller is never marked public for caches', async () => {
    await using withHints = writeConfig({
      servers: { fixture: { command: process.execPath, args: [...tsEntry('test/conformance/fixture-server.ts'), '--stdio'], cwd: repoRoot } },
      rules: [{ deny: 'tool == "fixture__test_simple_text"' }]
    });
    await using hinted = await startHttpGateway(withHints.path);
    await using client = await connectHttp(hinted.url, { era: 'modern' });
    const tools = (await client.request({ method: 'tools/list', params: {} }, ResultSchema)) as { ttlMs?: number; cacheScope?: string; tools: Array<{ name: string }> };
    assert.deepEqual([tools.ttlMs, tools.cacheScope], [60_000, 'private']);
    assert.ok(tools.tools.length > 0);
    assert.ok(!tools.tools.some(tool => tool.name === 'fixture__test_simple_text'));
  });

  it('an invalid rule stops the start, naming its path and the parser\'s words', async () => {
    await using bad = writeConfig({ servers: {}, rules: [{ allow: 'principal.kind == "local"' }, { deny: 'user == "x"' }] });
    const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--config', bad.path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2, stderr);
    assert.match(stderr, /rules\.1\.deny: invalid rule expression: Unknown variable: user/);
  });
});

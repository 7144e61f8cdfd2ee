/**
 * The official MCP Inspector (CLI mode, `npx mcp-inspector --cli`) as a second, independent real client of
 * the gateway: tools/list and tools/call over stdio (the Inspector starts `manifold serve`) and over HTTP, in
 * both protocol eras over HTTP; resources/read and prompts/get; a gateway error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { fixtureServer, manifoldCommand, npmServerPath, repoRoot, startHttpGateway, writeConfig } from '../helpers/gateway.js';

interface InspectorRun {
  code: number | null;
  json: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
}

/** The installed Inspector's launcher (what `npx mcp-inspector` runs), started with node: npx adds about 0.7 s a run. */
const launcher = realpathSync(join(repoRoot, 'node_modules/.bin/mcp-inspector'));

/** Runs `mcp-inspector --cli --format json -q <options> -- <target...>` to completion. */
async function inspector(options: string[], target: string[]): Promise<InspectorRun> {
  const child = spawn(process.execPath, [launcher, '--cli', '--format', 'json', '-q', ...options, '--', ...target], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>(resolve => child.once('close', status => resolve(status)));
  clearTimeout(timer);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code, json, stdout, stderr };
}

const servers = { echo: fixtureServer('echo.ts'), slow: fixtureServer('slow.ts') };

function toolNames(run: InspectorRun): string[] {
  const result = run.json?.result as { tools?: { name: string }[] } | undefined;
  assert.ok(result?.tools, `no tools in the Inspector's output (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return result.tools.map(tool => tool.name).sort();
}

function callText(run: InspectorRun): string {
  const result = run.json?.result as { content?: { type: string; text?: string }[]; isError?: boolean } | undefined;
  assert.ok(result?.content, `no result in the Inspector's output (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  assert.notEqual(result.isError, true);
  return result.content.map(block => block.text ?? '').join('');
}

describe('MCP Inspector CLI against the gateway', { timeout: 180_000 }, () => {
  it('over stdio: tools/list and tools/call', async () => {
    await using config = writeConfig({ servers });
    const target = [manifoldCommand.command, ...manifoldCommand.args, 'serve', '--config', config.path, '--log-level', 'warn'];
    const list = await inspector(['--method', 'tools/list'], target);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(toolNames(list), ['echo__echo', 'slow__last_cancelled', 'slow__log', 'slow__slow']);
    const call = await inspector(['--method', 'tools/call', '--tool-name', 'echo__echo', '--tool-arg', 'message=from the inspector'], target);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(callText(call), 'from the inspector');
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`over HTTP, ${era} era: tools/list and tools/call`, async () => {
      await using config = writeConfig({ servers });
      await using gateway = await startHttpGateway(config.path);
      const list = await inspector(['--method', 'tools/list', '--protocol-era', era], [gateway.url]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(toolNames(list), ['echo__echo', 'slow__last_cancelled', 'slow__log', 'slow__slow']);
      const call = await inspector(
        ['--method', 'tools/call', '--protocol-era', era, '--tool-name', 'slow__slow', '--tool-args-json', '{"ms": 30, "steps": 3}'],
        [gateway.url]
      );
      assert.equal(call.code, 0, call.stderr);
      assert.equal(callText(call), 'slept 30 ms in 3 steps');
    });
  }

  it('over the legacy HTTP+SSE transport (/sse): tools/list and tools/call', async () => {
    await using config = writeConfig({ servers });
    await using gateway = await startHttpGateway(config.path);
    const sseUrl = gateway.url.replace(/\/mcp$/, '/sse');
    const list = await inspector(['--method', 'tools/list', '--transport', 'sse'], [sseUrl]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(toolNames(list), ['echo__echo', 'slow__last_cancelled', 'slow__log', 'slow__slow']);
    const call = await inspector(['--method', 'tools/call', '--transport', 'sse', '--tool-name', 'echo__echo', '--tool-arg', 'message=over SSE'], [sseUrl]);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(callText(call), 'over SSE');
  });

  it('over HTTP, both eras: resources/read and prompts/get of an upstream (the everything server)', async () => {
    await using config = writeConfig({ servers: { everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] } } });
    await using gateway = await startHttpGateway(config.path);
    for (const era of ['legacy', 'modern']) {
      const read = await inspector(['--protocol-era', era, '--method', 'resources/read', '--uri', 'demo://resource/dynamic/text/2'], [gateway.url]);
      assert.equal(read.code, 0, read.stderr);
      const contents = (read.json?.result as { contents?: { uri: string; text?: string }[] } | undefined)?.contents;
      assert.equal(contents?.[0]?.uri, 'demo://resource/dynamic/text/2', read.stdout);
      assert.match(contents?.[0]?.text ?? '', /^Resource 2: /);
      const prompt = await inspector(
        ['--protocol-era', era, '--method', 'prompts/get', '--prompt-name', 'everything__args-prompt', '--prompt-args', 'city=Oslo'],
        [gateway.url]
      );
      assert.equal(prompt.code, 0, prompt.stderr);
      assert.match(JSON.stringify(prompt.json?.result), /What's weather in Oslo\?/);
    }
  });

  it('a gateway error (an upstream that does not answer in time) reaches the Inspector with its message', async () => {
    await using config = writeConfig({ servers: { stuck: fixtureServer('hangs.ts', [], { timeout: '500ms' }) } });
    await using gateway = await startHttpGateway(config.path);
    const call = await inspector(['--method', 'tools/call', '--tool-name', 'stuck__hang'], [gateway.url]);
    assert.notEqual(call.code, 0);
    assert.match(call.stdout + call.stderr, /tool \\?"stuck__hang\\?" on server \\?"stuck\\?" did not answer within 500 ms/);
  });
});

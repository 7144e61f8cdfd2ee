/**
 * What flows back through the gateway without being asked for, in both client eras, with the conformance
 * fixture as the server: log messages (only to the request that caused them, at the client's level),
 * list changes, resource updates; and what must not leak: the server's own identity.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { connectHttp, repoRoot, startHttpGateway, tsEntry, waitFor, writeConfig } from '../helpers/gateway.js';

const fixturePath = 'test/conformance/fixture-server.ts';

/** The fixture over HTTP (both eras), as its own process. */
async function startFixture(): Promise<{ url: string } & AsyncDisposable> {
  const child = spawn(process.execPath, [...tsEntry(fixturePath), '--http', '0'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start:\n${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving at (\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    [Symbol.asyncDispose]: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
}

function collectLogs(client: Client): string[] {
  const logs: string[] = [];
  client.setNotificationHandler('notifications/message', notification => void logs.push(String(notification.params.data)));
  return logs;
}

const logLevel = (level: string) => ({ _meta: { 'io.modelcontextprotocol/logLevel': level } });

describe('relays through the gateway', () => {
  it('2026 clients: logs reach only the request that caused them, only when it asked; identity and cache hints', async () => {
    await using fixture = await startFixture();
    await using config = writeConfig({ servers: { fixture: { type: 'http', url: fixture.url, prefix: false } } });
    await using gateway = await startHttpGateway(config.path);
    await using a = await connectHttp(gateway.url, { era: 'modern' });
    await using b = await connectHttp(gateway.url, { era: 'modern' });
    const logsA = collectLogs(a);
    const logsB = collectLogs(b);

    // A logs three times over ~100 ms; B's call runs at the same time and logs nothing.
    const callA = a.request({ method: 'tools/call', params: { name: 'test_tool_with_logging', arguments: {}, ...logLevel('info') } }, ResultSchema);
    await new Promise(resolve => setTimeout(resolve, 20));
    const callB = b.request({ method: 'tools/call', params: { name: 'test_tool_with_progress', arguments: {}, ...logLevel('debug') } }, ResultSchema);
    await Promise.all([callA, callB]);
    assert.deepEqual(logsA, ['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    assert.deepEqual(logsB, [], 'no log of another request');

    // Without a logLevel there are no logs at all; with one above the messages' level, none either.
    await a.request({ method: 'tools/call', params: { name: 'test_tool_with_logging', arguments: {} } }, ResultSchema);
    await a.request({ method: 'tools/call', params: { name: 'test_tool_with_logging', arguments: {}, ...logLevel('error') } }, ResultSchema);
    assert.equal(logsA.length, 3);

    // The result carries the gateway's identity, not the server's.
    const result = (await a.request({ method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } }, ResultSchema)) as {
      _meta?: Record<string, { name?: string }>;
    };
    assert.notEqual(result._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'manifold-conformance-fixture');
    assert.equal(a.getServerVersion()?.name, 'manifold');

    // The server's caching hints survive (tools/list: 60 s, public).
    const tools = (await a.request({ method: 'tools/list', params: {} }, ResultSchema)) as { ttlMs?: number; cacheScope?: string };
    assert.deepEqual([tools.ttlMs, tools.cacheScope], [60_000, 'public']);

    // A listen stream asking for a resource's updates gets them (the gateway follows the resource upstream).
    const updated: string[] = [];
    let toolsChanged = 0;
    b.setNotificationHandler('notifications/resources/updated', notification => void updated.push(notification.params.uri));
    b.setNotificationHandler('notifications/tools/list_changed', () => void toolsChanged++);
    const subscription = await b.listen({ resourceSubscriptions: ['test://watched-resource'], toolsListChanged: true });
    try {
      await a.callTool({ name: 'test_trigger_resource_update', arguments: {} });
      await waitFor(() => updated.includes('test://watched-resource'), 'resources/updated on the listen stream');
      await a.callTool({ name: 'test_trigger_tool_change', arguments: {} });
      await waitFor(() => toolsChanged > 0, 'tools/list_changed on the listen stream');
    } finally {
      await subscription.close();
    }
  });

  it('2025 clients: the session level reaches a 2026 server; list changes and resource updates come back', async () => {
    await using fixture = await startFixture();
    await using config = writeConfig({ servers: { fixture: { type: 'http', url: fixture.url, prefix: false } } });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'legacy' });
    const logs = collectLogs(client);
    let toolsChanged = 0;
    const updated: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void toolsChanged++);
    client.setNotificationHandler('notifications/resources/updated', notification => void updated.push(notification.params.uri));

    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.deepEqual(logs, [], 'info messages stay below the session level');
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.equal(logs.length, 3);

    const before = (await client.listTools()).tools.some(tool => tool.name === 'test_dynamic_tool');
    await client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
    await waitFor(() => toolsChanged > 0, 'tools/list_changed from the server, through the gateway');
    await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === 'test_dynamic_tool') !== before, 'the changed list');

    await client.subscribeResource({ uri: 'test://watched-resource' });
    await client.callTool({ name: 'test_trigger_resource_update', arguments: {} });
    await waitFor(() => updated.includes('test://watched-resource'), 'resources/updated for the subscribed resource');
  });
});

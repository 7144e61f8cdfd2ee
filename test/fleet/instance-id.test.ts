/**
 * One instance of a fleet (docs/FLEET.md): its id leads every 2025 Streamable HTTP and legacy SSE session id,
 * so a stock load balancer routes a session by that prefix; /readyz takes the instance out of rotation while it
 * drains on SIGTERM, and it still answers the sessions it holds meanwhile.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firstText, runCli } from '../helpers/fixtures.js';
import { rawHttpStream } from '../helpers/raw-http.js';
import { connectHttp, connectSse, fixtureServer, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a fleet instance', { timeout: 180_000 }, () => {
  it('leads its session ids with its id on both session faces, answers /readyz, and drains on SIGTERM', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') }, fleet: { instanceId: 'gw-1', drain: '1500ms' } });
    await using gateway = await startHttpGateway(config.path);
    const base = gateway.url.replace(/\/mcp$/, '');
    await waitFor(() => /fleet instance "gw-1"/.test(gateway.stderr()), 'the instance line on stderr');

    // 2025 Streamable HTTP: the session id the SDK client keeps and sends back.
    const initialize = await fetch(gateway.url, {
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    });
    assert.equal(initialize.status, 200);
    assert.match(initialize.headers.get('mcp-session-id') ?? '', new RegExp(`^gw-1\\.${uuid}$`));
    await using legacy = await connectHttp(gateway.url, { era: 'legacy' });
    assert.equal(firstText(await legacy.callTool({ name: 'echo__echo', arguments: { message: 'session' } })), 'session');

    // Legacy SSE: the endpoint event's sessionId.
    const endpoint = await rawHttpStream(`${base}/sse`, /event: endpoint\ndata: (\S+)/);
    assert.match(endpoint, new RegExp(`^/messages\\?sessionId=gw-1\\.${uuid}$`));
    await using sse = await connectSse(`${base}/sse`);
    assert.equal(firstText(await sse.callTool({ name: 'echo__echo', arguments: { message: 'sse' } })), 'sse');

    assert.deepEqual(await getJson(`${base}/readyz`), { status: 200, body: { status: 'ready', instance: 'gw-1' } });

    // SIGTERM with fleet.drain: /readyz says 503 at once, the sessions it holds are still served, then it exits.
    const exited = new Promise(resolve => gateway.process.once('exit', resolve));
    gateway.process.kill('SIGTERM');
    await waitFor(async () => (await getJson(`${base}/readyz`).catch(() => ({ status: 0 }))).status === 503, '/readyz to say draining', 5000);
    assert.deepEqual((await getJson(`${base}/readyz`)).body, { status: 'draining', instance: 'gw-1' });
    assert.equal(firstText(await legacy.callTool({ name: 'echo__echo', arguments: { message: 'while draining' } })), 'while draining');
    assert.match(gateway.stderr(), /draining for 1\.5 s \(SIGTERM\)/);
    await exited;
  });

  it('without an id, session ids are plain UUIDs and /readyz names no instance', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    await using gateway = await startHttpGateway(config.path);
    const base = gateway.url.replace(/\/mcp$/, '');
    assert.match(await rawHttpStream(`${base}/sse`, /event: endpoint\ndata: (\S+)/), new RegExp(`^/messages\\?sessionId=${uuid}$`));
    assert.deepEqual(await getJson(`${base}/readyz`), { status: 200, body: { status: 'ready' } });
  });

  it('an id that is not one is refused before serving, naming where it came from', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    const fromEnv = await runCli(['serve', '--http', '0', '--config', config.path], { env: { ...process.env, MANIFOLD_INSTANCE_ID: 'GW_1' } });
    assert.notEqual(fromEnv.code, 0);
    assert.match(fromEnv.stderr, /fleet\.instanceId.*1 to 63 lowercase letters, digits and "-"/);

    await using bad = writeConfig({ servers: { echo: fixtureServer('echo.ts') }, fleet: { instanceId: 'gw.1' } });
    const fromConfig = await runCli(['serve', '--http', '0', '--config', bad.path]);
    assert.notEqual(fromConfig.code, 0);
    assert.match(fromConfig.stderr, /fleet\.instanceId.*lowercase letters, digits and "-"/);
  });
});

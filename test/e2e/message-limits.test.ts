/**
 * Oversized and malformed frames on every face (regressions of issue 9, defect 3): one limit,
 * gateway.maxMessageBytes, for stdio lines and HTTP POST bodies (2026 requests, 2025 sessions, legacy SSE); a
 * frame over it gets a JSON-RPC error naming the key, is logged at warn, and the gateway goes on serving; a
 * malformed stdio line gets -32700 with id null; batches behave the same on stdio and HTTP.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { request } from 'node:http';
import { describe, it } from 'node:test';

import { firstText } from '../helpers/fixtures.js';
import { connectHttp, connectSse, fixtureServer, manifoldCommand, startHttpGateway, stopChild, waitFor, writeConfig } from '../helpers/gateway.js';
import { rawHttp } from '../helpers/raw-http.js';

interface Line {
  jsonrpc?: string;
  id?: number | string | null;
  result?: { content?: Array<{ text?: string }>; protocolVersion?: string };
  error?: { code: number; message: string };
}

/** The gateway over stdio, spoken to line by line (so that frames no SDK client would send can be sent). */
function startStdioGateway(configPath: string): { child: ChildProcessWithoutNullStreams; next: () => Promise<Line | Line[]>; send: (line: string) => void; stderr: () => string } {
  const child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--config', configPath, '--log-level', 'warn'], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let buffered = '';
  const lines: string[] = [];
  const waiting: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.();
    }
  });
  const next = async (): Promise<Line | Line[]> => {
    const deadline = Date.now() + 30_000;
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`no line from the gateway in 30 s:\n${stderr}`);
      await new Promise<void>(resolve => {
        waiting.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return JSON.parse(lines.shift()!) as Line | Line[];
  };
  return { child, next, send: line => child.stdin.write(`${line}\n`), stderr: () => stderr };
}

const call = (id: number, message: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo__echo', arguments: { message } } });

describe('oversized and malformed frames (issue 9, defect 3)', { timeout: 120_000 }, () => {
  it('stdio: a line over the limit gets -32600 with its id, a malformed line -32700 with id null, a batch one array; the gateway goes on', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') } });
    const gateway = startStdioGateway(config.path);
    try {
      gateway.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      assert.equal(((await gateway.next()) as Line).id, 1);
      gateway.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

      // Over 10 MB (where the SDK's stdio transport closed the connection) and under the 16 MiB default: served.
      const eleven = 'x'.repeat(11 * 1024 * 1024);
      gateway.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping', params: { _meta: { pad: eleven } } }));
      assert.deepEqual(await gateway.next(), { jsonrpc: '2.0', id: 2, result: {} });

      // Over the default limit: refused with the request's id (read from the start, or from the end of the line).
      const seventeen = 'x'.repeat(17 * 1024 * 1024);
      gateway.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping', params: { _meta: { pad: seventeen } } }));
      const tooLarge = (await gateway.next()) as Line;
      assert.equal(tooLarge.id, 3);
      assert.equal(tooLarge.error?.code, -32600);
      assert.match(tooLarge.error?.message ?? '', /over the limit of 16777216 bytes \(gateway\.maxMessageBytes\).*raise gateway\.maxMessageBytes/);
      gateway.send(JSON.stringify({ method: 'ping', params: { _meta: { pad: seventeen, nested: { id: 99 } } }, jsonrpc: '2.0', id: 'last' }));
      assert.equal(((await gateway.next()) as Line).id, 'last');

      gateway.send('{not json');
      const malformed = (await gateway.next()) as Line;
      assert.equal(malformed.id, null);
      assert.equal(malformed.error?.code, -32700);
      gateway.send('{"hello": "world"}');
      const notRpc = (await gateway.next()) as Line;
      assert.equal(notRpc.id, null);
      assert.equal(notRpc.error?.code, -32600);
      assert.match(notRpc.error?.message ?? '', /not a JSON-RPC message/);

      gateway.send(JSON.stringify([call(4, 'a'), call(5, 'b')]));
      const batch = (await gateway.next()) as Line[];
      assert.ok(Array.isArray(batch), `a batch is answered with one array: ${JSON.stringify(batch)}`);
      assert.deepEqual(
        batch.map(entry => [entry.id, entry.result?.content?.[0]?.text]).sort(),
        [
          [4, 'a'],
          [5, 'b']
        ]
      );
      gateway.send('[]');
      assert.equal(((await gateway.next()) as Line).error?.code, -32600);

      gateway.send(JSON.stringify(call(6, 'still here')));
      assert.equal(((await gateway.next()) as Line).result?.content?.[0]?.text, 'still here');
      assert.match(gateway.stderr(), /WARN.*refused a message of \d+ bytes, over gateway\.maxMessageBytes \(16777216 bytes\); answered -32600 to request 3/);
      assert.equal(gateway.child.exitCode, null, 'the gateway is still running');
    } finally {
      gateway.child.stdin.end();
      await stopChild(gateway.child);
    }
  });

  it('HTTP: a body over gateway.maxMessageBytes is a 413 with a JSON-RPC error on /mcp (both eras) and /messages; the gateway goes on', async () => {
    await using config = writeConfig({ servers: { echo: fixtureServer('echo.ts') }, gateway: { maxMessageBytes: 65_536 } });
    await using gateway = await startHttpGateway(config.path);
    await using modern = await connectHttp(gateway.url, { era: 'modern' });
    await waitFor(async () => (await modern.listTools()).tools.length > 0, 'echo to be up', 20_000);
    const big = JSON.stringify(call(1, 'x'.repeat(100_000)));
    const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const expectTooLarge = (answer: { status: number; body: string }, where: string) => {
      assert.equal(answer.status, 413, `${where}: ${answer.body}`);
      const body = JSON.parse(answer.body) as Line;
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.error?.code, -32600);
      assert.match(body.error?.message ?? '', /over the limit of 65536 bytes \(gateway\.maxMessageBytes\)/, where);
    };
    expectTooLarge(await rawHttp(gateway.url, { method: 'POST', headers: json, body: big }), 'POST /mcp');
    const malformedModern = await rawHttp(gateway.url, { method: 'POST', headers: json, body: '{"jsonrpc":"2.0","id":1,' });
    assert.equal(malformedModern.status, 400);
    assert.deepEqual([(JSON.parse(malformedModern.body) as Line).id, (JSON.parse(malformedModern.body) as Line).error?.code], [null, -32700]);

    // A 2025 session: too large, malformed, a batch, then a call.
    const opened = await rawHttp(gateway.url, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    });
    const session = { ...json, 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    expectTooLarge(await rawHttp(gateway.url, { method: 'POST', headers: session, body: big }), 'POST /mcp in a session');
    const malformed = await rawHttp(gateway.url, { method: 'POST', headers: session, body: '{not json' });
    assert.equal(malformed.status, 400);
    assert.equal((JSON.parse(malformed.body) as Line).error?.code, -32700);
    assert.equal((await rawHttp(gateway.url, { method: 'POST', headers: session, body: '[]' })).status, 400);
    const batch = await rawHttp(gateway.url, { method: 'POST', headers: session, body: JSON.stringify([call(2, 'a'), call(3, 'b')]) });
    assert.deepEqual((JSON.parse(batch.body) as Line[]).map(entry => entry.id).sort(), [2, 3]);
    const after = await rawHttp(gateway.url, { method: 'POST', headers: session, body: JSON.stringify(call(4, 'session goes on')) });
    assert.equal((JSON.parse(after.body) as Line).result?.content?.[0]?.text, 'session goes on');

    // Legacy HTTP+SSE.
    const base = gateway.url.replace(/\/mcp$/, '');
    await using sse = await connectSse(`${base}/sse`);
    // A stream held open by hand, to learn its session's POST address.
    const held = request(`${base}/sse`);
    const endpoint = await new Promise<string>((resolve, reject) => {
      let events = '';
      held.on('response', res => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          events += chunk;
          const found = /event: endpoint\ndata: (\S+)/.exec(events)?.[1];
          if (found) resolve(found);
        });
      });
      held.on('error', reject);
      held.end();
    });
    try {
      expectTooLarge(await rawHttp(`${base}${endpoint}`, { method: 'POST', headers: json, body: big }), 'POST /messages');
      const malformedSse = await rawHttp(`${base}${endpoint}`, { method: 'POST', headers: json, body: '{not json' });
      assert.equal(malformedSse.status, 400);
      assert.equal((JSON.parse(malformedSse.body) as Line).error?.code, -32700);
    } finally {
      held.destroy();
    }

    assert.equal(firstText(await modern.callTool({ name: 'echo__echo', arguments: { message: 'modern goes on' } })), 'modern goes on');
    assert.equal(firstText(await sse.callTool({ name: 'echo__echo', arguments: { message: 'sse goes on' } })), 'sse goes on');
    assert.match(gateway.stderr(), /refused a message .*over gateway\.maxMessageBytes \(65536 bytes\)/);
  });
});

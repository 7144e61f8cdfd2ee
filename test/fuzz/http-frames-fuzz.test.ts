/**
 * The HTTP faces, fuzzed (docs/SECURITY.md "Fuzzing"): one spawned `manifold serve --http` gets arbitrary and
 * mutated JSON-RPC bodies on Streamable HTTP in both eras (a 2025 session, 2026-07-28 stateless requests) and on
 * legacy SSE (`/sse` + `/messages`). Each POST is answered within a time bound with JSON-RPC (a result or a typed
 * error, as JSON or SSE events) or an empty 202, never a 5xx without a JSON-RPC error; afterwards real SDK clients
 * of each face still call a tool, the gateway is alive, and on SIGTERM it exits and leaves no child behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import fc from 'fast-check';

import {
  connectHttp,
  connectSse,
  fixtureServer,
  type HttpGatewayProcess,
  startHttpGateway,
  writeConfig
} from '../helpers/gateway.js';
import { checkAnswerText, frame } from './frames.js';
import { fuzzParameters, longRun } from './fuzz-settings.js';

const frameBoundMs = 15_000;

/** Reads a response's SSE events for up to `ms` (a stream that stays open is not a hang once it answered), checking each `data`. */
async function readEvents(
  response: Response,
  ms: number,
  where: string,
  until?: (data: unknown) => boolean
): Promise<unknown[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: unknown[] = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>(resolve => setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now())))
      ]);
      if (next === 'timeout' || next.done) break;
      buffer += decoder.decode(next.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter(line => line.startsWith('data:'))
          .map(line => line.slice(5).trimStart())
          .join('\n');
        const type = /^event: *(.*)$/m.exec(event)?.[1];
        if (!data || (type && type !== 'message')) {
          seen.push({ event: type, data });
          continue;
        }
        checkAnswerText(data, where);
        const value = JSON.parse(data) as unknown;
        seen.push(value);
        if (until?.(value)) return seen;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return seen;
}

/** POSTs one frame and checks the answer: status, JSON body or SSE events, within the bound. */
async function postFrame(
  url: string,
  body: string,
  headers: Record<string, string>,
  where: string
): Promise<{ status: number; headers: Headers }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), frameBoundMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      signal: controller.signal
    }).catch((error: Error) => {
      throw new Error(`${where}: no answer in ${frameBoundMs} ms (${error.message}) to ${body}`);
    });
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('text/event-stream')) {
      // An answer to a request arrives; a stream left open after it (listen) is not a hang.
      await readEvents(
        response,
        3000,
        `${where} (SSE) after ${body}`,
        value => typeof value === 'object' && value !== null && ('result' in value || 'error' in value)
      );
    } else {
      const text = await response.text();
      if (text.trim()) {
        // The legacy SSE transport acknowledges a POSTed message with "202 Accepted" in plain text.
        if (!type.includes('json') && !(response.status === 202 && text.trim() === 'Accepted'))
          throw new Error(
            `${where}: HTTP ${response.status} with a ${type || 'untyped'} body to ${body}: ${text.slice(0, 200)}`
          );
        if (type.includes('json')) checkAnswerText(text, `${where} after ${body}`);
      }
      if (response.status >= 500 && !text.includes('"error"'))
        throw new Error(`${where}: HTTP ${response.status} without a JSON-RPC error to ${body}`);
    }
    return { status: response.status, headers: response.headers };
  } finally {
    clearTimeout(timer);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(
  'fuzz: HTTP frames (Streamable HTTP both eras, legacy SSE)',
  { timeout: longRun ? 24 * 3600_000 : 300_000 },
  () => {
    let gateway: HttpGatewayProcess;
    let config: ReturnType<typeof writeConfig>;
    let startLog: string;
    let logDir: string;

    before(async () => {
      logDir = mkdtempSync(join(tmpdir(), 'manifold-fuzz-'));
      startLog = join(logDir, 'starts.log');
      config = writeConfig({ servers: { echo: fixtureServer('echo.ts', ['--start-log', startLog]) } });
      gateway = await startHttpGateway(config.path, ['--log-level', 'error']);
    });

    after(async () => {
      assert.equal(
        gateway.process.exitCode,
        null,
        `the gateway died during the fuzzing:\n${gateway.stderr().slice(-2000)}`
      );
      const health = await fetch(new URL('/healthz', gateway.url));
      assert.equal(health.status, 200);
      await gateway.stop();
      await new Promise(resolve => setTimeout(resolve, 500));
      for (const pid of readFileSync(startLog, 'utf8').trim().split('\n').map(Number))
        assert.ok(!alive(pid), `the echo server ${pid} outlived the gateway`);
      await config[Symbol.asyncDispose]();
      rmSync(logDir, { recursive: true, force: true });
    });

    it('a 2025 session: every frame answered with JSON-RPC in time; a real client calls a tool afterwards', async () => {
      const opened = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } }
        })
      });
      const session = opened.headers.get('mcp-session-id');
      const answer = await opened.text();
      assert.ok(session, `no session: ${opened.status} ${answer}`);
      const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
      await postFrame(
        gateway.url,
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        headers,
        'session'
      );
      await fc.assert(
        fc.asyncProperty(
          frame(false),
          async text => void (await postFrame(gateway.url, text, headers, '2025 session'))
        ),
        fuzzParameters(60)
      );
      await using client = await connectHttp(gateway.url, { era: 'legacy' });
      const result = await client.callTool({ name: 'echo__echo', arguments: { message: 'session still serves' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'session still serves' }]);
    });

    it('2026-07-28 stateless requests: every frame answered with JSON-RPC in time; a real client calls a tool afterwards', async () => {
      await fc.assert(
        fc.asyncProperty(frame(false), fc.boolean(), async (text, header) => {
          await postFrame(gateway.url, text, header ? { 'mcp-protocol-version': '2026-07-28' } : {}, '2026 stateless');
        }),
        fuzzParameters(60)
      );
      await using client = await connectHttp(gateway.url, { era: 'modern' });
      const result = await client.callTool({ name: 'echo__echo', arguments: { message: 'modern still serves' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'modern still serves' }]);
    });

    it('legacy SSE: every POST to /messages answered in time, every event on the stream JSON-RPC, a ping after each frame; a real client afterwards', async () => {
      const base = new URL(gateway.url);
      const stream = await fetch(new URL('/sse', base), { headers: { accept: 'text/event-stream' } });
      assert.equal(stream.status, 200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const events: { event?: string; data: string }[] = [];
      const waiters: Array<() => void> = [];
      void (async () => {
        for (;;) {
          const next = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (next.done) break;
          buffer += decoder.decode(next.value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const raw = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = raw
              .split('\n')
              .filter(line => line.startsWith('data:'))
              .map(line => line.slice(5).trimStart())
              .join('\n');
            const event = /^event: *(.*)$/m.exec(raw)?.[1];
            events.push({ ...(event ? { event } : {}), data });
            for (const wake of waiters.splice(0)) wake();
          }
        }
      })();
      const waitEvent = async (match: (event: { event?: string; data: string }) => boolean, what: string) => {
        const deadline = Date.now() + frameBoundMs;
        for (;;) {
          const found = events.find(match);
          if (found) return found;
          if (Date.now() > deadline)
            throw new Error(`no ${what} on the SSE stream in ${frameBoundMs} ms: the gateway hangs`);
          await new Promise<void>(resolve => {
            waiters.push(resolve);
            setTimeout(resolve, 200);
          });
        }
      };
      try {
        const endpoint = await waitEvent(event => event.event === 'endpoint', 'endpoint event');
        const messages = new URL(endpoint.data, base).toString();
        let sequence = 0;
        const ping = async (method = 'ping', params: Record<string, unknown> = {}) => {
          const id = `fuzz-sentinel-${++sequence}`;
          await postFrame(messages, JSON.stringify({ jsonrpc: '2.0', id, method, params }), {}, 'SSE');
          return waitEvent(event => event.data.includes(`"${id}"`), `answer to ${id}`);
        };
        await ping('initialize', {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' }
        });
        await postFrame(messages, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {}, 'SSE');
        await fc.assert(
          fc.asyncProperty(frame(false), async text => {
            await postFrame(messages, text, {}, 'SSE /messages');
            await ping();
            for (const event of events.filter(entry => !entry.event || entry.event === 'message'))
              checkAnswerText(event.data, `SSE stream after ${text}`);
          }),
          fuzzParameters(40)
        );
      } finally {
        await reader.cancel().catch(() => {});
      }
      await using client = await connectSse(new URL('/sse', base).toString());
      const result = await client.callTool({ name: 'echo__echo', arguments: { message: 'sse still serves' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'sse still serves' }]);
    });
  }
);

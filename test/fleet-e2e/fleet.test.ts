/**
 * Fleet mode end to end (docs/FLEET.md, issue 14): real Redis, real PostgreSQL, three `manifold serve --http`
 * processes (gw-1..gw-3) and nginx with the generated config, all on free loopback ports
 * (scripts/fleet/processes.ts, the same code as `npm run fleet`). Real SDK clients through nginx: 2026-07-28
 * (stateless), 2025 Streamable HTTP sessions and legacy SSE sessions. A load of FLEET_CALLS calls (10,000 in
 * `npm run test:fleet`, which CI runs; 2,000 inside the whole suite, to keep `npm test` short) at concurrency 64;
 * gw-2 is killed (SIGKILL) half way. Every call is answered: a 2026 call that met the
 * dead instance is sent once more (the echo tool only reads, so the spec allows a retry); a 2025 or SSE client
 * whose session died gets 404 (or its stream drops) and the test client opens a new session (the SDK does not
 * re-initialise on its own) and sends the call again. Every answered call is in the PostgreSQL audit log
 * (`manifold audit --json`, matched by its unique argument) and `manifold audit verify` exits 0. Then: a list change
 * on one instance reaches a listener on another; a rate limit holds across instances, exactly; Redis down (calls go
 * on, a warning); PostgreSQL down (a clear error, no crash, recovery). Run by `npm run test:fleet`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { type Fleet, repoRoot, startFleet } from '../../scripts/fleet/processes.js';
import { fixtureServer, tsEntry } from '../helpers/gateway.js';

const calls = Number(process.env.FLEET_CALLS ?? 2_000);
const concurrency = 64;
const limitPerWindow = 20;

type Mode = 'modern' | 'legacy' | 'sse';

async function connect(base: string, mode: Mode): Promise<Client> {
  const client = new Client(
    { name: `fleet-${mode}`, version: '1.0.0' },
    { capabilities: {}, versionNegotiation: mode === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
  const transport = mode === 'sse' ? new SSEClientTransport(new URL(`${base}/sse`)) : new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
  await client.connect(transport, { timeout: 30_000 });
  return client;
}

const textOf = (result: unknown) => ((result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '');

function manifold(fleet: Fleet, args: string[], env: Record<string, string> = fleet.env) {
  return spawnSync(process.execPath, [...tsEntry('src/cli/bin.ts'), ...args, '--config', fleet.configPath], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 512 * 1024 * 1024
  });
}

function auditedMessages(fleet: Fleet): Set<string> {
  const listed = manifold(fleet, ['audit', '--json', '--limit', String(calls * 4 + 10_000)]);
  assert.equal(listed.status, 0, `manifold audit --json: ${listed.stderr}`);
  const rows = JSON.parse(listed.stdout) as Array<{ method: string; arguments?: unknown }>;
  const messages = new Set<string>();
  for (const row of rows) {
    const args = typeof row.arguments === 'string' ? (JSON.parse(row.arguments) as unknown) : row.arguments;
    const message = (args as { message?: unknown } | null | undefined)?.message;
    if (row.method === 'tools/call' && typeof message === 'string') messages.add(message);
  }
  return messages;
}

describe(`fleet: Redis, PostgreSQL, 3 instances and nginx; ${calls} calls at concurrency ${concurrency}, one instance killed`, () => {
  let fleet: Fleet;
  const clients: Client[] = [];

  before(async () => {
    fleet = await startFleet({
      logLevel: 'info',
      config: {
        servers: { e: fixtureServer('echo.ts'), r: fixtureServer('echo.ts'), t: fixtureServer('changing-tools.ts') },
        audit: { arguments: true },
        security: { approval: { enabled: false } },
        limits: { calls: [{ name: 'fleet-window', tool: 'r__echo', requests: limitPerWindow, per: '1h', by: [] }] }
      }
    });
  });
  after(async () => {
    await Promise.all(clients.map(client => client.close().catch(() => {})));
    await fleet?.stop();
  });

  it('every call is answered while gw-2 is killed half way; every answered call is audited and the chain verifies', async () => {
    const base = fleet.nginx.url;
    const modern = await Promise.all(Array.from({ length: 4 }, () => connect(base, 'modern')));
    clients.push(...modern);
    const answered = new Set<string>();
    const stats = { modernRetries: 0, reinitialised: { legacy: 0, sse: 0 }, failures: [] as string[] };
    let next = 0;
    let killedAt = -1;
    const started = performance.now();

    const worker = async (w: number) => {
      // 40 workers on the four 2026 clients, 16 with a 2025 session each, 8 with a legacy SSE session each.
      const mode: Mode = w % 8 < 5 ? 'modern' : w % 8 < 7 ? 'legacy' : 'sse';
      let own = mode === 'modern' ? undefined : await connect(base, mode);
      if (own) clients.push(own);
      for (;;) {
        const index = next++;
        if (index >= calls) return;
        if (index === Math.floor(calls / 2)) {
          killedAt = index;
          await fleet.instances[1]!.kill();
        }
        const message = `load-${index}`;
        const call = (client: Client) => client.callTool({ name: 'e__echo', arguments: { message } });
        try {
          let result;
          if (!own) {
            const client = modern[w % modern.length]!;
            try {
              result = await call(client);
            } catch {
              // The connection to the killed instance broke mid-request: echo only reads, send it once more.
              stats.modernRetries++;
              result = await call(client);
            }
          } else {
            try {
              result = await call(own);
            } catch {
              // The session's instance is gone: 404 "session not found" (or the SSE stream dropped). New session, same call.
              stats.reinitialised[mode as 'legacy' | 'sse']++;
              await own.close().catch(() => {});
              own = await connect(base, mode);
              clients.push(own);
              result = await call(own);
            }
          }
          assert.equal(textOf(result), message);
          answered.add(message);
        } catch (error) {
          stats.failures.push(`${message} (${mode}): ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `# ${calls} calls in ${seconds.toFixed(1)} s (${(calls / seconds).toFixed(0)}/s) through nginx; gw-2 killed at call ${killedAt}; ` +
        `2026 calls sent again: ${stats.modernRetries}; sessions opened again: 2025 ${stats.reinitialised.legacy}, SSE ${stats.reinitialised.sse}\n`
    );
    assert.deepEqual(stats.failures.slice(0, 5), [], `${stats.failures.length} calls failed`);
    assert.equal(answered.size, calls);
    assert.ok(stats.reinitialised.legacy + stats.reinitialised.sse > 0, 'some session lived on gw-2 and was opened again');

    const audited = auditedMessages(fleet);
    const missing = [...answered].filter(message => !audited.has(message));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} answered calls missing from the audit log`);
    const verify = manifold(fleet, ['audit', 'verify']);
    assert.equal(verify.status, 0, `manifold audit verify: ${verify.stdout}${verify.stderr}`);
  });

  it('a list change on gw-1 reaches a 2026 listener on gw-3', async () => {
    const listener = await connect(fleet.instances[2]!.url, 'modern');
    clients.push(listener);
    let heardAt = 0;
    listener.setNotificationHandler('notifications/tools/list_changed', () => void (heardAt ||= performance.now()));
    const subscription = await listener.listen({ toolsListChanged: true });
    try {
      const onGw1 = await connect(fleet.instances[0]!.url, 'modern');
      clients.push(onGw1);
      const sentAt = performance.now();
      await onGw1.callTool({ name: 't__add_tool', arguments: { name: 'fresh', description: 'added on gw-1' } });
      const deadline = Date.now() + 5000;
      while (heardAt === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10));
      assert.ok(heardAt > 0, 'gw-3 listener heard tools/list_changed');
      process.stdout.write(`# list change on gw-1 → listener on gw-3: ${(heardAt - sentAt).toFixed(0)} ms after the call was sent\n`);
    } finally {
      await subscription.close();
    }
  });

  it(`a rate limit holds across the instances, exactly: 40 concurrent calls through nginx against ${limitPerWindow} per window`, async () => {
    const modern = await Promise.all(Array.from({ length: 4 }, () => connect(fleet.nginx.url, 'modern')));
    clients.push(...modern);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => modern[index % 4]!.callTool({ name: 'r__echo', arguments: { message: `limit-${index}` } }))
    );
    const refused = results.filter(result => result.isError === true && /rate limit/i.test(textOf(result)));
    const allowed = results.filter(result => result.isError !== true);
    assert.equal(allowed.length, limitPerWindow, `allowed ${allowed.length}: ${textOf(refused[0])}`);
    assert.equal(refused.length, 40 - limitPerWindow);
  });

  it('Redis down: calls go on (limits in each instance), each instance warns; Redis back: shared again', async () => {
    const client = await connect(fleet.nginx.url, 'modern');
    clients.push(client);
    await fleet.redis.kill();
    const live = fleet.instances.filter((_, index) => index !== 1);
    for (let index = 0; index < 12; index++) {
      const result = await client.callTool({ name: 'e__echo', arguments: { message: `redis-down-${index}` } });
      assert.equal(textOf(result), `redis-down-${index}`);
    }
    const deadline = Date.now() + 10_000;
    while (!live.every(instance => /redis at \S+ is unreachable/.test(instance.output())) && Date.now() < deadline)
      await new Promise(resolve => setTimeout(resolve, 50));
    for (const instance of live) assert.match(instance.output(), /redis at \S+ is unreachable.*rate limits and budgets count in this instance's memory/);
    await fleet.redis.restart();
    while (!live.every(instance => /redis at \S+ is back/.test(instance.output())) && Date.now() < deadline + 10_000)
      await new Promise(resolve => setTimeout(resolve, 50));
    for (const instance of live) assert.match(instance.output(), /redis at \S+ is back/);
  });

  it('PostgreSQL down: calls answered, a clear error naming the store, no crash; back: recorded again', async () => {
    const client = await connect(fleet.nginx.url, 'modern');
    clients.push(client);
    await fleet.postgres.halt();
    try {
      const result = await client.callTool({ name: 'e__echo', arguments: { message: 'pg-down-1' } });
      assert.equal(textOf(result), 'pg-down-1');
      const listed = manifold(fleet, ['audit', '--json']);
      assert.equal(listed.status, 1);
      assert.match(listed.stderr, /cannot reach the PostgreSQL store postgres:\/\/manifold@127\.0\.0\.1:\d+\/\S+ \(config "store" or MANIFOLD_STORE\)/);
      const live = fleet.instances.filter((_, index) => index !== 1);
      assert.ok(
        live.some(instance => /cannot reach the PostgreSQL store/.test(instance.output())),
        'an instance logged the unreachable store'
      );
      for (const instance of live) assert.equal(instance.child.exitCode, null, `${instance.id} is still running`);
    } finally {
      await fleet.postgres.start();
    }
    const after = await client.callTool({ name: 'e__echo', arguments: { message: 'pg-back-1' } });
    assert.equal(textOf(after), 'pg-back-1');
    assert.ok(auditedMessages(fleet).has('pg-back-1'), 'the call after recovery is audited');
    const verify = manifold(fleet, ['audit', 'verify']);
    assert.equal(verify.status, 0, `manifold audit verify after the outage: ${verify.stdout}${verify.stderr}`);
  });
});

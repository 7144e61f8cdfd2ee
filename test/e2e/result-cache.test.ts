/**
 * The result cache seen from outside: real SDK clients of both eras over HTTP to the gateway as a subprocess,
 * the fixture's own counts, the counters on /healthz, `manifold cache stats`, and the line logged at shutdown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CacheStats } from '../../src/cache/index.js';
import { runCli } from '../helpers/fixtures.js';
import { connectHttp, fixtureServer, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

const textOf = (result: Awaited<ReturnType<Awaited<ReturnType<typeof connectHttp>>['callTool']>>) =>
  (result.content as Array<{ text: string }>)[0]!.text;

describe('result cache over HTTP', () => {
  it("both eras share the local user's entries; /healthz and manifold cache stats show the counters; shutdown logs them", async () => {
    await using config = writeConfig({
      servers: { c: fixtureServer('cacheable.ts') },
      cache: { ttl: '60s', statsInterval: 0 }
    });
    await using gateway = await startHttpGateway(config.path);
    const origin = new URL(gateway.url).origin;
    assert.match(
      gateway.stderr(),
      /result cache on: read-only tools and resource reads, per principal, fresh for 60 s without a server's hint/
    );
    {
      await using legacy = await connectHttp(gateway.url, { era: 'legacy' });
      await using modern = await connectHttp(gateway.url, { era: 'modern' });
      assert.equal(
        textOf(await legacy.callTool({ name: 'c__lookup', arguments: { key: 'k' } })),
        '{"key":"k","calls":1}'
      );
      assert.equal(
        textOf(await modern.callTool({ name: 'c__lookup', arguments: { key: 'k' } })),
        '{"key":"k","calls":1}'
      );
      assert.equal(
        textOf(await legacy.callTool({ name: 'c__lookup', arguments: { key: 'k' } })),
        '{"key":"k","calls":1}'
      );
      await modern.callTool({ name: 'c__bump', arguments: { key: 'k' } });
      await modern.callTool({ name: 'c__bump', arguments: { key: 'k' } });
      const counts = JSON.parse(textOf(await modern.callTool({ name: 'c__counts', arguments: {} }))) as Record<
        string,
        number
      >;
      assert.equal(counts['lookup k'], 1);
      assert.equal(counts['bump k'], 2);
    }

    const health = (await (await fetch(`${origin}/healthz`)).json()) as { cache: CacheStats };
    assert.equal(health.cache.hits, 2);
    assert.equal(health.cache.misses, 1);
    assert.equal(health.cache.entries, 1);
    assert.ok(Math.abs(health.cache.hitRate - 2 / 3) < 1e-9);
    assert.deepEqual(Object.keys(health.cache.servers), ['c']);
    assert.equal(health.cache.servers.c!.hits, 2);

    const json = await runCli(['cache', 'stats', '--url', origin, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const printed = JSON.parse(json.stdout) as CacheStats & { gateway: string };
    assert.equal(printed.gateway, origin);
    assert.equal(printed.hits, 2);
    const text = await runCli(['cache', 'stats', '--url', `${origin}/mcp`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /66\.7% of 3 cacheable calls answered without the server: 2 hits, 0 joined a call in flight, 1 misses/
    );
    assert.match(text.stdout, /SERVER\s+HITS\s+JOINED\s+MISSES\s+HIT RATE/);
    assert.match(text.stdout, /\nc\s+2\s+0\s+1\s+66\.7%/);

    await gateway.stop();
    await waitFor(
      () => /cache at shutdown: 66\.7% of 3 cacheable call\(s\) answered without the server/.test(gateway.stderr()),
      'the counters logged at shutdown'
    );
  });

  it('a client that rereads on notifications/resources/updated gets the new content, not the cached copy', async () => {
    await using config = writeConfig({ servers: { c: fixtureServer('cacheable.ts') }, cache: { statsInterval: 0 } });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'legacy' });
    const updates: string[] = [];
    client.setNotificationHandler(
      'notifications/resources/updated',
      notification => void updates.push(notification.params.uri)
    );
    const uri = 'data://private';
    const reads = async () =>
      JSON.parse(
        (((await client.readResource({ uri })).contents as Array<{ text: string }>)[0] as { text: string }).text
      ).reads as number;
    await client.subscribeResource({ uri });
    assert.equal(await reads(), 1);
    assert.equal(await reads(), 1, 'the second read is a hit');
    await client.callTool({ name: 'c__touch', arguments: { uri } });
    await waitFor(() => updates.includes(uri), 'notifications/resources/updated');
    assert.equal(await reads(), 2, 'the update dropped the cached copy before the client heard of it');
    assert.equal(await reads(), 2);
  });

  it("without a cache: block: a warning for a server's cache settings; manifold cache stats says there is none, and when no gateway answers", async () => {
    await using config = writeConfig({ servers: { c: fixtureServer('cacheable.ts', [], { cache: { ttl: '5s' } }) } });
    await using gateway = await startHttpGateway(config.path);
    const origin = new URL(gateway.url).origin;
    assert.match(gateway.stderr(), /servers\.c\.cache has no effect: the result cache is off \(no cache: block/);
    const health = (await (await fetch(`${origin}/healthz`)).json()) as Record<string, unknown>;
    assert.equal(health.cache, undefined, 'no cache: block, no cache field');
    const none = await runCli(['cache', 'stats', '--url', origin]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no result cache: add a cache: block/);
    await gateway.stop();
    const gone = await runCli(['cache', 'stats', '--url', origin]);
    assert.equal(gone.code, 1);
    assert.match(
      gone.stderr,
      /cannot read http:\/\/127\.0\.0\.1:\d+\/healthz: .*is "manifold serve --http" running there\?/
    );
    const usage = await runCli(['cache', 'clear', '--url', origin]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown action "clear" \(expected: stats\)/);
  });
});

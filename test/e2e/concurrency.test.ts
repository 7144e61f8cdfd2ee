/**
 * Several clients and calls at once through one gateway: progress reaches only the call that asked for it,
 * many concurrent calls get their own answers, progress keeps a long call within a short server timeout,
 * large requests pass, and a crash mid-call over HTTP fails only that call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertProgress, firstText } from '../helpers/fixtures.js';
import { connectHttp, connectStdio, fixtureServer, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';

const servers = { echo: fixtureServer('echo.ts'), slow: fixtureServer('slow.ts', [], { timeout: '600ms' }), crashy: fixtureServer('crashes.ts') };

describe('concurrency through one HTTP gateway', { timeout: 120_000 }, () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} clients: progress goes only to the call that asked; 50 concurrent calls get their own answers`, async () => {
      await using config = writeConfig({ servers });
      await using gateway = await startHttpGateway(config.path);
      await using a = await connectHttp(gateway.url, { era });
      await using b = await connectHttp(gateway.url, { era });
      const progressA: { progress: number; total?: number }[] = [];
      const progressB: { progress: number; total?: number }[] = [];
      // 1.2 s in 100 ms steps, twice the server's 600 ms timeout: progress resets it.
      const [resultA, resultB] = await Promise.all([
        a.callTool({ name: 'slow__slow', arguments: { ms: 1200, steps: 12 } }, { onprogress: update => void progressA.push(update) }),
        b.callTool({ name: 'slow__slow', arguments: { ms: 1200, steps: 8 } }, { onprogress: update => void progressB.push(update) })
      ]);
      assert.equal(firstText(resultA), 'slept 1200 ms in 12 steps');
      assert.equal(firstText(resultB), 'slept 1200 ms in 8 steps');
      // Each client gets progress of its own call only (totals differ); see assertProgress on what may be lost.
      assertProgress(progressA.map(update => update.progress), 12, 'client A');
      assertProgress(progressB.map(update => update.progress), 8, 'client B');
      assert.ok(progressA.every(update => update.total === 12), JSON.stringify(progressA));
      assert.ok(progressB.every(update => update.total === 8), JSON.stringify(progressB));

      const messages = Array.from({ length: 50 }, (_, index) => `message ${index}`);
      const results = await Promise.all(
        messages.map((message, index) => (index % 2 === 0 ? a : b).callTool({ name: 'echo__echo', arguments: { message } }))
      );
      assert.deepEqual(results.map(firstText), messages);
    });
  }

  it('without progress, a call longer than the server timeout fails naming server and tool', async () => {
    await using config = writeConfig({ servers });
    await using connected = await connectStdio(config.path);
    await assert.rejects(
      connected.client.callTool({ name: 'slow__slow', arguments: { ms: 1500, steps: 3 } }),
      /tool "slow__slow" on server "slow" did not answer within 600 ms/
    );
  });

  it('a 1 MB argument passes intact (stdio legacy, HTTP modern)', async () => {
    const message = 'x'.repeat(512 * 1024) + 'é'.repeat(256 * 1024);
    await using config = writeConfig({ servers });
    {
      await using connected = await connectStdio(config.path, { era: 'legacy' });
      const text = firstText(await connected.client.callTool({ name: 'echo__echo', arguments: { message } }));
      assert.ok(text === message, 'the 1 MB argument came back byte-identical over stdio');
    }
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern' });
    const text = firstText(await client.callTool({ name: 'echo__echo', arguments: { message } }));
    assert.ok(text === message, 'the 1 MB argument came back byte-identical over HTTP');
  });

  it('modern client over HTTP: a server killed mid-call fails that call only, and comes back', async () => {
    await using config = writeConfig({ servers });
    await using gateway = await startHttpGateway(config.path);
    await using client = await connectHttp(gateway.url, { era: 'modern' });
    const slow = client.callTool({ name: 'slow__slow', arguments: { ms: 400, steps: 4 } }, { onprogress: () => {} });
    await assert.rejects(client.callTool({ name: 'crashy__crash', arguments: {} }), (error: Error) => {
      assert.match(error.message, /tool "crashy__crash" on server "crashy"/);
      return true;
    });
    assert.equal(firstText(await slow), 'slept 400 ms in 4 steps');
    await waitFor(async () => {
      try {
        await client.callTool({ name: 'crashy__pid', arguments: {} });
        return true;
      } catch {
        return false;
      }
    }, 'crashy to come back', 20_000);
  });
});

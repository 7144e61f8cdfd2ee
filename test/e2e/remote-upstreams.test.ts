/**
 * The gateway in front of remote 2025 servers: the official everything server over legacy HTTP+SSE and over
 * sessionful Streamable HTTP, with 2025 and 2026 clients of the gateway (stdio).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertProgress, firstText, startEverythingRemote } from '../helpers/fixtures.js';
import { connectStdio, waitFor, writeConfig } from '../helpers/gateway.js';

describe('remote upstreams (everything over SSE and Streamable HTTP)', { timeout: 120_000 }, () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client: tools, progress, resources and prompts from both remote servers`, async () => {
      await using sse = await startEverythingRemote('sse');
      await using http = await startEverythingRemote('streamableHttp');
      await using config = writeConfig({
        servers: {
          viaSse: { url: sse.url, type: 'sse' },
          // No type: the gateway tries Streamable HTTP first (and would fall back to SSE).
          viaHttp: { url: http.url }
        }
      });
      await using connected = await connectStdio(config.path, { era });
      const { client } = connected;
      await waitFor(async () => {
        const { tools } = await client.listTools();
        return tools.some(tool => tool.name === 'viaSse__echo') && tools.some(tool => tool.name === 'viaHttp__echo');
      }, 'both remote servers to be up', 30_000);
      // The everything server asks for roots 350 ms after each session starts. Before issue 9 a 2026 call in
      // flight at that moment got the request and failed with -32021; a shared server's roots/list is now
      // answered from the config, and the wait is kept only so the test does not depend on it.
      await new Promise(resolve => setTimeout(resolve, 1000));

      for (const server of ['viaSse', 'viaHttp']) {
        const echoed = await client.callTool({ name: `${server}__echo`, arguments: { message: `through ${server}` } });
        assert.equal(firstText(echoed), `Echo: through ${server}`);
        const progress: number[] = [];
        await client.callTool(
          { name: `${server}__trigger-long-running-operation`, arguments: { duration: 0.45, steps: 3 } },
          { onprogress: update => void progress.push(update.progress) }
        );
        assertProgress(progress, 3, `progress through ${server}`);
        const prompt = await client.getPrompt({ name: `${server}__args-prompt`, arguments: { city: 'Oslo' } });
        assert.match(JSON.stringify(prompt.messages), /Oslo/);
      }
      // Both servers list the same resource URIs: the first server to list one serves it.
      const { contents } = await client.readResource({ uri: 'demo://resource/dynamic/text/3' });
      assert.equal(contents[0]?.uri, 'demo://resource/dynamic/text/3');

      const doctor = connected.stderr();
      assert.doesNotMatch(doctor, /down:/);
    });
  }
});

describe('a long run against a 2025 Streamable HTTP upstream', { timeout: 120_000 }, () => {
  it('prints no MaxListenersExceededWarning (the SDK hands one signal to every fetch of the session)', async () => {
    await using http = await startEverythingRemote('streamableHttp');
    await using config = writeConfig({ servers: { remote: { url: http.url, type: 'http' } } });
    await using connected = await connectStdio(config.path, { era: 'legacy' });
    const { client } = connected;
    await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === 'remote__echo'), 'the remote server to be up', 30_000);
    // Past 1,500 requests between two garbage collections Node warned once per request; 8 callers at a time.
    let sent = 0;
    const caller = async () => {
      while (sent < 2_400) {
        sent++;
        assert.equal(firstText(await client.callTool({ name: 'remote__echo', arguments: { message: 'x' } })), 'Echo: x');
      }
    };
    await Promise.all(Array.from({ length: 8 }, caller));
    assert.doesNotMatch(connected.stderr(), /MaxListenersExceeded|memory leak/);
  });
});

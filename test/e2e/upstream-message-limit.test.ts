/**
 * gateway.maxMessageBytes bounds what a stdio server sends too (issue 9, defect 3): an answer over it fails the
 * one request it answers, with an error naming the key, and the server's connection goes on (no restart).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firstText } from '../helpers/fixtures.js';
import { connectStdio, fixtureServer, writeConfig } from '../helpers/gateway.js';

describe('a stdio server answer over gateway.maxMessageBytes (issue 9, defect 3)', { timeout: 120_000 }, () => {
  it('fails that call alone with an error naming the key; the next call reaches the same server process', async () => {
    await using config = writeConfig({ servers: { big: fixtureServer('big.ts') }, gateway: { maxMessageBytes: 65_536 } });
    await using connected = await connectStdio(config.path, { era: 'legacy' });
    const { client } = connected;
    const pid = firstText(await client.callTool({ name: 'big__pid', arguments: {} }));
    assert.match(pid, /^\d+$/);

    // The server's error, forwarded as the gateway forwards any: a JSON-RPC error on that call.
    await assert.rejects(client.callTool({ name: 'big__big', arguments: { bytes: 200_000 } }), (error: Error & { code?: number }) => {
      assert.equal(error.code, -32603);
      assert.match(error.message, /the server's answer was \d+ bytes, over gateway\.maxMessageBytes \(65536 bytes\).*raise gateway\.maxMessageBytes/);
      return true;
    });

    // The same server, not a restarted one, answers the next calls.
    assert.equal(firstText(await client.callTool({ name: 'big__big', arguments: { bytes: 1000 } })).length, 1000);
    assert.equal(firstText(await client.callTool({ name: 'big__pid', arguments: {} })), pid);
    assert.match(connected.stderr(), /WARN.*upstream:big.*answer to request \S+ was \d+ bytes, over gateway\.maxMessageBytes \(65536 bytes\)/);
  });
});

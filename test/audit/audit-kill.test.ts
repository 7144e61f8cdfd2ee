/**
 * The audit row is written before the answer leaves: a gateway killed with SIGKILL in the middle of a load of
 * concurrent calls has a row for every call a client got an answer to (and the chain still verifies).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';

import { connectHttp, fixtureServer, startHttpGateway, writeConfig } from '../helpers/gateway.js';
import { auditCli, auditRows, sha256 } from './helpers.js';

describe('the audit log under kill -9', { timeout: 180_000 }, () => {
  it('loses no answered call\'s row when the gateway is killed under concurrent load', async () => {
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { checkpointEvery: 25 } });
    const gateway = await startHttpGateway(written.path);
    const clients = await Promise.all(Array.from({ length: 8 }, (_, index) => connectHttp(gateway.url, { era: index % 2 === 0 ? 'legacy' : 'modern' })));
    const answered: string[] = [];
    let stop = false;
    let killed = false;
    const loops = clients.map(async (client, index) => {
      for (let call = 0; !stop; call++) {
        const text = `${index}-${call}`;
        try {
          const result = await client.callTool({ name: 'fix__text', arguments: { text } });
          if (result.isError !== true) answered.push(text);
          if (answered.length >= 300 && !killed) {
            killed = true;
            gateway.process.kill('SIGKILL');
          }
        } catch {
          stop = true; // the gateway is gone
        }
      }
    });
    await once(gateway.process, 'exit');
    stop = true;
    await Promise.all(loops);
    await Promise.all(clients.map(client => client.close().catch(() => {})));
    assert.ok(killed);
    assert.ok(answered.length >= 300, `${answered.length} answered`);

    const rows = await auditRows(written.path);
    const recorded = new Set(rows.map(row => row.argsDigest));
    const missing = answered.filter(text => !recorded.has(sha256(JSON.stringify({ text }))));
    assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered calls have no row`);
    // Calls in flight at the kill may have a row without the client's having seen the answer; never the reverse.
    assert.ok(rows.length >= answered.length);
    const verified = await auditCli(written.path, ['verify']);
    assert.equal(verified.code, 0, verified.stderr);
  });

  it('a signing key that is not Ed25519 stops the start, naming audit.signingKey', async () => {
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { signingKey: 'bm90IGEga2V5' } });
    await assert.rejects(startHttpGateway(written.path), /audit\.signingKey: not an Ed25519 private key/);
  });
});

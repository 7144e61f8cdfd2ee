/**
 * `manifold audit verify` from the command line with a signing key from a file: signed checkpoints verify, and a
 * tampered store exits 1 naming the row; `audit.enabled: false` records nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { openDatabase } from '../../src/store/index.js';
import { fixtureServer, manifoldCommand, repoRoot, writeConfig } from '../helpers/gateway.js';
import { auditCli, auditRows } from './helpers.js';

const run = promisify(execFile);
const call = (configPath: string, text: string) =>
  run(manifoldCommand.command, [...manifoldCommand.args, 'call', 'fix__text', `text=${text}`, '--config', configPath], { cwd: repoRoot });

describe('manifold audit verify', { timeout: 120_000 }, () => {
  it('verifies checkpoints signed with the configured key, and exits 1 naming a deleted row', async () => {
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { signingKey: { file: 'audit.pem' } } });
    writeFileSync(join(written.dir, 'audit.pem'), generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    for (const text of ['a', 'b', 'c']) await call(written.path, text);
    const intact = await auditCli(written.path, ['verify']);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /rows 1–3 \(3\) chain, 3 checkpoint\(s\), 3 signature\(s\) verified/);
    const json = JSON.parse((await auditCli(written.path, ['verify', '--json'])).stdout) as { ok: boolean; signed: number };
    assert.deepEqual([json.ok, json.signed], [true, 3]);

    const db = openDatabase(join(written.dir, '.manifold', 'manifold.db'));
    db.exec('DELETE FROM audit_log WHERE seq = 2');
    db.close();
    const tampered = await auditCli(written.path, ['verify']);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /audit log tampered \(deleted\): row 2 was deleted/);
  });

  it('records nothing with audit.enabled: false', async () => {
    // Pinning off too: it keeps its pins in the same store file (docs/SECURITY.md), which would make the file exist.
    await using written = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') }, audit: { enabled: false }, security: { pinning: false } });
    await call(written.path, 'quiet');
    assert.equal(existsSync(join(written.dir, '.manifold', 'manifold.db')), false);
    await using on = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts') } });
    await call(on.path, 'loud');
    assert.deepEqual((await auditRows(on.path)).map(row => row.target), ['fix__text']);
  });
});

/**
 * What a call gets when its audit row cannot be written (the store is a folder): by default the answer, with an
 * error logged that says so and how to refuse instead; with `audit.onFailure: withhold`, an error and no answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { fixtureServer, repoRoot, writeConfig } from '../helpers/gateway.js';
import { runCli } from '../helpers/fixtures.js';

async function callWithStore(audit: Record<string, unknown>): Promise<{ code: number | null; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-audit-fail-'));
  try {
    const folder = join(dir, 'store-is-a-folder');
    mkdirSync(folder);
    // Pinning off: with no store it holds every tool back (fail closed); this is about the audit's own failure.
    await using config = writeConfig({ servers: { fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) }, store: { path: folder }, audit, security: { pinning: false } });
    const result = await runCli(['call', 'fix__text', '--args', '{"text":"hi"}', '--config', config.path]);
    return { code: result.code, out: result.stdout, err: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('audit: a row that cannot be written', () => {
  it('by default the call is answered and an error says it went unrecorded', async () => {
    const { code, out, err } = await callWithStore({});
    assert.equal(code, 0, err);
    assert.match(out, /hi/);
    assert.match(err, /the audit log could not record this tools\/call \(fix__text\).*answered without a row \(1 call\(s\) unrecorded so far\).*audit\.onFailure: withhold/);
  });

  it('with onFailure: withhold the call fails, naming the store and the setting', async () => {
    const { code, out, err } = await callWithStore({ onFailure: 'withhold' });
    assert.notEqual(code, 0);
    assert.doesNotMatch(out, /hi/);
    assert.match(err, /the audit log could not record this tools\/call \(fix__text\).*the answer is withheld \(audit\.onFailure: withhold\)/);
  });
});

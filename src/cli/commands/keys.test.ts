import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { hashApiKey } from '../../auth/index.js';
import { openKeyStore } from '../../store/index.js';
import type { Output } from '../output.js';
import { parseExpires, runKeys } from './keys.js';

function capture(): Output & { text: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return { out: line => void (out += `${line}\n`), err: line => void (err += `${line}\n`), text: () => out, errors: () => err };
}

describe('manifold keys', () => {
  it('--expires takes a lifetime or a future date', () => {
    const now = Date.parse('2026-12-07T00:00:00Z');
    assert.equal(parseExpires('30d', now), now + 30 * 86_400_000);
    assert.equal(parseExpires('12h', now), now + 12 * 3_600_000);
    assert.equal(parseExpires('2027-01-31', now), Date.parse('2027-01-31'));
    assert.throws(() => parseExpires('2020-01-01', now), /in the past/);
    assert.throws(() => parseExpires('soon', now), /takes a lifetime \(30d, 12h, 90m\) or a date/);
    assert.throws(() => parseExpires('0d', now), /takes a lifetime/);
  });

  it('create stores only the digest and prints the key once; bad names, unknown views and :memory: are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-keys-cli-'));
    try {
      const config = join(dir, 'manifold.yaml');
      writeFileSync(config, 'servers: {}\nviews: { a: {} }\n');
      const output = capture();
      assert.equal(await runKeys({ values: { config, views: ['a,default'], scopes: ['read'] }, positionals: ['create', 'bot'] }, output), 0);
      const key = output.text().trim();
      assert.match(key, /^mfk_/);
      assert.match(output.errors(), /warning: the config has no "auth:", so the HTTP face asks for no key/);
      const store = openKeyStore(join(dir, '.manifold', 'manifold.db'));
      try {
        const [stored] = store.listKeys();
        assert.deepEqual({ ...stored, createdAt: 0 }, { name: 'bot', hash: hashApiKey(key), views: ['a', 'default'], scopes: ['read'], createdAt: 0 });
        assert.ok(!JSON.stringify(store.listKeys()).includes(key), 'the key itself is not stored');
      } finally {
        store.close();
      }
      await assert.rejects(runKeys({ values: { config, views: ['nope'] }, positionals: ['create', 'x'] }, capture()), /--views: no view "nope" in the config \(views: default, a\)/);
      await assert.rejects(runKeys({ values: { config }, positionals: ['create', 'bad name'] }, capture()), /a key name is 1 to 64 letters/);
      await assert.rejects(runKeys({ values: { config }, positionals: ['revoke', 'ghost'] }, capture()), /no active key "ghost"/);
      await assert.rejects(runKeys({ values: { config }, positionals: ['rotate'] }, capture()), /takes create <name>, list or revoke <name>, not "rotate"/);
      const memory = join(dir, 'memory.yaml');
      writeFileSync(memory, 'servers: {}\nstore: { path: ":memory:" }\nauth: {}\n');
      await assert.rejects(runKeys({ values: { config: memory }, positionals: ['create', 'x'] }, capture()), /":memory:", which keeps nothing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string): string {
  try {
    parseConfig(text, { source: 'manifold.yaml' });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

describe('cache config', () => {
  it('is off without a cache: block; the block turns it on with documented defaults', () => {
    assert.equal(parseConfig('servers: {}\n').config.cache, undefined);
    assert.deepEqual(parseConfig('cache: {}\n').config.cache, {
      enabled: true,
      ttl: 60_000,
      maxEntries: 10_000,
      maxBytes: 64 * 1024 ** 2,
      maxEntryBytes: 1024 ** 2,
      exclude: [],
      resources: true,
      statsInterval: 300_000
    });
  });

  it('takes durations, byte sizes, globs and per-server settings', () => {
    const { config } = parseConfig(
      `servers:
  a: { command: a, cache: false }
  b: { command: b, cache: { ttl: 5s } }
cache: { ttl: 2m, maxBytes: 8MiB, maxEntryBytes: 64KB, include: ["github__*"], exclude: ["github__search*"], resources: false }
`
    );
    assert.equal(config.cache?.ttl, 120_000);
    assert.equal(config.cache?.maxBytes, 8 * 1024 ** 2);
    assert.equal(config.cache?.maxEntryBytes, 64_000);
    assert.deepEqual(config.cache?.include, ['github__*']);
    assert.equal(config.servers.a?.cache, false);
    assert.deepEqual(config.servers.b?.cache, { ttl: 5000 });
  });

  it('bad values are a startup error naming the config path', () => {
    assert.match(messageOf('cache: { ttl: 0 }\n'), /cache\.ttl: expected a duration above 0 and at most 24h/);
    assert.match(messageOf('cache: { ttl: 25h }\n'), /cache\.ttl: /);
    assert.match(messageOf('cache: { maxBytes: lots }\n'), /cache\.maxBytes: expected a size such as/);
    assert.match(
      messageOf('cache: { maxBytes: 8KiB, maxEntryBytes: 16KiB }\n'),
      /cache\.maxEntryBytes: maxEntryBytes must not exceed maxBytes/
    );
    assert.match(messageOf('cache: { maxEntries: 0 }\n'), /cache\.maxEntries/);
    assert.match(messageOf('cache: { tll: 5s }\n'), /cache: unknown key "tll"/);
    assert.match(messageOf('servers: { a: { command: a, cache: { ttl: -1 } } }\n'), /servers\.a\.cache/);
    assert.match(messageOf('servers: { a: { command: a, cache: { maxBytes: 1 } } }\n'), /servers\.a\.cache/);
  });
});

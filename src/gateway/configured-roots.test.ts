import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../config/index.js';
import { configuredRoots } from './configured-roots.js';

describe('configuredRoots (servers.<name>.roots)', () => {
  it('resolves paths against the config file folder and keeps file:// URIs; none by default', () => {
    const { config } = parseConfig('servers:\n  fs: { command: x, roots: [data, /srv/a, "file:///srv/b"] }\n  other: { command: y }\n');
    const roots = configuredRoots(config, '/home/me/manifold/manifold.yaml');
    assert.deepEqual(roots.get('fs'), [
      { uri: 'file:///home/me/manifold/data', name: 'data' },
      { uri: 'file:///srv/a', name: 'a' },
      { uri: 'file:///srv/b', name: 'b' }
    ]);
    assert.deepEqual(roots.get('other'), []);
    assert.equal(config.servers.other?.perClient, false);
  });

  it('a URI that is not a local file:// one is a config error naming the key', () => {
    for (const bad of ['https://example.com/x', 'file://server/share']) {
      assert.throws(() => parseConfig(`servers:\n  fs: { command: x, roots: ["${bad}"] }\n`), /servers\.fs\.roots\.0.*expected a path or a local file:\/\/ URI/s);
    }
  });
});

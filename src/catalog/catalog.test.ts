import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toPublicName } from './catalog.js';

describe('toPublicName', () => {
  it('prefixes with the server and "__"', () => {
    assert.equal(toPublicName('github', 'list_issues', true), 'github__list_issues');
  });

  it('keeps the name as is without a prefix', () => {
    assert.equal(toPublicName('conf', 'test.tool/with-odd chars', false), 'test.tool/with-odd chars');
  });

  it('replaces characters LLM APIs refuse', () => {
    assert.equal(toPublicName('fs', 'read.file/v2', true), 'fs__read_file_v2');
  });

  it('shortens long names to 64 characters, stably and uniquely', () => {
    const long = 'a'.repeat(80);
    const first = toPublicName('server', long, true);
    assert.equal(first.length, 64);
    assert.equal(first, toPublicName('server', long, true));
    assert.notEqual(first, toPublicName('server', 'a'.repeat(79) + 'b', true));
    assert.match(first, /^[A-Za-z0-9_-]{1,64}$/);
  });
});

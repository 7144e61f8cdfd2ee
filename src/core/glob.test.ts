import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createNameFilter, globToRegExp } from './glob.js';

describe('globs', () => {
  it('matches * and ? and escapes the rest', () => {
    assert.ok(globToRegExp('read_*').test('read_file'));
    assert.ok(!globToRegExp('read_*').test('write_file'));
    assert.ok(globToRegExp('get-?').test('get-a'));
    assert.ok(!globToRegExp('a.b').test('axb'));
    assert.ok(globToRegExp('**').test('anything/at/all'));
  });

  it('include then exclude', () => {
    const keep = createNameFilter(['read_*', 'list_*'], ['*_secret']);
    assert.ok(keep('read_file'));
    assert.ok(keep('list_dir'));
    assert.ok(!keep('read_secret'));
    assert.ok(!keep('write_file'));
    assert.ok(createNameFilter(undefined, undefined)('x'));
  });
});

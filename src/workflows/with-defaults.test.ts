import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { withDefaults } from './with-defaults.js';

describe('regression issue 9 #13: input defaults', () => {
  const schema = {
    type: 'object',
    properties: {
      n: { type: 'integer', default: 3 },
      opts: { type: 'object', properties: { depth: { type: 'integer', default: 2 } } },
      list: { type: 'array', items: { type: 'object', properties: { on: { type: 'boolean', default: true } } } },
      tags: { type: 'array', default: ['a'] }
    },
    allOf: [{ properties: { mode: { type: 'string', default: 'fast' } } }]
  };

  it('fills what is absent, in nested objects, array items and allOf parts, on a copy', () => {
    const given = { opts: {}, list: [{}, { on: false }] };
    const filled = withDefaults(schema, given);
    assert.deepEqual(filled, { n: 3, opts: { depth: 2 }, list: [{ on: true }, { on: false }], tags: ['a'], mode: 'fast' });
    assert.deepEqual(given, { opts: {}, list: [{}, { on: false }] }, 'the caller\'s object is not changed');
    const tags = filled.tags;
    assert.ok(Array.isArray(tags));
    tags.push('b');
    assert.deepEqual(withDefaults(schema, {}).tags, ['a'], 'each run gets its own copy of a default');
  });

  it('keeps what was given, null included, and leaves values of the wrong type to validation', () => {
    assert.deepEqual(withDefaults(schema, { n: 7, opts: 'x', tags: null }), { n: 7, opts: 'x', tags: null, mode: 'fast' });
  });
});

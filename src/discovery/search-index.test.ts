import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SearchIndex, topK } from './search-index.js';

const one = (term: string) => [{ term, weight: 1 }];

describe('SearchIndex (BM25F)', () => {
  it('scores a single-field index exactly as BM25 (k1 1.2, b 0.75)', () => {
    const index = new SearchIndex<'text'>({ fields: { text: { weight: 1, b: 0.75 } }, k1: 1.2 });
    index.add('a', { text: ['x', 'y'] });
    index.add('b', { text: ['y', 'z', 'z'] });
    // x: df 1 of 2 → idf ln(1 + 1.5/1.5) = ln 2; a has length 2, average 2.5 → tf 1/(0.25 + 0.75·0.8) = 1/0.85
    const [hit] = index.search(one('x'), { limit: 10 });
    assert.equal(hit?.id, 'a');
    assert.ok(Math.abs((hit?.score ?? 0) - 0.3431421) < 1e-6, `score ${hit?.score}`);
  });

  it('weights fields: a match in a heavy field outranks the same match in a light one', () => {
    const index = new SearchIndex<'name' | 'description'>({
      fields: { name: { weight: 3, b: 0 }, description: { weight: 1, b: 0 } }
    });
    index.add('in-description', { name: ['other'], description: ['weather'] });
    index.add('in-name', { name: ['weather'], description: ['other'] });
    assert.deepEqual(
      index.search(one('weather'), { limit: 10 }).map(hit => hit.id),
      ['in-name', 'in-description']
    );
  });

  it('removes and replaces documents, keeping frequencies and averages right', () => {
    const index = new SearchIndex<'text'>({ fields: { text: { weight: 1, b: 0.75 } } });
    index.add('a', { text: ['x'] });
    index.add('b', { text: ['x', 'y'] });
    assert.equal(index.documentFrequency('x'), 2);
    index.remove('a');
    assert.equal(index.documentFrequency('x'), 1);
    assert.equal(index.size, 1);
    index.add('b', { text: ['z'] });
    assert.equal(index.documentFrequency('x'), 0);
    assert.deepEqual(
      index.search(one('z'), { limit: 5 }).map(hit => hit.id),
      ['b']
    );
    assert.deepEqual(index.termsWithPrefix('z'), ['z']);
    assert.deepEqual(index.termsWithPrefix('x'), []);
  });

  it("counts an alternative as an occurrence of the term: one saturation, the group's document frequency", () => {
    const index = new SearchIndex<'text'>({ fields: { text: { weight: 1, b: 0 } } });
    index.add('direct', { text: ['folder'] });
    index.add('synonym', { text: ['directory'] });
    index.add('both', { text: ['folder', 'directory'] });
    index.add('other', { text: ['file'] });
    const hits = index.search([{ term: 'folder', weight: 1, alternatives: [{ term: 'directory', factor: 1 }] }], {
      limit: 10
    });
    const score = (id: string) => hits.find(hit => hit.id === id)?.score ?? 0;
    assert.equal(score('direct'), score('synonym'));
    // df 3 of 4 → idf ln(1 + 1.5/3.5); "both" has tf 2 → 2/3.2, not two separate saturated scores
    assert.ok(Math.abs(score('both') - Math.log(1 + 1.5 / 3.5) * (2 / 3.2)) < 1e-9);
    const half = index.search([{ term: 'folder', weight: 1, alternatives: [{ term: 'directory', factor: 0.5 }] }], {
      limit: 10
    });
    assert.deepEqual(
      half.map(hit => hit.id),
      ['both', 'direct', 'synonym']
    );
  });

  it('filters candidates and honours the limit', () => {
    const index = new SearchIndex<'text'>({ fields: { text: { weight: 1, b: 0.75 } } });
    for (const id of ['a', 'b', 'c', 'd']) index.add(id, { text: ['x'] });
    const hits = index.search(one('x'), { limit: 2, accept: id => id !== 'a' });
    assert.deepEqual(
      hits.map(hit => hit.id),
      ['b', 'c']
    );
  });
});

describe('topK', () => {
  it('returns the best by score, ties by id, on long lists too', () => {
    const items = Array.from({ length: 100 }, (_, index) => ({
      id: `t${String(index).padStart(3, '0')}`,
      score: index % 10
    }));
    const best = topK(items, 3);
    assert.deepEqual(
      best.map(item => item.id),
      ['t009', 't019', 't029']
    );
  });
});

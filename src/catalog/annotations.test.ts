import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { combineAnnotations, createAnnotationCorrector } from './annotations.js';

describe('regression issue 9 #14: annotations corrected and combined consistently', () => {
  it('an override\'s read-only is not destructive and is idempotent; destructive is not read-only', () => {
    const derived = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    assert.deepEqual(combineAnnotations(derived, { readOnlyHint: true }), { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    assert.deepEqual(combineAnnotations({ readOnlyHint: true }, { destructiveHint: true }), { readOnlyHint: false, destructiveHint: true });
    assert.deepEqual(combineAnnotations(derived, { readOnlyHint: true, idempotentHint: false }).idempotentHint, false);
    assert.deepEqual(combineAnnotations(derived, undefined), derived);
  });

  it('corrections by glob: every matching glob applies, later over earlier; other tools are left as sent', () => {
    const correct = createAnnotationCorrector({ 'read_*': { readOnlyHint: true }, read_secret: { openWorldHint: true, title: 'Secret' } })!;
    const tool = (name: string, annotations?: Record<string, boolean>) => ({ name, inputSchema: { type: 'object' as const }, ...(annotations ? { annotations } : {}) });
    assert.deepEqual(correct(tool('read_sheet', { destructiveHint: true })).annotations, { destructiveHint: false, readOnlyHint: true, idempotentHint: true });
    assert.deepEqual(correct(tool('read_secret')).annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true, title: 'Secret' });
    const untouched = tool('write_sheet', { destructiveHint: true });
    assert.equal(correct(untouched), untouched);
    assert.equal(createAnnotationCorrector({}), undefined);
  });
});

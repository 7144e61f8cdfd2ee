/**
 * The redactor, fuzzed (docs/SECURITY.md "Fuzzing"): it never throws on arbitrary text or JSON, redacting twice
 * changes nothing more, keys are kept, and a secret planted anywhere in arbitrary text never survives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { defaultRedactor } from '../../src/redaction/index.js';
import { fuzzParameters } from './fuzz-settings.js';

const upperDigits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const chars = (alphabet: string, length: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: length, maxLength: length }).map(list => list.join(''));

/** Secrets of the high-confidence rules, generated. */
const secret = fc.oneof(
  chars(upperDigits, 16).map(rest => 'AKIA' + rest),
  chars(alnum, 36).map(rest => 'ghp_' + rest),
  chars(alnum, 24).map(rest => 'glpat-' + rest),
  chars(alnum, 40).map(rest => 'sk-ant-api03-' + rest),
  chars(alnum, 40).map(rest => `sk-proj-${rest}9`),
  chars(alnum, 24).map(rest => `xoxb-123456-${rest}`)
);

/** Text around a secret that ends where a word does (a secret glued to letters is another token). */
const surround = fc.string({ maxLength: 40 }).map(text => text.replace(/[A-Za-z0-9_+/=-]+$/, '') + ' ');

describe('fuzz: the redactor', () => {
  it('never throws, is idempotent, and keeps the keys of JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), value => {
        const once = defaultRedactor.redactValue(value);
        assert.deepEqual(defaultRedactor.redactValue(once), once);
        if (value !== null && typeof value === 'object' && !Array.isArray(value))
          assert.deepEqual(Object.keys(once as object), Object.keys(value));
      }),
      fuzzParameters(500)
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), text => {
        const once = defaultRedactor.redactText(text);
        assert.equal(defaultRedactor.redactText(once), once);
      }),
      fuzzParameters(500)
    );
  });

  it('a high-confidence secret planted in arbitrary text never survives, and block mode finds it', () => {
    fc.assert(
      fc.property(
        surround,
        secret,
        fc.string({ maxLength: 40 }).map(text => ' ' + text),
        (before, planted, after) => {
          const text = before + planted + after;
          assert.ok(
            !defaultRedactor.redactText(text).includes(planted),
            `${planted} survived in ${JSON.stringify(text)}`
          );
          assert.ok(defaultRedactor.findHighConfidence({ nested: [text] }).length > 0);
        }
      ),
      fuzzParameters(500)
    );
  });
});

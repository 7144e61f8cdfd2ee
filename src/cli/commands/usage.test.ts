import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSince } from './usage.js';

describe('manifold usage --since', () => {
  const now = Date.UTC(2027, 1, 10, 12, 0);
  it('takes a span back from now, a date (UTC midnight) or a date-time, and defaults to 24 h', () => {
    assert.equal(parseSince(undefined, now), now - 24 * 3_600_000);
    assert.equal(parseSince('6h', now), now - 6 * 3_600_000);
    assert.equal(parseSince('7d', now), now - 7 * 24 * 3_600_000);
    assert.equal(parseSince('2027-01-31', now), Date.UTC(2027, 0, 31));
    assert.equal(parseSince('2027-01-31T10:00:00Z', now), Date.UTC(2027, 0, 31, 10));
  });
  it('refuses anything else, naming the flag', () => {
    assert.throws(() => parseSince('yesterday', now), /--since: expected a span such as 24h or 7d, or a date such as 2027-01-31, got "yesterday"/);
  });
});

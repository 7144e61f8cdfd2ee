import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { storeBackends } from '../../../test/helpers/store-backends.js';
import { openRunStore } from '../open-store.js';

const hour = 3_600_000;
const row = (at: number, principal: string, resultTokens: number) => ({
  hour: at, principal, view: '', server: 's', tool: 't', workflow: '', calls: 1, inputTokens: 1, resultTokens, modelTokens: 2
});

for (const backend of storeBackends()) describe(`usage_hourly in the run store (${backend.name})`, () => {
  it('adds counts to the row of their hour and key, reads rows from the hour of `since`, and survives reopening', async () => {
    {
      const path = await backend.address();
      const start = 100 * hour;
      const store = openRunStore(path);
      store.addUsage([row(start, 'a', 10), row(start, 'b', 5)]);
      store.addUsage([row(start, 'a', 7), row(start + hour, 'a', 1)]);
      store.close();
      const reopened = openRunStore(path);
      const rows = reopened.usageSince(start + hour / 2);
      assert.deepEqual(rows.map(found => [found.hour, found.principal, found.calls, found.resultTokens, found.modelTokens]).sort(), [
        [start, 'a', 2, 17, 4],
        [start, 'b', 1, 5, 2],
        [start + hour, 'a', 1, 1, 2]
      ]);
      assert.deepEqual(reopened.usageSince(start + hour).map(found => found.hour), [start + hour]);
      reopened.close();
    }
  });
});

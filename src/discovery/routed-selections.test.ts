import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DownstreamContext } from '../core/pipeline.js';
import { RoutedSelections, type ViewRouter } from './routed-selections.js';

function context(sessionId: string, notified: string[], requestScoped = false): DownstreamContext {
  return {
    era: 'legacy',
    sessionId,
    ...(requestScoped ? { requestScoped: true } : {}),
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    notify: async notification => void notified.push(`${sessionId}:${notification.method}`),
    log: () => {}
  };
}

const router: ViewRouter = {
  name: 'pick',
  select: async request => ({
    route: request,
    tools: request === 'files' ? ['fs__read', 'fs__write'] : ['echo__echo'],
    routing: { route: request }
  })
};
const asViewNames = (names: readonly string[]) => names.filter(name => name !== 'fs__write');

describe('RoutedSelections', () => {
  it("keeps each session's choice apart, notifies only the choosing session, and forgets an ended session", async () => {
    const selections = new RoutedSelections(router);
    const notified: string[] = [];
    const result = await selections.route({ request: 'files' }, context('a', notified), asViewNames);
    assert.deepEqual((result.structuredContent as { tools: string[] }).tools, ['fs__read']);
    await selections.route({ request: 'echo' }, context('b', notified), asViewNames);
    assert.deepEqual([...(selections.toolsOf('a') ?? [])], ['fs__read', 'fs__write']);
    assert.deepEqual([...(selections.toolsOf('b') ?? [])], ['echo__echo']);
    assert.deepEqual(notified, ['a:notifications/tools/list_changed', 'b:notifications/tools/list_changed']);
    selections.forget('a');
    assert.equal(selections.toolsOf('a'), undefined);
    assert.equal(selections.routeOf('b'), 'echo');
  });

  it('a sessionless request keeps no choice and is not sent list_changed', async () => {
    const selections = new RoutedSelections(router);
    const notified: string[] = [];
    const result = await selections.route({ request: 'echo' }, context('request:1', notified, true), asViewNames);
    assert.equal(result.isError, undefined);
    assert.equal(selections.toolsOf('request:1'), undefined);
    assert.deepEqual(notified, []);
  });

  it('a route none of whose tools the view holds, a missing request and a failing router leave the choice as it was', async () => {
    const selections = new RoutedSelections({
      name: 'pick',
      select: async request => {
        if (request === 'boom') throw new Error('the model answered nonsense twice');
        return { route: 'hidden', tools: ['fs__write'], routing: {} };
      }
    });
    const notified: string[] = [];
    const hidden = await selections.route({ request: 'x' }, context('a', notified), asViewNames);
    assert.equal(hidden.isError, true);
    assert.match(
      JSON.stringify(hidden.content),
      /chose route \\"hidden\\", but this view holds none of its tools \(fs__write\)/
    );
    const missing = await selections.route({}, context('a', notified), asViewNames);
    assert.match(JSON.stringify(missing.content), /route needs \\"request\\"/);
    const failed = await selections.route({ request: 'boom' }, context('a', notified), asViewNames);
    assert.match(
      JSON.stringify(failed.content),
      /Router \\"pick\\" could not choose a route: the model answered nonsense twice/
    );
    assert.equal(selections.toolsOf('a'), undefined);
    assert.deepEqual(notified, []);
  });
});

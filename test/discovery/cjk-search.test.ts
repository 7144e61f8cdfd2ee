import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectStdio, repoRoot, tsEntry, writeConfig } from '../helpers/gateway.js';

interface Retrieved {
  tools: Array<{ name: string; server: string; score: number }>;
}

/** A stdio server described only in Chinese (shaped like howtocook-mcp), behind a search view. */
const config = {
  servers: {
    cook: {
      command: process.execPath,
      args: tsEntry('test/discovery/fixtures/recipes-zh.ts'),
      cwd: repoRoot
    }
  },
  views: { default: { discovery: 'search' } }
};

describe('regression issue 9, defect 15: tools described only in Chinese are found by a partial phrase', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`retrieve_tools over stdio, ${era} client: 膳食计划 finds recommendMeals, 早餐 finds getRecipesByCategory`, async () => {
      await using file = writeConfig(config);
      await using gateway = await connectStdio(file.path, { era });
      const { client } = gateway;
      const search = async (query: string) => {
        const result = await client.callTool({ name: 'retrieve_tools', arguments: { query, limit: 3 } });
        assert.equal(result.isError, undefined, JSON.stringify(result));
        return (result.structuredContent as Retrieved).tools.map(tool => tool.name);
      };
      // Two characters of a 48-character description; before CJK bigrams the description was one token.
      assert.equal((await search('帮我做一个膳食计划'))[0], 'cook__recommendMeals');
      assert.equal((await search('有哪些早餐'))[0], 'cook__getRecipesByCategory');
      assert.equal((await search('不知道吃什么'))[0], 'cook__whatToEat');
      const called = await client.callTool({
        name: 'call_tool',
        arguments: { name: 'cook__recommendMeals', arguments: { peopleCount: 2 } }
      });
      assert.deepEqual(called.content, [{ type: 'text', text: 'recommendMeals {"peopleCount":2}' }]);
    });
  }
});

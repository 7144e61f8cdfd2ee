import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { SearchableTool } from './tool-document.js';
import { ToolIndex } from './tool-index.js';

function tool(
  server: string,
  name: string,
  description: string,
  properties: Record<string, { type: string; description?: string }> = {}
): SearchableTool {
  return {
    name: `${server}__${name}`,
    server,
    originalName: name,
    definition: { name: `${server}__${name}`, description, inputSchema: { type: 'object', properties } }
  };
}

/** A small catalog in the shape of real MCP servers (names and descriptions like GitHub's, Slack's, a filesystem's). */
const catalog: SearchableTool[] = [
  tool('github', 'create_issue', 'Create a new issue in a GitHub repository.', {
    owner: { type: 'string' },
    repo: { type: 'string' },
    title: { type: 'string' }
  }),
  tool('github', 'list_issues', 'List issues in a GitHub repository, with filters.', {
    owner: { type: 'string' },
    repo: { type: 'string' },
    state: { type: 'string' }
  }),
  tool('github', 'create_pull_request', 'Open a pull request from a branch.', {
    head: { type: 'string' },
    base: { type: 'string' }
  }),
  tool('fs', 'read_text_file', 'Read the complete contents of a file as text.', {
    path: { type: 'string', description: 'Path of the file' }
  }),
  tool('fs', 'write_file', 'Create a new file or overwrite an existing one.', {
    path: { type: 'string' },
    content: { type: 'string' }
  }),
  tool('fs', 'list_directory', 'Get a detailed listing of all files and directories in a specified path.', {
    path: { type: 'string' }
  }),
  tool('slack', 'post_message', 'Post a message to a Slack channel.', {
    channel_id: { type: 'string', description: 'The channel to post to' },
    text: { type: 'string' }
  }),
  tool('weather', 'get_forecast', 'Weather forecast for a location, by latitude and longitude.', {
    latitude: { type: 'number' },
    longitude: { type: 'number' }
  })
];

const names = (index: ToolIndex, query: string, limit = 3) =>
  index.search(query, { limit }).map(match => match.tool.name);

describe('ToolIndex ranking on a hand-made catalog', () => {
  const index = new ToolIndex();
  index.sync(catalog);

  it('finds a tool by the words of its name', () => {
    assert.equal(names(index, 'create issue')[0], 'github__create_issue');
    assert.equal(names(index, 'list directory')[0], 'fs__list_directory');
  });

  it('matches other forms of a word (stemming): "reading files" finds read_text_file', () => {
    assert.equal(names(index, 'reading files')[0], 'fs__read_text_file');
  });

  it('expands synonyms and abbreviations: "open a ticket in the repo" finds create_issue', () => {
    assert.equal(names(index, 'file a ticket in the repo')[0], 'github__create_issue');
    const plain = new ToolIndex({ synonyms: false });
    plain.sync(catalog);
    assert.notEqual(names(plain, 'file a ticket in the repo')[0], 'github__create_issue');
  });

  it('a synonym counts as the word itself (only the exact word form adds to it)', () => {
    const stemsOnly = new ToolIndex({ exactWeight: 0 });
    stemsOnly.sync(catalog);
    const score = (query: string) => stemsOnly.search(query, { limit: 1 })[0];
    const viaSynonym = score('folder');
    assert.equal(viaSynonym?.tool.name, 'fs__list_directory');
    assert.equal(viaSynonym?.score, score('directory')?.score);
    const halfWeight = new ToolIndex({ exactWeight: 0, synonymWeight: 0.5 });
    halfWeight.sync(catalog);
    assert.ok((halfWeight.search('folder', { limit: 1 })[0]?.score ?? 0) < (viaSynonym?.score ?? 0));
  });

  it('uses parameter names and descriptions: "send text to a channel" finds post_message', () => {
    assert.equal(names(index, 'send text to a channel')[0], 'slack__post_message');
  });

  it('uses the server name: "slack" finds the Slack tool, "github" only GitHub tools', () => {
    assert.equal(names(index, 'slack')[0], 'slack__post_message');
    assert.deepEqual(new Set(names(index, 'github', 10).map(name => name.split('__')[0])), new Set(['github']));
  });

  it('matches an unknown word to indexed words it begins (prefix): "forecas" finds get_forecast', () => {
    assert.equal(names(index, 'forecas')[0], 'weather__get_forecast');
  });

  it('a query that spells a tool name puts that tool first (public or own name, any case)', () => {
    assert.equal(names(index, 'how do I call list_issues with a state filter')[0], 'github__list_issues');
    assert.equal(names(index, 'weather__get_forecast')[0], 'weather__get_forecast');
    assert.equal(names(index, 'what does Read_Text_File return')[0], 'fs__read_text_file');
    // A plain word is not a name: "slack" ranks, it does not pin.
    assert.equal(index.search('post_message', { server: 'fs', limit: 3 }).length, 0);
  });

  it('filters by server and limit, scores descending', () => {
    const matches = index.search('create', { server: 'fs', limit: 5 });
    assert.deepEqual(
      matches.map(match => match.tool.name),
      ['fs__write_file']
    );
    const all = index.search('file', { limit: 10 });
    for (let i = 1; i < all.length; i++) assert.ok((all[i - 1]?.score ?? 0) >= (all[i]?.score ?? 0));
  });

  it('returns nothing for a query of stop words only', () => {
    assert.deepEqual(index.search('can you please do it', { limit: 5 }), []);
  });
});

describe('ToolIndex across servers with the same tools', () => {
  const same = (server: string, serverDescription: string): SearchableTool => ({
    ...tool(server, 'create_issue', 'Create a new issue', { title: { type: 'string' } }),
    serverDescription
  });
  const index = new ToolIndex();
  index.sync([
    same('github', 'GitHub: repositories, issues and pull requests'),
    same('gitlab', 'GitLab projects and merge requests'),
    same('linear', 'Linear project tracking'),
    same('jira', 'Atlassian Jira')
  ]);

  it('the server named in the query decides, by its name or its description', () => {
    assert.equal(names(index, 'create a gitlab issue')[0], 'gitlab__create_issue');
    assert.equal(names(index, 'open a jira ticket')[0], 'jira__create_issue');
    assert.equal(names(index, 'file a bug in an Atlassian project')[0], 'jira__create_issue');
  });
});

describe('ToolIndex updates', () => {
  it('re-indexes only what changed and follows a changed description', () => {
    const index = new ToolIndex();
    assert.equal(index.sync(catalog), catalog.length);
    assert.equal(index.sync(catalog), 0, 'an unchanged catalog re-indexes nothing');
    assert.notEqual(names(index, 'translate text')[0], 'slack__post_message');
    const changed = catalog.map(entry =>
      entry.name === 'slack__post_message'
        ? { ...entry, definition: { ...entry.definition, description: 'Translate text between languages.' } }
        : entry
    );
    assert.equal(index.sync(changed), 1);
    assert.equal(names(index, 'translate text')[0], 'slack__post_message');
  });

  it('syncServer replaces one server and leaves the others', () => {
    const index = new ToolIndex();
    index.sync(catalog);
    index.syncServer('github', [tool('github', 'search_code', 'Search code across repositories.')]);
    assert.equal(index.get('github__create_issue'), undefined);
    assert.equal(names(index, 'search code')[0], 'github__search_code');
    assert.equal(names(index, 'read a file')[0], 'fs__read_text_file');
    assert.equal(index.size, catalog.length - 3 + 1);
  });
});

describe('ToolIndex on tools described in Chinese, Japanese and Korean (issue 9, defect 15)', () => {
  const index = new ToolIndex();
  index.sync([
    tool('amap', 'maps_weather', '根据城市名称或者标准adcode查询指定城市的天气', {
      city: { type: 'string', description: '城市名称或者adcode' }
    }),
    tool('amap', 'maps_bicycling', '骑行路径规划，用于规划骑自行车通勤的方案，会考虑天桥、单行线、封路等情况'),
    tool('cook', 'recommendMeals', '根据用户的忌口、过敏原、人数智能推荐菜谱，创建一周的膳食计划以及大致的购物清单'),
    tool('backlog', 'add_comment', '課題にコメントを追加します'),
    tool('naver', 'search_news', '네이버 뉴스에서 최신 기사를 검색합니다'),
    ...catalog
  ]);

  it('a partial phrase of a Chinese description finds the tool (a run of Han characters was one token)', () => {
    assert.equal(names(index, '北京天气')[0], 'amap__maps_weather');
    assert.equal(names(index, '骑自行车')[0], 'amap__maps_bicycling');
    assert.equal(names(index, '购物清单')[0], 'cook__recommendMeals');
  });

  it('Japanese and Korean partial phrases, and a query mixing scripts', () => {
    assert.equal(names(index, 'コメントを書く')[0], 'backlog__add_comment');
    assert.equal(names(index, '뉴스 기사')[0], 'naver__search_news');
    assert.equal(names(index, 'adcode 天气')[0], 'amap__maps_weather');
  });
});

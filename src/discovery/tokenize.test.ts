import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cjkBigrams, splitWords, stem, tokenize } from './tokenize.js';

describe('splitWords', () => {
  it('splits camelCase, PascalCase, snake_case, kebab-case and dotted names', () => {
    assert.deepEqual(splitWords('getFileContents'), ['get', 'file', 'contents']);
    assert.deepEqual(splitWords('GetFileContents'), ['get', 'file', 'contents']);
    assert.deepEqual(splitWords('get_file_contents'), ['get', 'file', 'contents']);
    assert.deepEqual(splitWords('get-file-contents'), ['get', 'file', 'contents']);
    assert.deepEqual(splitWords('github__create_issue'), ['github', 'create', 'issue']);
    assert.deepEqual(splitWords('files.read'), ['files', 'read']);
  });

  it('keeps acronyms whole and splits them from the next word', () => {
    assert.deepEqual(splitWords('HTTPServer'), ['http', 'server']);
    assert.deepEqual(splitWords('parseJSONBody'), ['parse', 'json', 'body']);
    assert.deepEqual(splitWords('getURL'), ['get', 'url']);
  });

  it('splits a number from a word of two letters or more (base64, utf8) but keeps v2 and s3 whole', () => {
    assert.deepEqual(splitWords('listTablesV2'), ['list', 'tables', 'v2']);
    assert.deepEqual(splitWords('encode base64 to s3'), ['encode', 'base', '64', 'to', 's3']);
  });

  it('drops apostrophes and punctuation', () => {
    assert.deepEqual(splitWords("Don't read the user's (private) files!"), [
      'dont',
      'read',
      'the',
      'users',
      'private',
      'files'
    ]);
  });
});

describe('tokenize', () => {
  it('drops stop words and stems what is left', () => {
    assert.deepEqual(tokenize('Can you please list all the open issues in my repositories?'), [
      'list',
      'open',
      'issu',
      'repositori'
    ]);
  });

  it('gives one term to the forms of a word', () => {
    assert.equal(stem('searching'), stem('searches'));
    assert.equal(stem('files'), stem('file'));
    assert.equal(stem('created'), stem('creating'));
  });

  it('leaves numbers and short words alone', () => {
    assert.deepEqual(tokenize('top 10 pr'), ['top', '10', 'pr']);
  });
});

describe('CJK text (issue 9, defect 15: a run of Han characters was one token)', () => {
  it('cuts a Chinese run into overlapping character bigrams, unstemmed', () => {
    assert.deepEqual(tokenize('查询天气'), ['查询', '询天', '天气']);
    // A partial phrase of a description shares its bigrams with it.
    const description = new Set(tokenize('根据城市名称查询指定城市的天气'));
    assert.deepEqual(
      tokenize('城市天气').filter(term => description.has(term)),
      ['城市', '天气']
    );
  });

  it('keeps a lone character as itself', () => {
    assert.deepEqual(cjkBigrams('菜'), ['菜']);
    assert.deepEqual(tokenize('做 菜'), ['做', '菜']);
  });

  it('bigrams Japanese (kana and kanji together) and Korean', () => {
    assert.deepEqual(tokenize('ファイルを読む'), ['ファ', 'ァイ', 'イル', 'ルを', 'を読', '読む']);
    assert.deepEqual(tokenize('ラーメン'), ['ラー', 'ーメ', 'メン']);
    assert.deepEqual(tokenize('블로그 검색'), ['블로', '로그', '검색']);
  });

  it('separates CJK runs from Latin words and stems only the Latin ones', () => {
    assert.deepEqual(splitWords('根据adcode查询'), ['根据', 'adcode', '查询']);
    assert.deepEqual(tokenize('getRecipes 获取菜谱 recipes'), ['get', 'recip', '获取', '取菜', '菜谱', 'recip']);
  });

  it('counts characters, not UTF-16 units (characters outside the BMP)', () => {
    assert.deepEqual(cjkBigrams('𠮷野家'), ['𠮷野', '野家']);
  });
});

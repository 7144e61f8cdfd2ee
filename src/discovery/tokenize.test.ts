import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { splitWords, stem, tokenize } from './tokenize.js';

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

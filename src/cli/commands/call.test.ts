import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseToolArguments, renderResult } from './call.js';

describe('manifold call arguments', () => {
  it('merges --args JSON and key=value pairs, parsing JSON values', () => {
    assert.deepEqual(parseToolArguments('{"a": 1, "b": "x"}', ['b=2', 'c=hello', 'd=true', 'e=[1,2]', 'f=a=b']), {
      a: 1,
      b: 2,
      c: 'hello',
      d: true,
      e: [1, 2],
      f: 'a=b'
    });
  });

  it('rejects bad input with a clear message', () => {
    assert.throws(() => parseToolArguments('{nope', []), /--args is not valid JSON/);
    assert.throws(() => parseToolArguments('[1]', []), /must be a JSON object/);
    assert.throws(() => parseToolArguments(undefined, ['novalue']), /expected key=value/);
  });

  it('renders text, images and errors', () => {
    const text = renderResult({
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', mimeType: 'image/png', data: 'AAAA' }
      ],
      isError: true
    });
    assert.equal(text, '(the tool reported an error)\nhello\n[image image/png, 4 base64 chars]');
  });
});

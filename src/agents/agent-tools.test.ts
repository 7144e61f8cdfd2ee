import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CatalogTool } from '../catalog/index.js';
import { agentAnnotations } from './agent-tools.js';
import { resultText } from './run-agent.js';
import { parseJsonAnswer } from './sampling/create-sampling-backend.js';

const tool = (annotations: Record<string, boolean> | undefined): CatalogTool => ({
  name: 't',
  upstream: 's',
  originalName: 't',
  definition: { name: 't', inputSchema: { type: 'object' }, ...(annotations ? { annotations } : {}) },
  descriptionHash: ''
});

describe('agentAnnotations', () => {
  it('read-only only when every tool is; destructive when any may be; never idempotent', () => {
    assert.deepEqual(agentAnnotations([tool({ readOnlyHint: true }), tool({ readOnlyHint: true })]), {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: true
    });
    assert.equal(agentAnnotations([tool({ readOnlyHint: true }), tool(undefined)]).destructiveHint, true);
    assert.equal(
      agentAnnotations([tool({ readOnlyHint: true }), tool({ readOnlyHint: false, destructiveHint: false })])
        .destructiveHint,
      false
    );
    assert.deepEqual(agentAnnotations([]), {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true
    });
  });
});

describe('resultText', () => {
  it('text as text, other blocks and structured content as JSON, long results cut with a note', () => {
    assert.equal(
      resultText({
        content: [
          { type: 'text', text: 'a' },
          { type: 'image', mimeType: 'image/png', data: 'xx' }
        ]
      }),
      'a\n[image image/png]'
    );
    assert.equal(resultText({ content: [], structuredContent: { n: 1 } }), '{"n":1}');
    assert.equal(resultText({}), '(no content)');
    const long = resultText({ content: [{ type: 'text', text: 'x'.repeat(60_000) }] });
    assert.match(long, /\[cut: the result has 60000 characters; the first 50000 are shown\]$/);
  });
});

describe('parseJsonAnswer (sampling without tools)', () => {
  it('reads an answer or tool calls, in a fence or with words around', () => {
    assert.deepEqual(parseJsonAnswer('{"answer": "42"}'), { ok: true, answer: '42', toolCalls: [] });
    assert.deepEqual(
      parseJsonAnswer('Sure:\n```json\n{"tool_calls": [{"name": "a__b", "arguments": {"x": 1}}]}\n```'),
      { ok: true, toolCalls: [{ name: 'a__b', arguments: { x: 1 } }] }
    );
  });
  it('says what is wrong otherwise', () => {
    assert.deepEqual(parseJsonAnswer('no json'), { ok: false, why: 'it holds no JSON object' });
    assert.match((parseJsonAnswer('{"answer": 1') as { why: string }).why, /^it holds no JSON object|does not parse/);
    assert.match((parseJsonAnswer('{"tool_calls": []}') as { why: string }).why, /expected \{"answer": string\}/);
    assert.match((parseJsonAnswer('{"answer": "a", "extra": 1}') as { why: string }).why, /expected/);
  });
});

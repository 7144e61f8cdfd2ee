import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isTruthy } from './execute-workflow.js';
import { compileTemplate, evaluateTemplate, type Scope, type TemplateProblem } from './template.js';
import { parseIfJson, toStepValue } from './to-step-value.js';

const scope: Scope = {
  input: { n: 2, name: 'ada', list: [1, 2, 3] },
  steps: { a: { result: { items: [{ title: 'x' }, { title: 'y' }], count: 2 }, status: 'ok' } },
  vars: {},
  item: { title: 'x' },
  index: 0
};

async function render(value: unknown): Promise<unknown> {
  const problems: TemplateProblem[] = [];
  const template = compileTemplate(value, 'with', problems);
  assert.deepEqual(problems, []);
  return evaluateTemplate(template, scope);
}

describe('templates', () => {
  it('a whole {{ }} keeps the value\'s type; text around it makes a string', async () => {
    assert.equal(await render('{{ input.n }}'), 2);
    assert.equal(await render('{{ input.n }} items'), '2 items');
    assert.equal(await render('list: {{ input.list }}'), 'list: [1,2,3]');
    assert.deepEqual(await render('{{ steps.a.result.items.title }}'), ['x', 'y']);
    assert.deepEqual(await render("{{ {'t': item.title, 'i': $index} }}"), { t: 'x', i: 0 });
  });

  it('objects and arrays are templates all the way down; missing values drop their key', async () => {
    assert.deepEqual(await render({ a: ['{{ input.name }}', 3, true, null], b: { c: '{{ input.nothing }}', d: 'plain' } }), { a: ['ada', 3, true, null], b: { d: 'plain' } });
  });

  it('expression results are plain JSON (no JSONata sequence marks, ordinary prototypes)', async () => {
    const value = (await render("{{ {'x': [1,2][$ > 0]} }}")) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(value)), { x: [1, 2] });
  });

  it('a bad expression is a problem at its path, and the rest still compiles', () => {
    const problems: TemplateProblem[] = [];
    compileTemplate({ ok: '{{ input.n }}', bad: 'x {{ input. }} y' }, 'with', problems);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'with.bad');
  });
});

describe('step results as data', () => {
  it('prefers structuredContent, parses JSON text, keeps other text', () => {
    assert.deepEqual(toStepValue({ content: [{ type: 'text', text: 'not json' }], structuredContent: { a: 1 } }), { a: 1 });
    assert.deepEqual(toStepValue({ content: [{ type: 'text', text: ' {"a": [1, 2]} ' }] }), { a: [1, 2] });
    assert.equal(toStepValue({ content: [{ type: 'text', text: 'Echo: hi' }] }), 'Echo: hi');
    assert.deepEqual(toStepValue({ content: [{ type: 'text', text: '1' }, { type: 'text', text: 'two' }] }), [1, 'two']);
    const image = { type: 'image', data: 'AAAA', mimeType: 'image/png' };
    assert.deepEqual(toStepValue({ content: [image] }), [image]);
    assert.equal(toStepValue({ content: [] }), null);
    assert.equal(parseIfJson('{broken'), '{broken');
    assert.equal(parseIfJson('"quoted"'), 'quoted');
  });

  it('truthiness follows JSONata', () => {
    for (const value of [false, null, undefined, 0, '', [], {}, [false, 0]]) assert.equal(isTruthy(value), false, JSON.stringify(value));
    for (const value of [true, 1, 'x', [0, 1], { a: 1 }]) assert.equal(isTruthy(value), true, JSON.stringify(value));
  });
});

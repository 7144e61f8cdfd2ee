import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { html, raw } from './html.js';

describe('console html templates', () => {
  it('escapes every interpolated value unless it is markup the console made', () => {
    const name = '<script>alert("x")</script>&\'';
    assert.equal(html`<p title="${name}">${name}</p>`.text, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    assert.equal(html`<ul>${['a<', 'b'].map(item => html`<li>${item}</li>`)}</ul>`.text, '<ul><li>a&lt;</li><li>b</li></ul>');
    assert.equal(html`${raw('<b>')}${undefined}${null}${false}${0}`.text, '<b>0');
    assert.equal(html`${{ a: '<' }}`.text, '{&quot;a&quot;:&quot;&lt;&quot;}');
  });
});

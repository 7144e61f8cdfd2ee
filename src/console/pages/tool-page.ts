import type { CatalogTool } from '../../catalog/index.js';
import type { PinDiff, PinView } from '../providers.js';
import { consoleHref, type Html, html } from '../render/html.js';

type JsonSchema = { type?: unknown; enum?: unknown[]; description?: string; default?: unknown; properties?: Record<string, JsonSchema>; required?: string[]; title?: string };

/** One form field for a property of the input schema; `data-type` tells the page's script how to read it back. */
function field(name: string, schema: JsonSchema, required: boolean): Html {
  const id = `arg-${name}`;
  const type: unknown = Array.isArray(schema.type) ? (schema.type as unknown[]).find(item => item !== 'null') : schema.type;
  const label = html`<label for="${id}">${name}${required ? html` <abbr title="required">*</abbr>` : ''}</label>`;
  const help = schema.description ? html`<small id="${id}-help">${schema.description}</small>` : '';
  const described = schema.description ? html` aria-describedby="${id}-help"` : '';
  const requiredAttribute = required ? html` required` : '';
  const defaultText = schema.default === undefined ? '' : typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default);
  let control: Html;
  if (Array.isArray(schema.enum) && schema.enum.every(value => typeof value === 'string')) {
    control = html`<select id="${id}" data-arg="${name}" data-type="string"${described}${requiredAttribute}>${required ? '' : html`<option value="">(none)</option>`}${schema.enum.map(
      value => html`<option${value === schema.default ? html` selected` : ''}>${value}</option>`
    )}</select>`;
  } else if (type === 'boolean') {
    control = html`<input id="${id}" type="checkbox" data-arg="${name}" data-type="boolean"${schema.default === true ? html` checked` : ''}${described}>`;
  } else if (type === 'number' || type === 'integer') {
    control = html`<input id="${id}" type="number" step="${type === 'integer' ? '1' : 'any'}" data-arg="${name}" data-type="number" value="${defaultText}"${described}${requiredAttribute}>`;
  } else if (type === 'string') {
    control = html`<input id="${id}" type="text" data-arg="${name}" data-type="string" value="${defaultText}"${described}${requiredAttribute}>`;
  } else {
    control = html`<textarea id="${id}" rows="3" data-arg="${name}" data-type="json" placeholder="JSON"${described}${requiredAttribute}>${defaultText}</textarea>`;
  }
  return html`<div class="field">${label}${control}${help}</div>`;
}

/** "Try it": a form generated from the tool's input schema; the script calls the tool through the pipeline. */
export function tryItForm(tool: CatalogTool): Html {
  const schema = (tool.definition.inputSchema ?? {}) as JsonSchema;
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const fields =
    properties.length > 0
      ? properties.map(([name, property]) => field(name, property, required.has(name)))
      : html`<div class="field"><label for="arg-json">arguments (a JSON object)</label><textarea id="arg-json" rows="3" data-arguments="json">{}</textarea></div>`;
  return html`<form id="try-it" data-call="${consoleHref('api', 'tools', tool.name, 'call')}">
${fields}
<button type="submit">Call ${tool.name}</button></form>
<h3>Result</h3><div id="try-result" role="status" aria-live="polite"><p class="muted">Not called yet. The call goes through the gateway's pipeline as you (rules, limits, audit, usage) like a client's.</p></div>`;
}

export interface ToolPageData {
  tool: CatalogTool;
  tokens: number;
  /** undefined: pinning is not available; null: no pin yet. */
  pin: PinView | null | undefined;
  diff: PinDiff | undefined;
}

/** One tool: its definition, pin state with diff and approve/block, and the try-it form. */
export function toolPage(data: ToolPageData): Html {
  const { tool } = data;
  const pin =
    data.pin === undefined
      ? html`<p class="muted">Pinning is not available in this gateway.</p>`
      : html`<p>Pin state: <span class="badge pin-${data.pin?.state ?? 'none'}">${data.pin?.state ?? 'unpinned'}</span>${data.pin?.by ? html` by ${data.pin.by}` : ''}
<button type="button" data-post="${consoleHref('api', 'tools', tool.name, 'approve')}">Approve</button>
<button type="button" data-post="${consoleHref('api', 'tools', tool.name, 'block')}">Block</button></p>
${data.diff ? html`<h3>What changed</h3><pre class="diff">${data.diff.unified ?? `--- pinned\n${data.diff.before}\n+++ now\n${data.diff.after}`}</pre>` : ''}`;
  return html`<p><a href="/console/catalog">← Catalog</a></p>
<dl class="facts"><dt>Server</dt><dd>${tool.upstream}</dd><dt>Name on the server</dt><dd><code>${tool.originalName}</code></dd><dt>Tokens</dt><dd>${data.tokens}</dd><dt>Definition hash</dt><dd><code>${tool.descriptionHash.slice(0, 16)}</code></dd></dl>
<p>${tool.definition.description ?? ''}</p>
<section aria-labelledby="pin-title"><h2 id="pin-title">Pin</h2>${pin}<p id="action-result" role="status" aria-live="polite"></p></section>
<section aria-labelledby="try-title"><h2 id="try-title">Try it</h2>${tryItForm(tool)}</section>
<details><summary>Definition (JSON)</summary><pre>${JSON.stringify(tool.definition, null, 2)}</pre></details>`;
}

import type { CatalogTool } from '../../catalog/index.js';
import type { SearchReport } from '../data/catalog-reports.js';
import type { PinView } from '../providers.js';
import { consoleHref, type Html, html, query } from '../render/html.js';

export interface CatalogPageData {
  tools: readonly CatalogTool[];
  tokensOf: (tool: CatalogTool) => number;
  /** Pin states by tool name; undefined: pinning is not available in this gateway. */
  pins: ReadonlyMap<string, PinView> | undefined;
  views: readonly string[];
  query: string;
  /** The view searched, or '' for every view side by side. */
  view: string;
  /** Results per view (in `views` order), when there is a query. */
  results: ReadonlyArray<{ view: string; matches: readonly SearchReport[] }>;
  /** Tools whose name or server contain this (case-insensitive); '' for all. */
  filter: string;
  /** The page of the tool table (from 1), `pageSize` tools a page. */
  page: number;
}

/** Tools a page of the catalog table: a catalog of 10,000 tools is 20 pages, not one 3 MB document. */
export const pageSize = 500;

const hints = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

function annotationBadges(tool: CatalogTool): Html[] {
  const annotations = (tool.definition.annotations ?? {}) as Record<string, unknown>;
  return hints.filter(hint => annotations[hint] === true).map(hint => html`<span class="tag">${hint.replace('Hint', '')}</span>`);
}

function pinCell(pins: CatalogPageData['pins'], name: string): Html {
  if (!pins) return html`<td class="muted">n/a</td>`;
  const pin = pins.get(name);
  return html`<td><span class="badge pin-${pin?.state ?? 'none'}">${pin?.state ?? 'unpinned'}</span></td>`;
}

/** The search playground: what retrieve_tools returns for the query, with scores, per view (or one view). */
function playground(data: CatalogPageData): Html {
  const form = html`<form method="get" action="/console/catalog" class="inline" role="search">
<label for="q">Search tools</label> <input id="q" name="q" type="search" value="${data.query}" size="40" placeholder="e.g. add two numbers">
<label for="view">in view</label> <select id="view" name="view"><option value=""${data.view === '' ? html` selected` : ''}>every view, side by side</option>${data.views.map(
    view => html`<option value="${view}"${data.view === view ? html` selected` : ''}>${view}</option>`
  )}</select> <button type="submit">Search</button></form>`;
  if (data.query === '') return form;
  const columns = data.results.map(
    ({ view, matches }) => html`<section class="results" aria-label="Results in view ${view}"><h3>view <code>${view}</code></h3>${
      matches.length === 0
        ? html`<p>No tool matched.</p>`
        : html`<ol class="ranked">${matches.map(
            match => html`<li data-tool="${match.name}"><a href="${consoleHref('tools', match.name)}">${match.name}</a> <span class="score" title="BM25F score">${match.score}</span><br><span class="muted">${match.server}</span> ${oneLine(match.description, 120)}</li>`
          )}</ol>`
    }</section>`
  );
  return html`${form}<div class="columns" id="search-results">${columns}</div>`;
}

function oneLine(text: string | undefined, max: number): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Catalog and search: the playground, then every tool with its server, tokens, annotations and pin state. */
export function catalogPage(data: CatalogPageData): Html {
  let total = 0;
  for (const tool of data.tools) total += data.tokensOf(tool);
  const needle = data.filter.toLowerCase();
  const matching = needle === '' ? data.tools : data.tools.filter(tool => tool.name.toLowerCase().includes(needle) || tool.upstream.toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(matching.length / pageSize));
  const page = Math.min(Math.max(1, data.page), pages);
  const shown = matching.slice((page - 1) * pageSize, page * pageSize);
  const rows = shown.map(tool => {
    const tokens = data.tokensOf(tool);
    return html`<tr><th scope="row"><a href="${consoleHref('tools', tool.name)}">${tool.name}</a></th><td>${tool.upstream}</td><td class="num">${tokens}</td><td>${annotationBadges(tool)}</td>${pinCell(data.pins, tool.name)}<td>${oneLine(tool.definition.description, 100)}</td></tr>`;
  });
  return html`<section aria-labelledby="playground-title"><h2 id="playground-title">Search playground</h2>
<p class="muted">The ranking <code>retrieve_tools</code> returns in each view (BM25F over names, descriptions and schemas), with its scores.</p>
${playground(data)}</section>
<section aria-labelledby="tools-title"><h2 id="tools-title">Tools</h2>
<p>${data.tools.length} tools, ${total} tokens of definitions (o200k_base). ${data.pins ? '' : html`<span class="muted">Pin state: not available in this gateway.</span>`}</p>
<form method="get" action="/console/catalog" class="inline"><label for="filter">Filter tools</label> <input id="filter" name="filter" type="search" value="${data.filter}" placeholder="name or server"> <button type="submit">Filter</button></form>
${pager(page, pages, matching.length, data.filter)}
<table class="data" id="tools"><thead><tr><th scope="col">Tool</th><th scope="col">Server</th><th scope="col">Tokens</th><th scope="col">Annotations</th><th scope="col">Pin</th><th scope="col">Description</th></tr></thead>
<tbody>${rows}</tbody></table>${pages > 1 ? pager(page, pages, matching.length, data.filter) : ''}</section>`;
}

function pager(page: number, pages: number, count: number, filter: string): Html {
  if (pages <= 1) return html`<p class="muted">${count} tools shown.</p>`;
  const link = (to: number, label: string) => html`<a href="/console/catalog${query({ filter, page: to })}">${label}</a>`;
  return html`<nav aria-label="Pages of tools" class="pager"><p>Tools ${(page - 1) * pageSize + 1}–${Math.min(count, page * pageSize)} of ${count} · page ${page} of ${pages} ${page > 1 ? link(page - 1, '← previous') : ''} ${page < pages ? link(page + 1, 'next →') : ''}</p></nav>`;
}

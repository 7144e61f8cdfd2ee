import type { ViewReport } from '../data/catalog-reports.js';
import { type Html, html } from '../render/html.js';

/** Views: each endpoint's discovery mode, what it lists, and what its tools/list costs. */
export function viewsPage(report: { encoding: string; views: readonly ViewReport[] }, listed: ReadonlyMap<string, readonly string[]>): Html {
  return html`<table class="data" id="views"><thead><tr><th scope="col">View</th><th scope="col">Endpoint</th><th scope="col">Discovery</th><th scope="col">Tools</th><th scope="col">Listed</th><th scope="col">tools/list tokens</th><th scope="col">If all listed</th></tr></thead>
<tbody>${report.views.map(
    view => html`<tr><th scope="row">${view.name}</th><td><code>${view.endpoint}</code></td><td>${view.discovery}</td><td class="num">${view.tools}</td><td class="num">${view.listed}</td><td class="num">${view.listTokens}</td><td class="num">${view.allTokens}</td></tr>`
  )}</tbody></table>
<p class="muted">Tokens: ${report.encoding}, of the tools/list result as JSON. <code>search</code> lists only retrieve_tools and call_tool; <code>hybrid</code> lists its pinned tools too.</p>
${report.views.map(view => {
  const names = listed.get(view.name) ?? [];
  return html`<details><summary>What <code>${view.endpoint}</code> lists (${names.length})</summary><ul class="names">${names.map(name => html`<li><code>${name}</code></li>`)}</ul></details>`;
})}`;
}

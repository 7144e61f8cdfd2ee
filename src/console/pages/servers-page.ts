import type { ServerReport } from '../data/server-reports.js';
import { type Html, html } from '../render/html.js';

/** One server's row; the page's script replaces the cells' text from the live events (same field names). */
export function serverRow(row: ServerReport): Html {
  const latency = row.latencyMs !== undefined ? `${row.latencyMs} ms` : row.connectMs !== undefined ? `connect ${row.connectMs} ms` : '–';
  return html`<tr id="server-${row.server}" data-server="${row.server}">
<th scope="row">${row.server}</th>
<td><span class="badge ${row.status}" data-field="status">${row.status}</span> <span class="muted" data-field="state">${row.state}</span></td>
<td data-field="era">${row.era ?? '–'}</td>
<td data-field="transport">${row.transport ?? '–'}</td>
<td data-field="latency">${latency}</td>
<td data-field="tools" class="num">${row.tools}</td>
<td data-field="resources" class="num">${row.resources}</td>
<td data-field="prompts" class="num">${row.prompts}</td>
<td data-field="error" class="error-text">${row.error ?? ''}</td>
<td class="actions">
<button type="button" data-post="/console/api/servers/${encodeURIComponent(row.server)}/restart" aria-label="Restart ${row.server}">Restart</button>
<button type="button" data-post="/console/api/servers/${encodeURIComponent(row.server)}/disable" aria-label="Disable ${row.server}">Disable</button>
<button type="button" data-post="/console/api/servers/${encodeURIComponent(row.server)}/enable" aria-label="Enable ${row.server}">Enable</button>
</td></tr>`;
}

/** Servers: each upstream's state, era, transport, latency, counts and last error, live over SSE. */
export function serversPage(rows: readonly ServerReport[], disabled: readonly string[], tools: number): Html {
  const up = rows.filter(row => row.status === 'up').length;
  return html`<p id="servers-summary" aria-live="polite"><span data-summary="up">${up}</span> of <span data-summary="total">${rows.length}</span> servers up; ${tools} tools in the catalog. <span class="muted">Live: states change here as they happen (<span id="live-state">connecting…</span>).</span></p>
<table class="data" id="servers" data-live="/console/events">
<caption class="sr-only">Configured servers</caption>
<thead><tr><th scope="col">Server</th><th scope="col">Status</th><th scope="col">Era</th><th scope="col">Transport</th><th scope="col">Latency</th><th scope="col">Tools</th><th scope="col">Resources</th><th scope="col">Prompts</th><th scope="col">Last error</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows.map(serverRow)}</tbody></table>
${disabled.length > 0 ? html`<p>Disabled in the config (<code>enabled: false</code>): ${disabled.join(', ')}. Enable them there and restart the gateway.</p>` : ''}
<p class="muted">Restart drops the server's session and connects again now; Disable stops it (its tools leave the catalog) until Enable. Neither is kept across a gateway restart: the config decides then.</p>
<p id="action-result" role="status" aria-live="polite"></p>`;
}

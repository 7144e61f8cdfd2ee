import type { AuditRow } from '../../store/index.js';
import { formatTime, type Html, html } from '../render/html.js';

export interface AuditFilters {
  since: string;
  tool: string;
  server: string;
  principal: string;
  limit: number;
}

/** Audit: the log's rows with filters, and a button that checks the hash chain and checkpoints. */
export function auditPage(rows: readonly AuditRow[] | undefined, filters: AuditFilters): Html {
  const input = (id: keyof AuditFilters, label: string, hint: string) =>
    html`<label for="${id}">${label}</label> <input id="${id}" name="${id}" value="${filters[id]}" placeholder="${hint}" size="12">`;
  return html`<form method="get" action="/console/audit" class="inline">${input('since', 'Since', '1h, 7d, 2026-12-01')} ${input('tool', 'Tool', 'glob: fs__*')} ${input('server', 'Server', '')} ${input('principal', 'Principal', '')} ${input('limit', 'Limit', '100')} <button type="submit">Filter</button></form>
<p><button type="button" id="verify-audit" data-post="/console/api/audit/verify">Verify the chain</button></p>
<div id="verify-result" role="status" aria-live="polite"></div>
${
  rows === undefined
    ? html`<p>No audit log yet (the store has no rows; the gateway writes one per request).</p>`
    : rows.length === 0
      ? html`<p>No audit rows match.</p>`
      : html`<table class="data" id="audit"><thead><tr><th scope="col">Seq</th><th scope="col">Time (UTC)</th><th scope="col">Principal</th><th scope="col">Method</th><th scope="col">Target</th><th scope="col">Server</th><th scope="col">Outcome</th><th scope="col">ms</th><th scope="col">View</th><th scope="col">Run/step</th></tr></thead>
<tbody>${rows.map(
          row => html`<tr><td class="num">${row.seq}</td><td>${formatTime(row.time)}</td><td>${row.principal}</td><td>${row.method}</td><td>${row.target ?? ''}</td><td>${row.server ?? ''}</td><td><span class="badge outcome-${row.outcome}">${row.outcome}</span></td><td class="num">${Math.round(row.durationMs)}</td><td>${row.view ?? ''}</td><td>${row.runId ? `${row.runId}${row.stepId ? `/${row.stepId}` : ''}` : ''}</td></tr>`
        )}</tbody></table>`
}`;
}

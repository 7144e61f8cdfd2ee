import type { RunSummary } from '../../store/index.js';
import { consoleHref, formatMs, formatTime, type Html, html } from '../render/html.js';

export interface RunFilters {
  workflow: string;
  status: string;
  kind: string;
}

const statuses = ['running', 'completed', 'failed', 'cancelled', 'interrupted'];
const kinds = ['workflow', 'agent', 'orchestrator', 'router'];

function select(id: string, label: string, options: readonly string[], value: string): Html {
  return html`<label for="${id}">${label}</label> <select id="${id}" name="${id}"><option value="">any</option>${options.map(
    option => html`<option${option === value ? html` selected` : ''}>${option}</option>`
  )}</select>`;
}

/** Runs: the history (workflows, agents, orchestrators, routers) with filters. */
export function runsPage(runs: readonly RunSummary[], filters: RunFilters, workflows: readonly string[]): Html {
  return html`<form method="get" action="/console/runs" class="inline">
<label for="workflow">Workflow</label> <input id="workflow" name="workflow" list="workflow-names" value="${filters.workflow}"><datalist id="workflow-names">${workflows.map(name => html`<option value="${name}">`)}</datalist>
${select('status', 'Status', statuses, filters.status)} ${select('kind', 'Kind', kinds, filters.kind)} <button type="submit">Filter</button></form>
${
  runs.length === 0
    ? html`<p>No runs match.</p>`
    : html`<table class="data" id="runs"><thead><tr><th scope="col">Run</th><th scope="col">What</th><th scope="col">Status</th><th scope="col">Started (UTC)</th><th scope="col">Took</th><th scope="col">Steps</th><th scope="col">By</th><th scope="col">Error</th></tr></thead>
<tbody>${runs.map(
        run => html`<tr><th scope="row"><a href="${consoleHref('runs', run.id)}">${run.id}</a></th><td>${run.kind && run.kind !== 'workflow' ? `${run.kind} ` : ''}${run.workflow}</td><td><span class="badge run-${run.status}">${run.status}</span></td><td>${formatTime(run.startedAt)}</td><td>${run.endedAt !== undefined ? formatMs(run.endedAt - run.startedAt) : '–'}</td><td class="num">${run.steps}</td><td>${run.principal ?? 'local'}</td><td class="error-text">${(run.error ?? '').slice(0, 120)}</td></tr>`
      )}</tbody></table>`
}`;
}

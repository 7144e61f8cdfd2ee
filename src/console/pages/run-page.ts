import type { RunRecord, StepRecord } from '../../store/index.js';
import { consoleHref, formatMs, formatTime, type Html, html } from '../render/html.js';
import { runTimeline } from './run-timeline.js';

export interface RunPageData {
  run: RunRecord;
  steps: readonly StepRecord[];
  /** Finished steps' results so far (the run's journal), by step id. */
  partial: Record<string, unknown> | undefined;
  now: number;
}

const resumable = new Set(['failed', 'interrupted', 'cancelled']);

/** One run: facts, resume/cancel, the timeline, each step, partial results and errors. */
export function runPage(data: RunPageData): Html {
  const { run, steps } = data;
  const end = run.endedAt;
  const actions = html`${run.status === 'running' ? html`<button type="button" data-post="${consoleHref('api', 'runs', run.id, 'cancel')}">Cancel run</button>` : ''}${
    resumable.has(run.status) ? html`<button type="button" data-post="${consoleHref('api', 'runs', run.id, 'resume')}">Resume run</button>` : ''
  }`;
  const partial = data.partial && Object.keys(data.partial).length > 0 ? data.partial : undefined;
  return html`<p><a href="/console/runs">← Runs</a></p>
<dl class="facts"><dt>Run</dt><dd><code>${run.id}</code></dd><dt>${run.kind ?? 'workflow'}</dt><dd>${run.workflow}</dd><dt>Status</dt><dd><span class="badge run-${run.status}" id="run-status">${run.status}</span></dd>
<dt>Started (UTC)</dt><dd>${formatTime(run.startedAt)}</dd><dt>Took</dt><dd>${end !== undefined ? formatMs(end - run.startedAt) : 'running'}</dd><dt>By</dt><dd>${run.principal ?? 'local'}</dd>${
    run.resumes ? html`<dt>Resumed</dt><dd>${run.resumes} time(s)</dd>` : ''
  }</dl>
<p>${actions}</p><p id="action-result" role="status" aria-live="polite"></p>
${run.error ? html`<div class="error-box" role="alert"><strong>Error:</strong> ${run.error}</div>` : ''}
<h2>Timeline</h2>
${steps.length === 0 ? html`<p>No steps recorded.</p>` : runTimeline(run, steps, data.now)}
<h2>Steps</h2>
<table class="data" id="steps"><thead><tr><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Tool</th><th scope="col">Status</th><th scope="col">Start</th><th scope="col">Took</th><th scope="col">Output / error</th></tr></thead>
<tbody>${steps.map(
    step => html`<tr><th scope="row">${step.path}${step.attempt > 1 ? ` (try ${step.attempt})` : ''}</th><td>${step.kind}</td><td>${step.tool ?? ''}</td><td><span class="badge run-${step.status}">${step.status}</span></td><td>+${formatMs(step.startedAt - run.startedAt)}</td><td>${step.endedAt !== undefined ? formatMs(step.endedAt - step.startedAt) : '–'}</td><td class="${step.error ? 'error-text' : ''}">${step.error ?? (step.outputSize !== undefined ? `${step.outputSize} B` : '')}${step.detail ? ` (${step.detail})` : ''}</td></tr>`
  )}</tbody></table>
${partial ? html`<h2>Partial results</h2><pre>${JSON.stringify(partial, null, 2).slice(0, 20_000)}</pre>` : ''}
<details><summary>Input</summary><pre>${run.input}</pre></details>
${run.result !== undefined ? html`<details><summary>Result</summary><pre>${run.result.slice(0, 20_000)}</pre></details>` : ''}`;
}

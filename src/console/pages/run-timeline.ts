import type { RunRecord, StepRecord } from '../../store/index.js';
import { formatMs, type Html, html, raw } from '../render/html.js';

const rowHeight = 20;
const labelWidth = 260;
const chartWidth = 720;
const axisHeight = 22;

/** The tokens a model turn's detail mentions (`… 812 in + 95 out …`), for its label. */
function tokensOf(step: StepRecord): string {
  const match = /(\d+)\s*in\s*\+\s*(\d+)\s*out/.exec(step.detail ?? '');
  return match ? ` · ${match[1]} in + ${match[2]} out tokens` : '';
}

/** Depth of a step's path: `b` 0, `b.files` 1, `refs[3]` 1, `turn 2 call 1` 1. */
function depthOf(path: string): number {
  return (path.match(/\.|\[|\scall\s/g) ?? []).length;
}

/**
 * A run as a Gantt chart in SVG: one row per step (branches of a parallel step and items of a map each on their
 * own row, so what ran at once overlaps in time), bars on the run's time axis, failures and model turns marked.
 * Each bar carries `data-path`, `data-start` and `data-end` (ms from the run's start).
 */
export function runTimeline(run: RunRecord, steps: readonly StepRecord[], now: number): Html {
  const end = run.endedAt ?? Math.max(now, run.startedAt, ...steps.map(step => step.endedAt ?? step.startedAt));
  const span = Math.max(1, end - run.startedAt);
  const x = (time: number) => labelWidth + ((time - run.startedAt) / span) * chartWidth;
  const height = axisHeight + steps.length * rowHeight + 4;
  const width = labelWidth + chartWidth + 10;
  const parts: string[] = [];
  // The axis: five ticks.
  for (let tick = 0; tick <= 4; tick++) {
    const at = labelWidth + (tick / 4) * chartWidth;
    parts.push(`<line x1="${at}" y1="${axisHeight - 4}" x2="${at}" y2="${height}" class="grid"/><text x="${at}" y="${axisHeight - 8}" class="tick" text-anchor="${tick === 0 ? 'start' : tick === 4 ? 'end' : 'middle'}">${formatMs((tick / 4) * span)}</text>`);
  }
  steps.forEach((step, index) => {
    const top = axisHeight + index * rowHeight;
    const stepEnd = step.endedAt ?? end;
    const from = x(step.startedAt);
    const barWidth = Math.max(2, x(stepEnd) - from);
    const label = `${step.path}${step.attempt > 1 ? ` (try ${step.attempt})` : ''}`;
    const what = step.tool ?? step.kind;
    const title = `${label} · ${what} · ${step.status} · ${formatMs(stepEnd - step.startedAt)} from +${formatMs(step.startedAt - run.startedAt)}${tokensOf(step)}${step.error ? ` · ${step.error}` : ''}`;
    const indent = 4 + depthOf(step.path) * 12;
    parts.push(
      html`<g class="step ${step.kind} ${step.status}"><text x="${indent}" y="${top + 14}" class="label">${label.length > 34 ? `${label.slice(0, 33)}…` : label}</text><rect x="${from.toFixed(1)}" y="${top + 3}" width="${barWidth.toFixed(1)}" height="${rowHeight - 6}" rx="2" data-path="${step.path}" data-kind="${step.kind}" data-status="${step.status}" data-start="${(step.startedAt - run.startedAt).toFixed(1)}" data-end="${(stepEnd - run.startedAt).toFixed(1)}"><title>${title}</title></rect></g>`.text
    );
  });
  return html`<figure class="timeline"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" id="timeline"><title id="timeline-title">Timeline of run ${run.id}: ${steps.length} steps over ${formatMs(span)}</title>${raw(parts.join(''))}</svg>
<figcaption>Bars on the run's time axis (${formatMs(span)}); branches of a parallel step and items of a map have a row each, so what ran at once overlaps. Legend: <span class="key call">call</span> <span class="key model-turn">model turn</span> <span class="key failed">failed</span> <span class="key running">running</span></figcaption></figure>`;
}

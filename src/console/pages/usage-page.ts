import type { UsageReport, UsageSeries } from '../data/record-reports.js';
import { formatTime, type Html, html, raw } from '../render/html.js';

/** Colours of the series, dark enough for text contrast on white (WCAG AA) and told apart by pattern of order. */
const palette = ['#1f5fa8', '#a8321f', '#2d7a3a', '#7a4a9e', '#8a6100', '#0f6f73', '#5c5c5c'];

/** Tokens per hour, stacked by group, in SVG (no script). */
export function usageChart(series: UsageSeries): Html {
  const width = 760;
  const height = 220;
  const left = 56;
  const bottom = 24;
  const hours = series.hours.length;
  const totals = series.hours.map((_, slot) => series.series.reduce((sum, entry) => sum + (entry.tokens[slot] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slotWidth = (width - left - 4) / Math.max(1, hours);
  const y = (value: number) => ((height - bottom) * value) / max;
  const parts: string[] = [];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max * tick) / 4;
    const at = height - bottom - y(value);
    parts.push(`<line x1="${left}" x2="${width}" y1="${at.toFixed(1)}" y2="${at.toFixed(1)}" class="grid"/><text x="${left - 4}" y="${(at + 4).toFixed(1)}" text-anchor="end" class="tick">${Math.round(value)}</text>`);
  }
  series.hours.forEach((hour, slot) => {
    let base = height - bottom;
    series.series.forEach((entry, index) => {
      const value = entry.tokens[slot] ?? 0;
      if (value === 0) return;
      const barHeight = y(value);
      base -= barHeight;
      parts.push(
        html`<rect x="${(left + slot * slotWidth + 1).toFixed(1)}" y="${base.toFixed(1)}" width="${Math.max(1, slotWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${palette[index % palette.length] ?? '#555'}"><title>${entry.key || '(none)'}: ${value} tokens, ${entry.calls[slot] ?? 0} calls, hour of ${formatTime(hour)}</title></rect>`.text
      );
    });
    if (hours <= 48 ? slot % 6 === 0 : slot % 24 === 0) {
      parts.push(html`<text x="${(left + slot * slotWidth).toFixed(1)}" y="${height - 6}" class="tick">${new Date(hour).toISOString().slice(5, 13).replace('T', ' ')}h</text>`.text);
    }
  });
  const legend = series.series.map((entry, index) => html`<li><span class="swatch s${index % palette.length}"></span>${entry.key || '(none)'}</li>`);
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="usage-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" id="usage-chart"><title id="usage-title">Tokens per hour by ${series.by}</title>${raw(parts.join(''))}</svg><figcaption><ul class="legend">${legend}</ul></figcaption></figure>`;
}

/** Usage: tokens over time by tool, server, view, workflow or principal, and the totals. */
export function usagePage(report: UsageReport, series: UsageSeries, groups: readonly string[], since: string): Html {
  return html`<form method="get" action="/console/usage" class="inline"><label for="by">By</label> <select id="by" name="by">${groups.map(
    group => html`<option${group === report.by ? html` selected` : ''}>${group}</option>`
  )}</select> <label for="since">Since</label> <input id="since" name="since" value="${since}" placeholder="24h, 7d, 2026-12-01" size="12"> <button type="submit">Show</button></form>
${report.groups.length === 0 ? html`<p>No token usage recorded since ${report.since}. Usage is counted with <code>usage.enabled: true</code> or <code>budgets:</code> in the config.</p>` : usageChart(series)}
<table class="data" id="usage"><caption>Totals since ${report.since} (result and model tokens; o200k_base)</caption><thead><tr><th scope="col">${report.by}</th><th scope="col">Calls</th><th scope="col">Input</th><th scope="col">Results</th><th scope="col">Model</th><th scope="col">Total</th></tr></thead>
<tbody>${report.groups.map(
    total => html`<tr><th scope="row">${total.key === '' ? '(none)' : total.key}</th><td class="num">${total.calls}</td><td class="num">${total.inputTokens}</td><td class="num">${total.resultTokens}</td><td class="num">${total.modelTokens}</td><td class="num">${total.totalTokens}</td></tr>`
  )}</tbody></table>`;
}

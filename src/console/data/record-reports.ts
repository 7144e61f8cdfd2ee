import type { ApiKeyConfig, ManifoldConfig } from '../../config/index.js';
import type { KeyStore, UsageRow } from '../../store/index.js';
import { summarizeUsage, type UsageGroup, type UsageTotal } from '../../usage/index.js';

/** What `manifold usage --json` prints and `/console/api/usage` answers. */
export interface UsageReport {
  by: UsageGroup;
  since: string;
  store: string;
  groups: UsageTotal[];
}

/** Usage rows grouped (`manifold usage --by <group> --json`). */
export function usageReport(rows: readonly UsageRow[], by: UsageGroup, since: number, storePath: string): UsageReport {
  return { by, since: new Date(Math.floor(since / 3_600_000) * 3_600_000).toISOString(), store: storePath, groups: summarizeUsage(rows, by) };
}

/** Tokens per hour of the largest groups (the rest summed as `(other)`), for the console's chart. */
export interface UsageSeries {
  by: UsageGroup;
  hours: number[];
  series: Array<{ key: string; tokens: number[]; calls: number[] }>;
}

/** Hourly totals of the `top` largest groups, every hour from the first row's to `now`'s. */
export function usageSeries(rows: readonly UsageRow[], by: UsageGroup, since: number, now: number, top = 6): UsageSeries {
  const first = Math.floor(since / 3_600_000) * 3_600_000;
  const last = Math.floor(now / 3_600_000) * 3_600_000;
  const hours: number[] = [];
  for (let hour = first; hour <= last; hour += 3_600_000) hours.push(hour);
  const ranked = summarizeUsage(rows, by);
  const shown = ranked.slice(0, top).map(total => total.key);
  const keyOf = (row: UsageRow) => (shown.includes(row[by]) ? row[by] : '(other)');
  const keys = ranked.length > top ? [...shown, '(other)'] : shown;
  const series = keys.map(key => ({ key, tokens: hours.map(() => 0), calls: hours.map(() => 0) }));
  const index = new Map(keys.map((key, position) => [key, position]));
  for (const row of rows) {
    const slot = Math.floor((row.hour - first) / 3_600_000);
    const entry = series[index.get(keyOf(row)) ?? -1];
    if (!entry || slot < 0 || slot >= hours.length) continue;
    entry.tokens[slot] = (entry.tokens[slot] ?? 0) + row.resultTokens + row.modelTokens;
    entry.calls[slot] = (entry.calls[slot] ?? 0) + row.calls;
  }
  return { by, hours, series };
}

/** One API key as `manifold keys list --json` shows it (never the key). */
export interface KeyReport {
  name: string;
  source: 'store' | 'config';
  views?: readonly string[] | undefined;
  scopes?: readonly string[] | undefined;
  createdAt?: string | undefined;
  expiresAt?: string | undefined;
  status: 'active' | 'expired' | 'revoked';
}

export function configKeys(config: ManifoldConfig): ApiKeyConfig[] {
  return config.auth === undefined || config.auth === 'none' ? [] : config.auth.keys;
}

/** Every key of the config and of the store (`store` undefined: none), with its status at `now`. */
export function keyReports(config: ManifoldConfig, store: KeyStore | undefined, now: number): KeyReport[] {
  const status = (expiresAt: number | undefined, revokedAt?: number): KeyReport['status'] =>
    revokedAt !== undefined ? 'revoked' : expiresAt !== undefined && expiresAt <= now ? 'expired' : 'active';
  const iso = (time: number | undefined) => (time !== undefined ? new Date(time).toISOString() : undefined);
  return [
    ...configKeys(config).map(key => ({ name: key.name, source: 'config' as const, views: key.views, scopes: key.scopes, createdAt: undefined, expiresAt: iso(key.expires), status: status(key.expires) })),
    ...(store?.listKeys() ?? []).map(key => ({
      name: key.name,
      source: 'store' as const,
      views: key.views,
      scopes: key.scopes,
      createdAt: iso(key.createdAt),
      expiresAt: iso(key.expiresAt),
      status: status(key.expiresAt, key.revokedAt)
    }))
  ];
}

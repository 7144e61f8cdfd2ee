/**
 * Helpers of the metrics tests: an in-process gateway served over real HTTP (loopback, port 0), a scrape of
 * its metrics page, a parser of the text format, and `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import { GatewayCore, type HttpGateway, serveHttp } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface MetricsGateway extends AsyncDisposable {
  core: GatewayCore;
  http: HttpGateway;
  /** http://127.0.0.1:<port> */
  origin: string;
}

export async function startMetricsGateway(config: Record<string, unknown>): Promise<MetricsGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path });
  const logger = createLogger({ level: (process.env.MANIFOLD_TEST_LOG as 'debug' | undefined) ?? 'error' });
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger, backoff: { baseMs: 50, maxMs: 200 } });
  await core.start();
  const http = await serveHttp(core, { host: '127.0.0.1', port: 0, storePath: ':memory:', configDir: written.dir });
  return {
    core,
    http,
    origin: new URL(http.url).origin,
    [Symbol.asyncDispose]: async () => {
      await http.close();
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

/** One sample of the text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text-format page (comments skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels`. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0);
}

export async function scrape(origin: string, path = '/metrics', headers: Record<string, string> = {}): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(`${origin}${path}`, { headers });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

export const promtoolPath = '/usr/bin/promtool';

/**
 * `promtool check metrics` on the text: its exit status and what it said. Missing promtool is a failure with
 * what to install, never a skip (the Debian package `prometheus`).
 */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  return promtool(['check', 'metrics'], text);
}

/** `promtool check rules <file>`: parses every rule's PromQL. */
export function promtoolCheckRules(file: string): { status: number | null; output: string } {
  return promtool(['check', 'rules', file]);
}

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const command = existsSync(promtoolPath) ? promtoolPath : 'promtool';
  const checked = spawnSync(command, args, { ...(input !== undefined ? { input } : {}), encoding: 'utf8' });
  if (checked.error) {
    throw new Error(`promtool is not installed (${checked.error.message}): install the Debian package "prometheus" (apt-get install prometheus) to run the metrics tests`);
  }
  return { status: checked.status, output: `${checked.stdout}${checked.stderr}` };
}

/**
 * What the stages on the call path cost: `npm run bench:stages -- [--quick] [--calls n]`. Access control (auth,
 * rules, limits) and observability (the audit log, metrics, token accounting), each alone and all together.
 *
 *  (a) HTTP → stdio echo, side by side in one process: a gateway with none of them (no `auth:`, `audit` and
 *      `metrics` turned off) and gateways that ask for a
 *      credential (a config API key; a key made by `manifold keys create`, looked up in the store per request;
 *      a bearer JWT checked against a JWKS file), each with one real SDK client per protocol era. Calls are
 *      interleaved in rounds (each set-up in turn, the first one rotating) so that drift on a shared machine hits
 *      every set-up alike.
 *      Reported: p50 and mean latency, the difference to `off` in µs, and the ratio.
 *  (b) The authenticator alone (no HTTP, no MCP): µs per request for each kind of credential (best of three runs).
 *      On a loaded machine (a) is mostly noise; (b) is the figure to quote.
 *
 *      Then every access stage at once (an API key, five rules, call limits, an HTTP limit and a cap on the
 *      server, none reached), each observability stage alone (audit log, metrics, token accounting), the approval
 *      gate deciding that nothing needs a person (default policy; with a CEL `when`), and all.
 *  (c) The approval gate alone around a handler that does nothing: µs per call that needs no approval.
 * More set-ups are one entry each in `setups` below. Measures only; asserts nothing.
 * Writes bench/results/stages-latest.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { stringify } from 'yaml';

import { ApprovalGate } from '../src/approval/index.js';
import { createApiKey, hashApiKey } from '../src/auth/index.js';
import { Catalog } from '../src/catalog/index.js';
import { approvalOptionsSchema, parseConfig } from '../src/config/index.js';
import type { GatewayRequest } from '../src/core/pipeline.js';
import { StateSeal } from '../src/core/state-seal.js';
import { GatewayCore, type HttpGateway, serveHttp } from '../src/gateway/index.js';
import { createAuthenticator } from '../src/gateway/http/authenticate.js';
import { SqliteApprovalStore, SqliteKeyStore } from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { percentile } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, calls: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('npm run bench:stages -- [--quick] [--calls n]\n');
  process.exit(0);
}
const calls = Number(values.calls ?? (values.quick ? 600 : 2000));
const rounds = 10;
const echo = { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'test/fixtures/servers/echo.ts')], cwd: repoRoot };
const dir = mkdtempSync(join(tmpdir(), 'manifold-stages-bench-'));
const storePath = join(dir, 'manifold.db');

// Credentials: a config key, a store key, a JWT signed by a key in a JWKS file.
const configKey = createApiKey();
const storeKey = createApiKey();
{
  const store = new SqliteKeyStore(storePath);
  store.createKey({ name: 'stored', hash: hashApiKey(storeKey), createdAt: Date.now() });
  store.close();
}
const { publicKey, privateKey } = await generateKeyPair('ES256');
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'b1', alg: 'ES256' }] }));
const issuer = 'https://issuer.bench';
const audience = 'https://gw.bench/mcp';
const jwt = await new SignJWT({ scope: 'mcp' }).setProtectedHeader({ alg: 'ES256', kid: 'b1' }).setIssuer(issuer).setAudience(audience).setSubject('bench').setExpirationTime('1h').sign(privateKey);

const keys = [{ name: 'bench', key: configKey }];
const jwtConfig = { issuer, audience, file: 'jwks.json', scopes: ['mcp'] };

/** One set-up: the `auth:` block (absent: off), more config (rules, limits), and the credential its client sends. */
interface Setup {
  name: string;
  auth?: unknown;
  extra?: Record<string, unknown>;
  credential?: string;
}
/** What a deployment with every access stage on might declare: five rules, call limits, an HTTP limit, a server cap (none reached). */
const everyStage = {
  rules: [
    { deny: 'annotations.destructiveHint && server != "echo" && !("admin" in principal.scopes)' },
    { deny: 'principal.name == "contractor" && server == "echo"' },
    { allow: 'principal.kind == "local"' },
    { allow: 'principal.name == "bench" && tool.startsWith("echo__")' },
    { allow: '"ops" in principal.scopes' }
  ],
  limits: {
    calls: [
      { name: 'per-caller', requests: 1_000_000, per: '1h', inFlight: 64 },
      { name: 'echo', tool: 'echo__*', requests: 1_000_000, per: '1m', by: ['principal', 'tool'] }
    ],
    http: { requests: 10_000_000, per: '1h' },
    upstreams: { echo: { maxInFlight: 32, maxQueue: 100 } }
  }
};
/** Observability stages are on by default (audit, metrics): the baseline turns them off, each set-up says what it adds. */
const quiet = { audit: { enabled: false }, metrics: { enabled: false }, security: { approval: { enabled: false } } };
/** The approval gate on, deciding that no call needs a person: the default policy, and with a CEL `when`. */
const approvalOn = { security: { approval: { enabled: true } } };
const approvalWhen = { security: { approval: { when: 'server == "echo" && arguments.message == "delete everything"' } } };
const setups: Setup[] = [
  { name: 'off (none of them)' },
  { name: 'API key (config)', auth: { keys }, credential: configKey },
  { name: 'API key (store)', auth: { keys }, credential: storeKey },
  { name: 'bearer JWT (ES256)', auth: { keys, jwt: jwtConfig }, credential: jwt },
  { name: 'API key + rules + limits', auth: { keys }, extra: everyStage, credential: configKey },
  { name: 'audit log', extra: { audit: { enabled: true } } },
  { name: 'metrics', extra: { metrics: { enabled: true } } },
  { name: 'token accounting', extra: { usage: { enabled: true } } },
  { name: 'approval gate (nothing asked)', extra: approvalOn },
  { name: 'approval gate + CEL when (nothing asked)', extra: approvalWhen },
  {
    name: 'all: access + audit + metrics + tokens + approval',
    auth: { keys },
    extra: { ...everyStage, audit: { enabled: true }, metrics: { enabled: true }, usage: { enabled: true }, ...approvalOn },
    credential: configKey
  }
];

interface Running {
  setup: Setup;
  core: GatewayCore;
  http: HttpGateway;
  clients: Record<'legacy' | 'modern', Client>;
  latencies: Record<'legacy' | 'modern', number[]>;
}

async function start(setup: Setup): Promise<Running> {
  const config = { servers: { echo }, store: { path: storePath }, ...(setup.auth !== undefined ? { auth: setup.auth } : {}), ...quiet, ...setup.extra };
  const core = new GatewayCore({ config: parseConfig(stringify(config), { source: 'bench' }).config, logger: createLogger({ level: 'error' }) });
  await core.start();
  const http = await serveHttp(core, { host: '127.0.0.1', port: 0, storePath, configDir: dir });
  const connect = async (era: 'legacy' | 'modern') => {
    const client = new Client({ name: 'access-bench', version: '1' }, { versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } });
    const authProvider = { token: async () => setup.credential };
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { authProvider }));
    return client;
  };
  return { setup, core, http, clients: { legacy: await connect('legacy'), modern: await connect('modern') }, latencies: { legacy: [], modern: [] } };
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`;
process.stdout.write(`Stages on the call path: ${calls} calls per set-up and era, in ${rounds} interleaved rounds (${machine})\n\n`);
const running: Running[] = [];
for (const setup of setups) running.push(await start(setup));
try {
  for (const entry of running) {
    for (const era of ['legacy', 'modern'] as const) for (let index = 0; index < 100; index++) await entry.clients[era].callTool({ name: 'echo__echo', arguments: { message: 'warm' } });
  }
  const perRound = Math.ceil(calls / rounds);
  for (let round = 0; round < rounds; round++) {
    for (const era of ['legacy', 'modern'] as const) {
      // Each round starts with another set-up, so that none always runs right after the era switch.
      for (let offset = 0; offset < running.length; offset++) {
        const entry = running[(round + offset) % running.length] as Running;
        for (let index = 0; index < perRound; index++) {
          const started = performance.now();
          await entry.clients[era].callTool({ name: 'echo__echo', arguments: { message: 'x' } });
          entry.latencies[era].push(performance.now() - started);
        }
      }
    }
  }
} finally {
  for (const entry of running) {
    for (const client of Object.values(entry.clients)) await client.close().catch(() => {});
    await entry.http.close();
    await entry.core.close();
  }
}

const rows: Array<Record<string, unknown>> = [];
for (const era of ['legacy', 'modern'] as const) {
  const off = running[0] as Running;
  const offSorted = [...off.latencies[era]].sort((a, b) => a - b);
  const offP50 = percentile(offSorted, 50);
  const offMean = offSorted.reduce((sum, value) => sum + value, 0) / offSorted.length;
  for (const entry of running) {
    const sorted = [...entry.latencies[era]].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
    rows.push({ setup: entry.setup.name, era, calls: sorted.length, p50Ms: p50, meanMs: mean, p99Ms: percentile(sorted, 99), addedP50Us: (p50 - offP50) * 1000, addedMeanUs: (mean - offMean) * 1000, ratioP50: p50 / offP50 });
  }
}
const fixed = (value: unknown, digits: number) => (typeof value === 'number' ? value.toFixed(digits) : '-');
process.stdout.write('## (a) tools/call echo over HTTP → stdio (added = this − off)\n\n');
process.stdout.write(
  formatTable(
    ['set-up', 'client era', 'p50 ms', 'mean ms', 'p99 ms', 'added p50 µs', 'added mean µs', '× off p50'],
    rows.map(row => [String(row.setup), String(row.era), fixed(row.p50Ms, 3), fixed(row.meanMs, 3), fixed(row.p99Ms, 3), fixed(row.addedP50Us, 0), fixed(row.addedMeanUs, 0), fixed(row.ratioP50, 3)])
  ) + '\n\n'
);

// (b) The authenticator alone: what each credential costs before routing.
const authConfig = parseConfig(stringify({ auth: { keys, jwt: jwtConfig } })).config.auth;
const authenticator = createAuthenticator({ auth: authConfig, storePath, configDir: dir, logger: createLogger({ level: 'silent' }) });
const fakeResponse = { writeHead: () => fakeResponse, end: () => fakeResponse } as unknown as ServerResponse;
const micro: Array<{ credential: string; usPerRequest: number }> = [];
for (const [name, credential] of [['API key (config)', configKey], ['API key (store)', storeKey], ['bearer JWT (ES256)', jwt]] as const) {
  const request = { headers: { authorization: `Bearer ${credential}`, host: '127.0.0.1' }, method: 'POST', url: '/mcp', socket: {} } as unknown as IncomingMessage;
  const iterations = values.quick ? 5000 : 20_000;
  for (let index = 0; index < 1000; index++) await authenticator.authenticate(request, fakeResponse, { face: 'mcp', viewName: '' });
  // The best of three runs: on a shared machine the slower ones measure the neighbours.
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < 3; repeat++) {
    const started = performance.now();
    for (let index = 0; index < iterations; index++) {
      const principal = await authenticator.authenticate(request, fakeResponse, { face: 'mcp', viewName: '' });
      if (!principal) throw new Error(`${name}: refused`);
    }
    best = Math.min(best, ((performance.now() - started) / iterations) * 1000);
  }
  micro.push({ credential: name, usPerRequest: best });
}
authenticator[Symbol.dispose]();
process.stdout.write('## (b) the authenticator alone, per request\n\n');
process.stdout.write(formatTable(['credential', 'µs per request'], micro.map(row => [row.credential, row.usPerRequest.toFixed(1)])) + '\n');

// (c) The approval gate alone, around a handler that does nothing: what a call that needs no approval pays.
const gateMicro: Array<{ policy: string; usPerCall: number }> = [];
{
  const catalog = new Catalog([], createLogger({ level: 'silent' }));
  catalog.setLocalTools('bench', [{ definition: { name: 'echo__echo', inputSchema: { type: 'object' } }, call: async () => ({ content: [] }) }]);
  const request: GatewayRequest = {
    method: 'tools/call',
    params: { name: 'echo__echo', arguments: { message: 'x' } },
    downstream: { era: 'legacy', sessionId: 'bench', signal: new AbortController().signal, clientCapabilities: {}, progressToken: undefined, notify: async () => {}, log: () => {} }
  };
  const done = async () => ({ content: [] });
  for (const [policy, options] of [
    ['none (stage left out)', undefined],
    ['default (destructiveHint on untrusted servers)', {}],
    ['default + always/never globs + CEL when', { always: ['github__delete_*'], never: ['echo__*x'], when: 'server == "echo" && arguments.message == "delete everything"' }]
  ] as const) {
    const handler =
      options === undefined
        ? done
        : new ApprovalGate({
            options: approvalOptionsSchema.parse(options),
            servers: {},
            catalog,
            seal: new StateSeal(),
            store: () => new SqliteApprovalStore(':memory:'),
            logger: createLogger({ level: 'silent' })
          }).middleware(done);
    const iterations = values.quick ? 50_000 : 200_000;
    for (let index = 0; index < 5000; index++) await handler(request);
    let best = Number.POSITIVE_INFINITY;
    for (let repeat = 0; repeat < 3; repeat++) {
      const started = performance.now();
      for (let index = 0; index < iterations; index++) await handler(request);
      best = Math.min(best, ((performance.now() - started) / iterations) * 1000);
    }
    gateMicro.push({ policy, usPerCall: best });
  }
}
process.stdout.write('\n## (c) the approval gate alone, a call that needs no approval\n\n');
process.stdout.write(formatTable(['policy', 'µs per call'], gateMicro.map(row => [row.policy, row.usPerCall.toFixed(2)])) + '\n');

mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/stages-latest.json'), JSON.stringify({ startedAt: new Date().toISOString(), machine, calls, rows, authenticator: micro, approvalGate: gateMicro }, null, 2));
rmSync(dir, { recursive: true, force: true });

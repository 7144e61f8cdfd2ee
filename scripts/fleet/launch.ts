/**
 * `npm run fleet`: a local fleet on loopback from the Debian packages (redis-server, postgresql, nginx; install
 * them with `node scripts/system-packages.mjs` as root): Redis, PostgreSQL (a temporary data folder, run as the
 * postgres user when started as root), three `manifold serve --http` instances gw-1..gw-3 sharing both, and nginx
 * in front with the generated routing (scripts/fleet/nginx-config.ts). Prints the URL and what runs where; Ctrl-C
 * (or SIGTERM) stops every process by its pid and removes the temporary folders. docs/FLEET.md "Local fleet".
 *
 *   npm run fleet                                  examples/default.yaml's servers, nginx on a free port
 *   npm run fleet -- --config my.yaml --port 3330 --instances 3
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { repoRoot, startFleet } from './processes.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: resolve(repoRoot, 'examples/default.yaml') },
    port: { type: 'string' },
    instances: { type: 'string', default: '3' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' }
  }
});
if (values.help) {
  process.stdout.write('usage: npm run fleet -- [--config manifold.yaml] [--port 3330] [--instances 3] [--log-level info]\n');
  process.exit(0);
}
const count = Number(values.instances);
if (!Number.isInteger(count) || count < 1) throw new Error(`--instances takes a whole number above 0, got "${values.instances}"`);

process.stdout.write(`starting a fleet of ${count} (config ${values.config}) …\n`);
const fleet = await startFleet({
  config: resolve(values.config),
  count,
  durable: true,
  logLevel: values['log-level'],
  ...(values.port && Number(values.port) > 0 ? { port: Number(values.port) } : {}),
  onStarted: what => process.stdout.write(`  ${what}\n`)
});
for (const instance of fleet.instances) instance.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${instance.id}] ${chunk.toString()}`));
process.stdout.write(
  [
    '',
    `fleet ready: MCP at ${fleet.nginx.url}/mcp (legacy SSE at ${fleet.nginx.url}/sse)`,
    `  store  MANIFOLD_STORE=${fleet.storeUrl}`,
    `  redis  MANIFOLD_REDIS=${fleet.redis.url}`,
    `  e.g.   MANIFOLD_STORE=${fleet.storeUrl} npx manifold audit --config ${fleet.configPath}`,
    'Ctrl-C stops everything.',
    ''
  ].join('\n')
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping nginx, ${fleet.instances.map(instance => instance.id).join(', ')}, Redis and PostgreSQL …\n`);
  await fleet.stop();
  process.stdout.write('stopped.\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

import { createApiKey, hashApiKey } from '../../auth/index.js';
import { configKeys, keyReports } from '../../console/index.js';
import { keyNamePattern } from '../../config/index.js';
import { ManifoldError } from '../../core/errors.js';
import { runStorePath } from '../../gateway/index.js';
import { type KeyStore, openKeyStore, type StoredKey, storeLabel } from '../../store/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

const dayMs = 24 * 60 * 60_000;

/** `--expires`: a lifetime (`30d`, `12h`, `90m`) from now, or a date (`2027-01-31`, ISO date-time); epoch ms. */
export function parseExpires(text: string, now: number): number {
  const lifetime = /^(\d+)\s*(d|h|m)$/.exec(text.trim());
  if (lifetime) {
    const amount = Number(lifetime[1]);
    const unit = lifetime[2] === 'd' ? dayMs : lifetime[2] === 'h' ? 60 * 60_000 : 60_000;
    if (amount > 0) return now + amount * unit;
  }
  const date = Date.parse(text);
  if (!lifetime && !Number.isNaN(date)) {
    if (date <= now) throw new UsageError(`--expires ${text} is in the past; give a later date or a lifetime such as 30d`);
    return date;
  }
  throw new UsageError(`--expires takes a lifetime (30d, 12h, 90m) or a date (2027-01-31), got "${text}"`);
}

/** `--views a,b` (or repeated): declared views or `default` (which is /mcp). */
function parseList(parsed: ParsedCommand, name: string): string[] | undefined {
  const value = parsed.values[name];
  if (value === undefined || typeof value === 'boolean') return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap(item => item.split(',')).map(item => item.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one name (comma-separated)`);
  return [...new Set(items)];
}

/**
 * `manifold keys create|list|revoke`: API keys for the HTTP face, kept in the store (only their SHA-256). The
 * gateway checks the store on each authenticated request, so a key works, and a revoke counts, at once.
 */
export async function runKeys(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action, name, ...rest] = parsed.positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(`manifold keys takes create <name>, list or revoke <name>${action !== undefined ? `, not "${action}"` : ''}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (action !== 'list' && (name === undefined || name === '')) throw new UsageError(`manifold keys ${action} needs the key's name`);
  if (action === 'list' && name !== undefined) throw new UsageError('manifold keys list takes no name');
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const config = loaded.config;
  const path = runStorePath(config, loaded.path);
  const now = Date.now();

  if (action === 'create') {
    const keyName = name as string;
    if (!keyNamePattern.test(keyName)) throw new UsageError(`a key name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit; got "${keyName}"`);
    if (configKeys(config).some(key => key.name === keyName)) {
      throw new UsageError(`the config already has a key named "${keyName}" (auth.keys); choose another name`);
    }
    const views = parseList(parsed, 'views');
    for (const view of views ?? []) {
      if (view !== 'default' && !Object.hasOwn(config.views ?? {}, view)) {
        throw new UsageError(`--views: no view "${view}" in the config (views: ${['default', ...Object.keys(config.views ?? {})].join(', ')}); a key reaches declared views only`);
      }
    }
    const scopes = parseList(parsed, 'scopes');
    const expiresText = stringOption(parsed, 'expires');
    const expiresAt = expiresText !== undefined ? parseExpires(expiresText, now) : undefined;
    if (path === ':memory:') throw new UsageError('store.path is ":memory:", which keeps nothing: keys made here could not reach the gateway; set store.path in the config, or put the key in auth.keys');
    const key = createApiKey();
    const record: StoredKey = { name: keyName, hash: hashApiKey(key), views, scopes, createdAt: now, expiresAt };
    withStore(path, store => store.createKey(record));
    if (parsed.values.json) {
      output.out(JSON.stringify({ name: keyName, key, views, scopes, expiresAt: expiresAt !== undefined ? new Date(expiresAt).toISOString() : undefined }, null, 2));
    } else {
      output.out(key);
    }
    output.err(`manifold: key "${keyName}" created in ${storeLabel(path)}${views ? ` for the views ${views.join(', ')}` : ' for every view'}${expiresAt !== undefined ? `, until ${new Date(expiresAt).toISOString()}` : ''}. It is shown this once (only its SHA-256 is kept): clients send it as "Authorization: Bearer <key>".`);
    if (config.auth === undefined || config.auth === 'none') {
      output.err(`manifold: warning: the config has ${config.auth === 'none' ? '"auth: none"' : 'no "auth:"'}, so the HTTP face asks for no key; add "auth: {}" (or auth.keys / auth.jwt) to the config to require one`);
    }
    return 0;
  }

  if (action === 'revoke') {
    const keyName = name as string;
    if (configKeys(config).some(key => key.name === keyName)) {
      throw new ManifoldError('INVALID_PARAMS', `"${keyName}" is a key of the config (auth.keys), not of the store: remove it from the config and restart the gateway`);
    }
    const revoked = path !== ':memory:' && withStore(path, store => store.revokeKey(keyName, now));
    if (!revoked) throw new ManifoldError('INVALID_PARAMS', `no active key "${keyName}" in ${storeLabel(path)} (manifold keys list shows them)`);
    output.err(`manifold: key "${keyName}" revoked; the gateway refuses it from its next request`);
    return 0;
  }

  const rows = path === ':memory:' ? keyReports(config, undefined, now) : withStore(path, store => keyReports(config, store, now));
  const date = (time: string | undefined) => (time === undefined ? '-' : time.replace('T', ' ').slice(0, 16));
  if (parsed.values.json) {
    output.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    output.out(`no API keys (none in the config, none in ${storeLabel(path)}); make one with manifold keys create <name>`);
    return 0;
  }
  output.out(
    formatTable(
      ['name', 'source', 'status', 'views', 'scopes', 'created', 'expires'],
      rows.map(row => [row.name, row.source, row.status, row.views?.join(',') ?? '(all)', row.scopes?.join(',') ?? '-', date(row.createdAt), date(row.expiresAt)])
    )
  );
  return 0;
}

function withStore<T>(path: string, use: (store: KeyStore) => T): T {
  const store = openKeyStore(path);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

import { isStdioServer, type RemoteServerConfig } from '../../config/index.js';
import { errorMessage } from '../../core/errors.js';
import { openCredentialStore, runStorePath } from '../../gateway/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { storeLabel } from '../../store/index.js';
import { loginUpstream } from '../../upstream/index.js';
import { loadCliConfig } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

/** The remote server with `oauth` that `login`/`logout` name (positional), or a UsageError saying what is wrong. */
function oauthServer(parsed: ParsedCommand, command: 'login' | 'logout') {
  const logger = createLogger({ level: commonOptions(parsed).logLevel ?? 'warn' });
  const loaded = loadCliConfig(commonOptions(parsed), logger);
  const [name, ...extra] = parsed.positionals;
  if (name === undefined || extra.length > 0) throw new UsageError(`manifold ${command} takes one server name (servers: ${Object.keys(loaded.config.servers).join(', ') || 'none'})`);
  const server = loaded.config.servers[name];
  if (!server) throw new UsageError(`no server "${name}" in ${loaded.path} (servers: ${Object.keys(loaded.config.servers).join(', ') || 'none'})`);
  if (isStdioServer(server) || !server.oauth) {
    throw new UsageError(`server "${name}" has no oauth settings (servers.${name}.oauth in ${loaded.path}); a stdio server takes its credentials from env`);
  }
  return { name, server: server as RemoteServerConfig & { oauth: NonNullable<RemoteServerConfig['oauth']> }, loaded, logger };
}

/** `manifold login <server>`: signs in to a remote server (authorization code + PKCE) and stores the tokens. */
export async function runLogin(parsed: ParsedCommand, output: Output): Promise<number> {
  const { name, server, loaded, logger } = oauthServer(parsed, 'login');
  if (server.oauth.grant === 'client_credentials') {
    output.out(`server "${name}" uses the client_credentials grant: Manifold fetches its tokens itself, no one needs to log in`);
    return 0;
  }
  const store = openCredentialStore(loaded.config, loaded.path);
  if (!store) throw new UsageError(`server "${name}": no credential store`);
  try {
    const result = await loginUpstream({
      server: name,
      config: server,
      store,
      logger,
      onAuthorizationUrl: (url, redirectUri) =>
        output.out(`Open this URL in a browser to sign in to "${name}":\n\n  ${url.href}\n\nWaiting for the redirect to ${redirectUri} ...`)
    });
    const where = runStorePath(loaded.config, loaded.path);
    output.out(
      `Signed in to "${name}"${result.scope ? ` (scope: ${result.scope})` : ''}; it lists ${result.tools} tools. The tokens are kept ${where === ':memory:' ? 'in memory only (store.path is :memory:)' : `encrypted in ${storeLabel(where)}`}, and refreshed by Manifold.`
    );
    return 0;
  } catch (error) {
    output.err(`manifold login ${name}: ${errorMessage(error)}`);
    return 1;
  } finally {
    store.close();
  }
}

/** `manifold logout <server>`: forgets the stored sign-in (and asks the authorization server to revoke it). */
export async function runLogout(parsed: ParsedCommand, output: Output): Promise<number> {
  const { name, loaded } = oauthServer(parsed, 'logout');
  const store = openCredentialStore(loaded.config, loaded.path);
  if (!store) {
    output.out(`server "${name}" keeps no sign-in (client_credentials): nothing to forget`);
    return 0;
  }
  try {
    const record = store.load(name);
    if (!record?.tokens && !record?.clientInformation) {
      output.out(`no sign-in stored for "${name}"`);
      return 0;
    }
    const revoked = await revokeRefreshToken(record.tokens, record.discoveryState, record.clientInformation).catch((error: unknown) => `not revoked: ${errorMessage(error)}`);
    store.delete(name);
    output.out(`Signed out of "${name}": the stored tokens are deleted${revoked ? ` (${revoked})` : ''}.`);
    return 0;
  } finally {
    store.close();
  }
}

/** RFC 7009: asks the authorization server to revoke the refresh token; what happened, for the message. */
async function revokeRefreshToken(
  tokens: Record<string, unknown> | undefined,
  discovery: Record<string, unknown> | undefined,
  client: Record<string, unknown> | undefined
): Promise<string | undefined> {
  const refreshToken = tokens?.refresh_token;
  const metadata = discovery?.authorizationServerMetadata as { revocation_endpoint?: unknown } | undefined;
  const endpoint = metadata?.revocation_endpoint;
  if (typeof refreshToken !== 'string' || typeof endpoint !== 'string') return undefined;
  const body = new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' });
  if (typeof client?.client_id === 'string') body.set('client_id', client.client_id);
  if (typeof client?.client_secret === 'string') body.set('client_secret', client.client_secret);
  const response = await fetch(endpoint, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  return response.ok ? 'the refresh token was revoked at the authorization server' : `the authorization server answered HTTP ${response.status} to the revocation`;
}

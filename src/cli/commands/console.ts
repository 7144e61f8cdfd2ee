import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

import { consoleKeyPath } from '../../console/index.js';
import { runStorePath } from '../../gateway/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { parseWholeNumber } from '../usage-error.js';

/** The command that opens a URL in the desktop's browser, if this machine has one. */
function browserOpener(): string | undefined {
  const candidates = process.platform === 'darwin' ? ['open'] : process.platform === 'win32' ? [] : ['xdg-open'];
  const path = (process.env.PATH ?? '').split(':');
  return candidates.find(command => path.some(dir => existsSync(`${dir}/${command}`)));
}

/**
 * `manifold console`: prints the web console's address (of the gateway `manifold serve --http` runs with this
 * config) and a sign-in link carrying the generated admin key in its fragment; `--open` opens it in a browser.
 */
export async function runConsole(parsed: ParsedCommand, output: Output): Promise<number> {
  const options = commonOptions(parsed);
  const loaded = loadCliConfig(options, createLogger({ level: options.logLevel ?? 'warn' }));
  const config = loaded.config;
  if (!config.console.enabled) {
    output.err('manifold console: the console is off (console.enabled: false in the config)');
    return 1;
  }
  const http = config.gateway.http;
  const port = parseWholeNumber('port', stringOption(parsed, 'port'), http.port, 1, 65535);
  const host = http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host.includes(':') ? `[${http.host}]` : http.host;
  const origin = `http://${host}:${port}`;
  const keyFile = consoleKeyPath(runStorePath(config, loaded.path));
  const key = config.console.adminKey === undefined && existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined;
  const link = key !== undefined ? `${origin}/console/login#key=${encodeURIComponent(key)}` : `${origin}/console/login`;
  const up = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    response => response.status < 500,
    () => false
  );
  output.out(link);
  if (!up) output.err(`manifold console: no gateway answers at ${origin} yet; start it with manifold serve --http${loaded.path ? ` --config ${loaded.path}` : ''}`);
  if (key === undefined) output.err(config.console.adminKey !== undefined ? 'manifold console: sign in with console.adminKey from the config' : `manifold console: the gateway writes the admin key to ${keyFile} when it starts; run this again then`);
  if (parsed.values.open === true) {
    const opener = browserOpener();
    if (!opener) {
      output.err('manifold console: no browser to open here (no xdg-open or open); open the link above yourself');
      return 0;
    }
    spawn(opener, [link], { stdio: 'ignore', detached: true }).unref();
  }
  return 0;
}

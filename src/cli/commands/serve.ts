import { dirname, resolve } from 'node:path';

import { createConsole, decisionProviders, type WebConsole } from '../../console/index.js';
import { loadConfig } from '../../config/index.js';
import { errorMessage, ManifoldError } from '../../core/errors.js';
import { describeListenAddress, runStorePath, serveHttp, serveStdio } from '../../gateway/index.js';
import { isPostgresStore } from '../../store/index.js';
import { runLeasesWanted } from '../../workflows/index.js';
import { openGateway } from '../open-gateway.js';
import type { Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { checkViewName, parseWholeNumber, UsageError } from '../usage-error.js';

/** `manifold serve`: stdio by default, Streamable HTTP with --http. Runs until stdin closes or a signal. */
export async function runServe(parsed: ParsedCommand, output: Output): Promise<number> {
  const httpFlag = stringOption(parsed, 'http');
  const useHttp = httpFlag !== undefined;
  const viewName = stringOption(parsed, 'view');
  if (useHttp && viewName !== undefined) {
    throw new UsageError(`--view is for stdio; over HTTP every view is served at /mcp/<view> (here /mcp/${viewName})`);
  }
  // Flags are checked before any server is started: a typo costs nothing.
  const portFlag = httpFlag === undefined || httpFlag === '' ? undefined : parseWholeNumber('http', httpFlag, 0, 0, 65535);
  const { core, loaded, logger } = await openGateway(commonOptions(parsed), 'info', {
    check: config => {
      if (viewName !== undefined) checkViewName(config, viewName);
    }
  });

  const up = [...core.upstreams.values()].filter(upstream => upstream.state.kind === 'ready').length;
  logger.info(`${up} of ${core.upstreams.size} servers up; ${core.catalog.tools.length} tools (config ${loaded.path})`);
  // A changed workflow (in the config or a workflow file) is reloaded; other changes need a restart.
  const workflowDirs = loaded.config.workflowDirs.map(dir => resolve(dirname(resolve(loaded.path)), dir));
  core.workflows.watch(loaded.path, workflowDirs, () => loadConfig(loaded.path).config.workflows);
  // Fleet mode: runs are leased, and a dead instance's runs adopted (docs/FLEET.md "Runs across instances").
  if (runLeasesWanted(loaded.config.fleet, isPostgresStore(runStorePath(loaded.config, loaded.path)))) core.workflows.runs.startLeases({ lease: loaded.config.fleet.runLease, adopt: true });
  // Opt-in: runs a killed gateway left behind go on now that the servers are up.
  if (loaded.config.gateway.resumeInterrupted) core.workflows.runs.resumeAll(core.workflows.interruptedAtStart);

  let stop: () => Promise<void>;
  let drain: (() => void) | undefined;
  let finished: Promise<void>;
  if (useHttp) {
    const httpConfig = loaded.config.gateway.http;
    const port = portFlag ?? httpConfig.port;
    const host = stringOption(parsed, 'host') ?? httpConfig.host;
    // The web console (console.enabled, on by default), behind its own admin credential.
    let webConsole: WebConsole | undefined;
    try {
      const storePath = runStorePath(loaded.config, loaded.path);
      const providers = decisionProviders(core, { configPath: loaded.path, storePath });
      webConsole = loaded.config.console.enabled ? createConsole(core, { configPath: loaded.path, storePath, providers }) : undefined;
    } catch (error) {
      await core.close();
      throw error;
    }
    const http = await serveHttp(core, {
      ...(webConsole ? { mount: webConsole } : {}),
      host,
      port,
      allowedHosts: httpConfig.allowedHosts,
      allowedOrigins: httpConfig.allowedOrigins,
      storePath: runStorePath(loaded.config, loaded.path),
      configDir: dirname(resolve(loaded.path))
    }).catch(async error => {
      await core.close();
      // Refusing to serve beyond loopback without auth: is the config's problem, said as such.
      if (error instanceof ManifoldError && error.code === 'CONFIG_INVALID') throw error;
      throw new ManifoldError('CONFIG_INVALID', `cannot listen on ${host}:${port}: ${errorMessage(error)}`, { cause: error });
    });
    // The one line a script waits for; stderr, because stdout is reserved.
    const auth = loaded.config.auth;
    const access = auth === undefined ? 'loopback-only' : auth === 'none' ? 'open' : 'authenticated';
    const described = describeListenAddress(http.listen, httpConfig.allowedHosts, access);
    // With --log-format json every stderr line is a JSON object, these too.
    const json = (commonOptions(parsed).logFormat ?? loaded.config.gateway.logFormat) === 'json';
    const announce = json ? (line: string) => logger.info(line) : (line: string) => output.err(`manifold: ${line}`);
    for (const line of described.info) announce(line);
    for (const line of described.warnings) {
      if (json) logger.warn(line);
      else output.err(`manifold: warning: ${line}`);
    }
    announce(`clients of the legacy HTTP+SSE transport connect to ${http.sseUrl}`);
    if (core.metrics) {
      const metrics = loaded.config.metrics;
      const credential = access === 'authenticated' && !metrics.public ? ' (scrapes need a credential that reaches every view)' : '';
      announce(`Prometheus metrics at ${new URL(http.url).origin}${metrics.path}${credential}`);
    }
    if (webConsole) {
      const origin = new URL(http.url).origin;
      if (webConsole.processKey) {
        announce(`web console at ${origin}/console/login#key=${encodeURIComponent(webConsole.processKey)} (a key for this process only: the store keeps no file; set console.adminKey to keep one)`);
      } else {
        const signIn = webConsole.adminKeyFile ? `the admin key in ${webConsole.adminKeyFile}, or run manifold console` : 'console.adminKey';
        announce(`web console at ${origin}/console (sign in with ${signIn})`);
      }
    }
    stop = () => http.close();
    drain = () => http.drain();
    if (http.instanceId) announce(`fleet instance "${http.instanceId}": session ids start with "${http.instanceId}."; /readyz for the load balancer`);
    finished = new Promise(() => {});
  } else {
    let stdio: ReturnType<typeof serveStdio>;
    try {
      stdio = serveStdio(core, viewName !== undefined ? { view: viewName } : {});
    } catch (error) {
      await core.close();
      throw error;
    }
    stop = () => stdio.close();
    finished = stdio.closed;
  }

  const signalled = new Promise<string>(resolve => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve(signal));
  });
  const reason = await Promise.race([finished.then(() => 'client disconnected'), signalled]);
  const drainMs = loaded.config.fleet.drain;
  if (drain && drainMs > 0 && reason !== 'client disconnected') {
    // A fleet instance leaves the load balancer first: /readyz says draining while it still serves.
    drain();
    logger.info(`draining for ${drainMs / 1000} s (${reason}): /readyz answers 503, requests still served`);
    await new Promise(resolve => setTimeout(resolve, drainMs));
  }
  logger.info(`shutting down (${reason})`);
  // Ordered shutdown: stop accepting, then close upstreams (which reaps their process groups).
  await stop().catch(() => {});
  await core.close();
  return 0;
}

import { parseArgs, type ParseArgsConfig } from 'node:util';

import { isManifoldError, errorMessage } from '../core/errors.js';
import { manifoldVersion } from '../core/version.js';
import { logLevels, type LogLevel } from '../telemetry/logger.js';
import { runCall } from './commands/call.js';
import { runDoctor } from './commands/doctor.js';
import { runInit } from './commands/init.js';
import { runServe } from './commands/serve.js';
import { runTools } from './commands/tools.js';
import { type Output, processOutput } from './output.js';
import type { ParsedCommand } from './parsed-command.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  usage: string;
  details: string;
  options: OptionSpec;
  run(parsed: ParsedCommand, output: Output): Promise<number>;
}

const common: OptionSpec = {
  config: { type: 'string', short: 'c' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
};

const commonHelp = `
Common options:
  -c, --config <file>    config file (default: $MANIFOLD_CONFIG, then ./manifold.yaml|.yml|.json)
      --log-level <l>    debug | info | warn | error | silent (logs go to stderr)
  -h, --help             this help`;

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the gateway (stdio by default, or Streamable HTTP with --http)',
    usage: 'manifold serve [--http [port]] [--host <addr>] [--config <file>]',
    details: `Serves every configured server's tools, prompts and resources as one MCP server.
  Over stdio (default): for desktop clients that start Manifold as a command.
  Over HTTP (--http): Streamable HTTP at http://<host>:<port>/mcp, for any number of clients.

Options:
      --http [port]      serve Streamable HTTP instead of stdio (port from the config, default 3333; 0 = any free port)
      --host <addr>      address to bind (default 127.0.0.1; binding elsewhere needs gateway.http.allowedHosts)`,
    options: { ...common, http: { type: 'string' }, host: { type: 'string' } },
    run: runServe
  },
  tools: {
    summary: 'list the merged tool catalog',
    usage: 'manifold tools [--json] [--config <file>]',
    details: `Connects to every server and prints the tools clients will see, by public name.

Options:
      --json             print the definitions as JSON (name, server, description, schemas, annotations)`,
    options: { ...common, json: { type: 'boolean' } },
    run: runTools
  },
  call: {
    summary: 'call one tool through the gateway and print the result',
    usage: 'manifold call <tool> [--args <json>] [key=value ...]',
    details: `Calls a tool by its public name (see manifold tools). Arguments come from --args (a JSON
object) and/or key=value pairs; a value that parses as JSON (a number, true, [..], {..}) is used as
JSON, anything else as a string. Exits 1 if the tool reports an error or the call fails.

Options:
      --args <json>      the arguments as a JSON object
      --json             print the whole result as JSON instead of its text content`,
    options: { ...common, args: { type: 'string', short: 'a' }, json: { type: 'boolean' } },
    run: runCall
  },
  doctor: {
    summary: 'check every server: up or down, protocol, latency, counts',
    usage: 'manifold doctor [--json] [--config <file>]',
    details: `Connects to every configured server and reports, for each: up/down, the protocol revision it
speaks, the transport, connect time and round-trip latency, the number of tools, resources and prompts,
and the error if it is down. Exits 1 if any enabled server is down.

Options:
      --json             print the report as JSON`,
    options: { ...common, json: { type: 'boolean' } },
    run: runDoctor
  },
  init: {
    summary: 'write a manifold.yaml from a Claude Desktop / Cursor / VS Code config',
    usage: 'manifold init --from <claude_desktop_config.json> [--out manifold.yaml] [--force]',
    details: `Reads the "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code) of a client config and
writes them as a Manifold config. Without --from, writes a starter config.

Options:
      --from <file>      the client config to import
      --out <file>       where to write (default ./manifold.yaml; - for stdout)
      --force            overwrite an existing file`,
    options: { ...common, from: { type: 'string' }, out: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
    run: runInit
  }
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map(name => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Manifold ${manifoldVersion}: one MCP endpoint in front of many MCP servers.

Usage: manifold <command> [options]

Commands:
${lines.join('\n')}

Run "manifold <command> --help" for a command's options.
Docs: README.md, docs/CONFIG.md, docs/CLI.md`;
}

function commandHelp(name: string, command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}.\n${command.details}\n${commonHelp}`;
}

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    output.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    output.out(manifoldVersion);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    output.err(`manifold: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  let parsed: ParsedCommand;
  try {
    // `--http` may stand alone (take the port from the config) or carry a port.
    const normalised = name === 'serve' ? rest.map((arg, index) => (arg === '--http' && (rest[index + 1] === undefined || rest[index + 1]?.startsWith('-')) ? '--http=' : arg)) : rest;
    const result = parseArgs({ args: normalised, options: command.options, allowPositionals: true, strict: true });
    parsed = { values: result.values as ParsedCommand['values'], positionals: result.positionals };
  } catch (error) {
    output.err(`manifold ${name}: ${errorMessage(error)}\n\n${commandHelp(name, command)}`);
    return 2;
  }
  if (parsed.values.help) {
    output.out(commandHelp(name, command));
    return 0;
  }
  const level = parsed.values['log-level'];
  if (typeof level === 'string' && !logLevels.includes(level as LogLevel)) {
    output.err(`manifold ${name}: --log-level must be one of ${logLevels.join(', ')}`);
    return 2;
  }
  try {
    return await command.run(parsed, output);
  } catch (error) {
    if (isManifoldError(error)) {
      output.err(`manifold ${name}: ${error.message}`);
      return error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_NOT_FOUND' ? 2 : 1;
    }
    output.err(`manifold ${name}: ${errorMessage(error)}`);
    return 1;
  }
}

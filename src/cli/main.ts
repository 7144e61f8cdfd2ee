import { parseArgs, type ParseArgsConfig } from 'node:util';

import { isManifoldError, errorMessage } from '../core/errors.js';
import { manifoldVersion } from '../core/version.js';
import { logLevels, type LogLevel } from '../telemetry/logger.js';
import { runApprovals } from './commands/approvals.js';
import { runAudit } from './commands/audit.js';
import { runCache } from './commands/cache.js';
import { runCall } from './commands/call.js';
import { runConsole } from './commands/console.js';
import { runDoctor } from './commands/doctor.js';
import { runEval } from './commands/eval.js';
import { runInit } from './commands/init.js';
import { runKeys } from './commands/keys.js';
import { runLogin, runLogout } from './commands/login.js';
import { runRun } from './commands/run.js';
import { runRuns } from './commands/runs.js';
import { runScan } from './commands/scan.js';
import { runUsage } from './commands/usage.js';
import { runSearch } from './commands/search.js';
import { runServe } from './commands/serve.js';
import { runTools } from './commands/tools.js';
import { runWorkflows } from './commands/workflows.js';
import { runViews } from './commands/views.js';
import { type Output, processOutput } from './output.js';
import type { ParsedCommand } from './parsed-command.js';
import { UsageError } from './usage-error.js';

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
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
};

const commonHelp = `
Common options:
  -c, --config <file>    config file (default: $MANIFOLD_CONFIG, then ./manifold.yaml|.yml|.json)
      --log-level <l>    debug | info | warn | error | silent (logs go to stderr)
      --log-format <f>   text | json: one JSON object a line, with the trace id of a traced request (default: gateway.logFormat)
  -h, --help             this help`;

const commands: Record<string, Command> = {
  console: {
    summary: 'print the web console\'s sign-in link (of manifold serve --http); --open opens a browser',
    usage: 'manifold console [--open] [--port <n>] [--config <file>]',
    details: `The gateway serves a web console at /console on its HTTP port (docs/CONSOLE.md). This prints
its sign-in link; without console.adminKey in the config, the link carries the admin key the gateway
keeps beside its store (<store.path>.console-key), in the URL's fragment, which never reaches a server.

Options:
      --open             open the link in this machine's browser (xdg-open or open), when there is one
      --port <n>         the gateway's port, when it is not gateway.http.port (e.g. serve --http 8080)`,
    options: { ...common, open: { type: 'boolean' }, port: { type: 'string' } },
    run: runConsole
  },
  serve: {
    summary: 'run the gateway (stdio by default, or Streamable HTTP with --http)',
    usage: 'manifold serve [--http [port]] [--host <addr>] [--view <name>] [--config <file>]',
    details: `Serves every configured server's tools, prompts and resources as one MCP server.
  Over stdio (default): for desktop clients that start Manifold as a command.
  Over HTTP (--http): Streamable HTTP at http://<host>:<port>/mcp, for any number of clients;
  clients of the older HTTP+SSE transport connect to http://<host>:<port>/sse on the same port.

Options:
      --http [port]      serve Streamable HTTP instead of stdio (port from the config, default 3333; 0 = any free port)
      --host <addr>      address to bind (default 127.0.0.1; binding elsewhere needs gateway.http.allowedHosts)
      --view <name>      stdio: serve this view (config views:); over HTTP every view is at /mcp/<name> (and /sse/<name>)`,
    options: { ...common, http: { type: 'string' }, host: { type: 'string' }, view: { type: 'string' } },
    run: runServe
  },
  tools: {
    summary: 'list the merged tool catalog; review, approve and block pinned tool definitions',
    usage:
      'manifold tools [--json] [--tokens] [--config <file>]\n       manifold tools pins [<server>] [--json]\n       manifold tools diff <tool> [--json]\n       manifold tools approve <tool|server> | --all\n       manifold tools block <tool>',
    details: `Without an action: connects to every server and prints the tools clients will see, by public name
(and how many are held back by pinning).

Pinning (security.pinning, on by default; docs/SECURITY.md "Pinned tool definitions"): each tool's whole
definition is pinned when a gateway first lists it; a tool whose definition changes later is hidden and
refused until approved. These actions read and write the store (store.path) without starting any server,
so they work while a gateway runs: it follows a decision within a second, without a restart. Every
approve and block is a row in the audit log.
pins [<server>]: every pinned tool with its state: approved, changed, pending (quarantine: true), blocked.
diff <tool>: what changed between the approved definition and the current one, field by field.
approve <tool>: accept its current definition (also unblocks it). approve <server>: every changed and
  pending tool of that server. approve --all: every changed and pending tool.
block <tool>: hide and refuse it for good (until approve <tool>); block <server> --all: all its tools.

Options:
      --json             print the definitions (or pins, diff, decisions) as JSON
      --tokens           with each tool, the tokens of its definition, and the total of the tools/list
                         (o200k_base encoding, gpt-tokenizer)
      --all              (approve, block) every waiting tool, or every tool of the server named`,
    options: { ...common, json: { type: 'boolean' }, tokens: { type: 'boolean' }, all: { type: 'boolean' } },
    run: runTools
  },
  search: {
    summary: 'rank the tools that match a query (what retrieve_tools returns)',
    usage: 'manifold search "<query>" [--view <name>] [--limit n] [--server s] [--json]',
    details: `Connects to every server, then searches the tools of a view (default: the default view) with
the same index retrieve_tools uses, and prints them best first with their scores.

Options:
      --view <name>      search this view's tools (config views:)
      --limit <n>        how many results (default 10)
      --server <name>    only tools of this server
      --json             print the full definitions with "server" and "score"`,
    options: { ...common, view: { type: 'string' }, limit: { type: 'string', short: 'n' }, server: { type: 'string' }, json: { type: 'boolean' } },
    run: runSearch
  },
  scan: {
    summary: 'scan every tool definition for poisoning: hidden characters, injected instructions, shadowing, exfiltration',
    usage: 'manifold scan [--json] [--config <file>]',
    details: `Connects to every server like manifold tools, then checks every field the model sees of every tool (name,
title, description, input and output schemas with their property names, descriptions, enums, defaults and
examples, annotations) and each server's instructions, and each view for toxic flows. Rules (docs/SECURITY.md
"Scanner"): E001 prompt injection, E002 cross-server reference (shadowing), E003 behaviour hijack, E004 hidden
characters, E005 secrets or sensitive files, E006 data sent to a URL, E007 exfiltration parameter, W001
suspicious words, TF001/TF002 toxic flows. Config: security.scan (rules, allow, labels), servers.<name>.trust.
Exits 1 when any finding is high, 0 otherwise (2 on a usage error).

Options:
      --json             print {"findings": [{"server", "tool", "rule", "severity", "field", "evidence"}]}
                         (tool: the public name; "(instructions)" for a server's instructions; for a toxic
                         flow server is "(view)" and tool the view's name)`,
    options: { ...common, json: { type: 'boolean' } },
    run: runScan
  },
  views: {
    summary: 'list the views: endpoint, discovery mode, tools, tokens of their tools/list',
    usage: 'manifold views [--json] [--config <file>]',
    details: `Connects to every server and prints each view (the default one at /mcp and those under views:):
its endpoint, discovery mode (all, search, hybrid), how many tools it holds and lists, and the tokens
its tools/list costs (o200k_base encoding), with what listing all of its tools would cost.

Options:
      --json             print the report as JSON`,
    options: { ...common, json: { type: 'boolean' } },
    run: runViews
  },
  eval: {
    summary: 'measure tool retrieval on a labelled set (no config, no servers)',
    usage:
      'manifold eval retrieval --tools <tools.jsonl> --queries <queries.jsonl> [--limit 10] [--ranker manifold|bm25] [--json]',
    details: `Loads a tool set and labelled queries (format: docs/DISCOVERY.md), indexes the tools with the
search retrieve_tools uses, runs every query and prints Hit@1, Recall@5, Recall@10, Complete@10,
nDCG@10 and MRR@10 (percent), query latency p50/p99 and the index build time.

Options:
      --tools <file>     tools.jsonl: {"id", "server", "name", "description", "inputSchema", "annotations"?}
      --queries <file>   queries.jsonl: {"id", "query", "gold": [tool id, ...]}
      --limit <n>        how many results each query retrieves (default 10)
      --ranker <r>       manifold (default: the search retrieve_tools uses) or bm25 (the plain reference:
                         BM25 k1 1.2, b 0.75, one field, lowercase alphanumeric tokens)
      --json             one JSON object: hit@1, recall@5, recall@10, complete@10, ndcg@10, mrr@10,
                         latency_ms {p50, p99}, build_ms, tools, queries
      --embeddings-url <url> --embeddings-model <m>
                         fuse an OpenAI-compatible /embeddings endpoint's ranking with BM25F, as
                         discovery.embeddings does (key from $MANIFOLD_EMBEDDINGS_API_KEY)`,
    options: {
      ...common,
      tools: { type: 'string' },
      queries: { type: 'string' },
      limit: { type: 'string' },
      ranker: { type: 'string' },
      json: { type: 'boolean' },
      'embeddings-url': { type: 'string' },
      'embeddings-model': { type: 'string' }
    },
    run: runEval
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
  run: {
    summary: 'run a workflow and show its progress live',
    usage: 'manifold run <workflow> [--args <json>] [key=value ...] [--json]',
    details: `Runs a workflow (see manifold workflows list) through the gateway pipeline, printing each step as it
finishes on stderr, then the result on stdout and the run id. Ctrl-C cancels the run (and its calls in
flight). Arguments as for manifold call. Exits 1 if the run fails.

Options:
      --args <json>      the arguments as a JSON object
      --json             print the whole result as JSON (with structuredContent.partial_results on failure)`,
    options: { ...common, args: { type: 'string', short: 'a' }, json: { type: 'boolean' } },
    run: runRun
  },
  audit: {
    summary: 'the audit log of every request, or a check that it is intact',
    usage: 'manifold audit [--since 1h|<date>] [--tool <glob>] [--server s] [--principal p] [--limit n] [--json]\n       manifold audit verify [--json]',
    details: `Without an action: the most recent audit rows (one per request the gateway answered: client calls,
call_tool, workflow and agent steps, prompts, resource reads, completions) from the store (store.path), oldest
first: time, principal, method, target, server, outcome (ok, tool_error, protocol_error, denied, limited),
duration, view, run and step.

verify: checks the hash chain (each row's hash covers the one before) and the checkpoints of its head (their
signatures with audit.signingKey). Exits 0 when intact; 1 naming the first row edited, deleted or swapped, a
truncated tail, or a forged checkpoint (docs/OBSERVABILITY.md "Audit log").

Options:
      --since <when>     rows from this span back (30m, 1h, 7d) or this date on
      --tool <glob>      rows whose target (public tool or prompt name, resource URI) matches
      --server <name>    rows served by this server
      --principal <p>    rows of this caller: kind:name (key:ci) or a name
      --limit <n>        how many rows, the most recent (default 100)
      --json             print the rows (or the verification) as JSON`,
    options: {
      ...common,
      since: { type: 'string' },
      tool: { type: 'string' },
      server: { type: 'string' },
      principal: { type: 'string' },
      limit: { type: 'string', short: 'n' },
      json: { type: 'boolean' }
    },
    run: runAudit
  },
  runs: {
    summary: 'workflow run history, or one run\'s step timeline',
    usage: 'manifold runs [<run-id>] [--workflow <name>] [--limit n] [--json]\n       manifold runs resume <run-id> [--force] [--json]',
    details: `Without an id: the most recent runs (id, workflow, status, start, duration, steps, error) from the
store (store.path, default .manifold/manifold.db beside the config). With an id: the run's steps on a time
line, with their tools, durations, output sizes, errors and retries.

resume <run-id>: continues an interrupted (its gateway was killed), failed or cancelled run from its first
unfinished step, in this process with the config's servers; calls that finished are not made again (their
recorded results are reused). A call that was in flight and is neither read-only nor idempotent stops it as
interrupted: check whether it took effect, then resume with --force to call it again.

Options:
      --workflow <name>  only runs of this workflow
      --limit <n>        how many runs (default 20)
      --force            (resume) call again a step that was in flight although it is not idempotent
      --json             print the records (or the resumed run's result) as JSON`,
    options: { ...common, workflow: { type: 'string' }, limit: { type: 'string', short: 'n' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    run: runRuns
  },
  usage: {
    summary: 'tokens clients received and models used, per tool, server, view, workflow or principal',
    usage: 'manifold usage [--by tool|server|view|workflow|principal] [--since 24h|7d|<date>] [--json] [--config <file>]',
    details: `Reads the token accounting of the gateway (usage:, on by default) from the store (store.path): per
group, the calls, the tokens of their arguments (input), of the answers clients received (results: call
results, prompts, resource reads, lists, retrieve_tools) and the tokens models used (agents, orchestrators,
routers, workflow model steps). Counted in o200k_base, in hourly buckets (UTC): --since starts at its hour.

Options:
      --by <group>       tool (default), server, view, workflow or principal
      --since <when>     a span back from now (24h, 7d) or a date / date-time; default 24h
      --json             print { by, since, store, groups: [{ key, calls, inputTokens, resultTokens,
                         modelTokens, totalTokens }] }`,
    options: { ...common, by: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } },
    run: runUsage
  },
  workflows: {
    summary: 'check the workflow definitions against the servers, or list them',
    usage: 'manifold workflows check|list [--json] [--config <file>]',
    details: `check: checks every workflow (config workflows: and the files in workflowDirs): expressions, step references,
cycles; then connects to every server and checks the tools they call exist and get their required
arguments, and that retries are possible. Prints one line per problem (path: what is wrong) and exits 1
if there is any error (warnings alone exit 0).
list: the workflows as tools, with their derived annotations.

Options:
      --json             (list) print the tool definitions as JSON`,
    options: { ...common, json: { type: 'boolean' } },
    run: runWorkflows
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
  cache: {
    summary: 'the result cache of a running gateway: hit rate, entries, bytes, per server',
    usage: 'manifold cache stats [--url <gateway>] [--json] [--config <file>]',
    details: `Reads the counters of the result cache (config cache:) from a gateway serving HTTP (its /healthz):
how many cacheable calls were answered from the cache (hits), joined an identical call in flight, or
went to the server (misses); how many entries and bytes it holds; evictions, expirations and
invalidations; the same per server. The counts are the gateway process's since it started.

Options:
      --url <gateway>    the gateway's address (default: the config's gateway.http host and port)
      --json             print the counters as JSON (the /healthz cache field, with "gateway")`,
    options: { ...common, url: { type: 'string' }, json: { type: 'boolean' } },
    run: runCache
  },
  login: {
    summary: 'sign in to a remote server that demands OAuth (authorization code + PKCE), once',
    usage: 'manifold login <server> [--config <file>]',
    details: `For a server with servers.<name>.oauth (grant authorization_code): prints the authorization URL
to open in a browser, waits for the redirect on a loopback port (127.0.0.1, oauth.redirectPort, default any
free one), redeems the code (PKCE S256, state and iss checked) and stores the tokens, encrypted, in the
store (store.path; the key in <store>.key, mode 0600). Manifold refreshes them itself from then on; when the
authorization server refuses the refresh token (revoked), the server is down with "login required" until
you log in again. Any earlier sign-in of that server is replaced.`,
    options: { ...common },
    run: runLogin
  },
  logout: {
    summary: "forget a remote server's stored sign-in (and revoke its refresh token)",
    usage: 'manifold logout <server> [--config <file>]',
    details: `Deletes the tokens and client registration stored for the server by manifold login, after asking
the authorization server to revoke the refresh token (RFC 7009) where it has a revocation endpoint.`,
    options: { ...common },
    run: runLogout
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
  },
  keys: {
    summary: 'API keys for the HTTP face: create (shown once), list, revoke',
    usage: 'manifold keys create <name> [--views a,b] [--scopes x,y] [--expires 30d|<date>] [--json]\n       manifold keys list [--json]\n       manifold keys revoke <name>',
    details: `Keys made here live in the store (store.path; only their SHA-256 is kept) and count beside the
config's auth.keys as soon as they are made: the gateway checks the store on each authenticated request,
so a revoked key is refused from its next request. The gateway asks for keys only when the config has
"auth:" (docs/SECURITY.md).

create <name>: prints a new key on stdout, once. Clients send it as "Authorization: Bearer <key>" (or
  "X-API-Key: <key>").
list: every key, of the config and of the store, with its views, scopes, expiry and status (never the key).
revoke <name>: the store's key of that name stops working (a config key is removed from the config).

Options:
      --views <a,b>      (create) the views the key reaches (/mcp/<view>, /sse/<view>; "default" is /mcp);
                         all when absent
      --scopes <x,y>     (create) scopes the key grants (rules see them like a token's scopes)
      --expires <when>   (create) a lifetime (30d, 12h, 90m) or a date (2027-01-31)
      --json             print JSON (create: with the key)`,
    options: { ...common, views: { type: 'string', multiple: true }, scopes: { type: 'string', multiple: true }, expires: { type: 'string' }, json: { type: 'boolean' } },
    run: runKeys
  },
  approvals: {
    summary: 'calls that wait for a person (security.approval): list, grant, deny',
    usage: 'manifold approvals [list] [--all] [--json]\n       manifold approvals grant <id>\n       manifold approvals deny <id>',
    details: `A client that cannot ask its user (it did not declare elicitation) gets a tool error naming an
approval id when it calls a tool that needs approval (docs/SECURITY.md "Approval before destructive calls").
The approvals live in the store (store.path); this works on the same file while the gateway runs.

list (default): the approvals that wait, oldest first: id, principal, tool, when asked and when it
  expires (security.approval.expiry), and the arguments.
grant <id>: the client's retry of the same call (same principal, tool and arguments) before the expiry
  runs it, once.
deny <id>: that retry gets a tool error saying a person denied it.
Each decision is written to the audit log (method manifold/approval).

Options:
      --all              (list) every approval kept, decided, used and expired ones too (newest first)
      --json             (list) {"approvals": [{id, status, principal, tool, server, reason, arguments, ...}]}`,
    options: { ...common, all: { type: 'boolean' }, json: { type: 'boolean' } },
    run: runApprovals
  }
};

/** The commands that take positional arguments; the others refuse any (a typo, a flag without its `--`). */
const takesArguments = new Set(['approvals', 'tools', 'audit', 'keys', 'search', 'eval', 'call', 'run', 'runs', 'workflows', 'cache', 'login', 'logout']);

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
  if (!takesArguments.has(name) && parsed.positionals.length > 0) {
    output.err(`manifold ${name}: unexpected argument "${parsed.positionals[0]}"\n\nUsage: ${command.usage} (manifold ${name} --help for more)`);
    return 2;
  }
  const level = parsed.values['log-level'];
  if (typeof level === 'string' && !logLevels.includes(level as LogLevel)) {
    output.err(`manifold ${name}: --log-level must be one of ${logLevels.join(', ')}`);
    return 2;
  }
  const format = parsed.values['log-format'];
  if (typeof format === 'string' && format !== 'text' && format !== 'json') {
    output.err(`manifold ${name}: --log-format must be text or json, not "${format}"`);
    return 2;
  }
  try {
    return await command.run(parsed, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`manifold ${name}: ${error.message}\n\nUsage: ${command.usage} (manifold ${name} --help for more)`);
      return 2;
    }
    if (isManifoldError(error)) {
      output.err(`manifold ${name}: ${error.message}`);
      return error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_NOT_FOUND' ? 2 : 1;
    }
    output.err(`manifold ${name}: ${errorMessage(error)}`);
    return 1;
  }
}

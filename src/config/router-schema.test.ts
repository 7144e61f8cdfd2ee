import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string): string {
  try {
    parseConfig(text, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('expected a config error');
}

const base = `servers:
  fs: { command: node }
  memory: { command: node }
models:
  local: { provider: openai, baseURL: "http://127.0.0.1:11434/v1", model: llama3.1 }
agents:
  librarian: { model: local, servers: [fs] }
workflows:
  report: { steps: [{ id: a, call: fs__read }] }
`;

describe('routers in the config', () => {
  it('parses routes by name and as a list (named by their target), with defaults', () => {
    const { config } = parseConfig(
      `${base}routers:
  front:
    model: local
    routes:
      files: { server: fs, description: Files }
      notes: { agent: librarian }
    default: files
  listed:
    model: local
    routes: [{ server: memory }, { workflow: report }, { name: reading, agent: librarian }]
    default: memory
    prefilter: bm25
    topK: 2
`,
      { env: {} }
    );
    assert.deepEqual(config.routers.front, {
      model: 'local',
      routes: { files: { server: 'fs', description: 'Files' }, notes: { agent: 'librarian' } },
      default: 'files',
      minConfidence: 0.5,
      topK: 1,
      prefilter: 'none',
      prefilterMargin: 2,
      maxTurns: 10
    });
    assert.deepEqual(Object.keys(config.routers.listed!.routes), ['memory', 'report', 'reading']);
    assert.equal(config.routers.listed!.prefilter, 'bm25');
  });

  it('an unknown model, server, agent or workflow is an error naming its path', () => {
    const message = messageOf(`${base}routers:
  front:
    model: locl
    routes:
      a: { server: nope }
      b: { agent: ghost }
      c: { workflow: missing }
    default: a
`);
    assert.match(message, /routers\.front\.model: unknown model "locl"; declared models: "local"/);
    assert.match(message, /routers\.front\.routes\.a\.server: unknown server "nope"; declared servers: "fs", "memory"/);
    assert.match(message, /routers\.front\.routes\.b\.agent: unknown agent "ghost"; declared agents: "librarian"/);
    assert.match(
      message,
      /routers\.front\.routes\.c\.workflow: unknown workflow "missing"; declared workflows: "report"/
    );
  });

  it('a route with two targets or none, and duplicate list names are errors', () => {
    const message = messageOf(`${base}routers:
  front:
    model: local
    routes:
      a: { server: fs, agent: librarian }
      b: { description: nothing }
      c: { agent: librarian, tools: ["read_*"] }
    default: z
  twice:
    model: local
    routes: [{ server: fs }, { server: fs }]
    default: fs
`);
    assert.match(
      message,
      /routers\.front\.routes\.a: a route names exactly one of server, agent or workflow \(this one names server and agent\)/
    );
    assert.match(
      message,
      /routers\.front\.routes\.b: a route names exactly one of server, agent or workflow \(this one names none\)/
    );
    assert.match(message, /routers\.front\.routes\.c\.tools: only a server route takes it/);
    assert.match(message, /routers\.twice\.routes\.1: a second route named "fs"; give one a "name"/);
  });

  it('a default that is not a route is an error naming the routes', () => {
    const message = messageOf(
      `${base}routers:\n  front: { model: local, routes: { a: { server: fs }, b: { agent: librarian } }, default: z }\n`
    );
    assert.match(message, /routers\.front\.default: "z" is not one of the routes \("a", "b"\); name the route to take/);
  });

  it('a router named like an agent, a workflow or an orchestrator is an error (both would be one tool)', () => {
    const message = messageOf(`${base}orchestrators:
  lead: { model: local, workers: [librarian] }
routers:
  librarian: { model: local, routes: { a: { server: fs } }, default: a }
  report: { model: local, routes: { a: { server: fs } }, default: a }
  lead: { model: local, routes: { a: { server: fs } }, default: a }
`);
    assert.match(message, /routers\.librarian: an agent is named "librarian" too/);
    assert.match(message, /routers\.report: a workflow is named "report" too/);
    assert.match(message, /routers\.lead: an orchestrator is named "lead" too/);
  });

  it('a route to a workflow of workflowDirs is checked when the router runs (those are read later)', () => {
    const { config } = parseConfig(
      `${base}workflowDirs: [flows]\nrouters:\n  front: { model: local, routes: { a: { workflow: elsewhere } }, default: a }\n`,
      { env: {} }
    );
    assert.deepEqual(config.routers.front!.routes.a, { workflow: 'elsewhere' });
  });

  it('a routed view needs a declared router; only a routed view takes one', () => {
    const router = 'routers:\n  pick: { model: local, routes: { a: { server: fs } }, default: a }\n';
    const message = messageOf(`${base}${router}views:
  bare: { discovery: routed }
  ghost: { discovery: routed, router: nope }
  plain: { discovery: search, router: pick }
`);
    assert.match(message, /views\.bare\.router: discovery "routed" needs a router/);
    assert.match(
      message,
      /views\.plain\.router: only a view with discovery "routed" takes a router \(this one is "search"\)/
    );
    const unknown = messageOf(`${base}${router}views:\n  ghost: { discovery: routed, router: nope }\n`);
    assert.match(unknown, /views\.ghost\.router: unknown router "nope"; declared routers: "pick"/);
  });
});

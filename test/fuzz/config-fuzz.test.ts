/**
 * Config and workflow files, fuzzed (docs/SECURITY.md "Fuzzing"): arbitrary text, arbitrary YAML and JSON
 * documents, and mutations of the example configs and workflows. `loadConfig` either loads or throws a typed
 * ManifoldError (CONFIG_INVALID, CONFIG_NOT_FOUND) with a message; never another exception. `parseWorkflowFile`
 * returns a workflow or problems, and `loadWorkflowFiles` loads or throws CONFIG_INVALID.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import fc from 'fast-check';
import { parse, stringify } from 'yaml';

import { loadConfig, loadWorkflowFiles, parseWorkflowFile } from '../../src/config/index.js';
import { isManifoldError } from '../../src/core/errors.js';
import { repoRoot } from '../helpers/gateway.js';
import { fuzzParameters } from './fuzz-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-fuzz-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const examples = readdirSync(join(repoRoot, 'examples'))
  .filter(name => /\.ya?ml$/.test(name))
  .map(name => readFileSync(join(repoRoot, 'examples', name), 'utf8'));
const workflowExamples = readdirSync(join(repoRoot, 'examples/workflows')).map(name =>
  readFileSync(join(repoRoot, 'examples/workflows', name), 'utf8')
);

/** A config with every section the schema has, so that mutations reach them all. */
const everySection = {
  servers: {
    a: {
      command: 'node',
      args: ['x.js'],
      env: { K: '${K:-v}' },
      redact: ['results', 'block'],
      cache: { ttl: '5s' },
      annotations: { '*': { readOnlyHint: true } }
    },
    b: { url: 'http://127.0.0.1:1/mcp', headers: { Authorization: 'Bearer ${TOKEN}' }, perClient: true }
  },
  gateway: { timeout: '30s', maxMessageBytes: 65536, http: { port: 0 } },
  views: { small: { servers: ['a'], tools: { 'a__*': {} }, discovery: 'search' } },
  workflows: {
    wf: {
      description: 'd',
      input: { type: 'object', properties: { q: { type: 'string' } } },
      steps: [{ id: 's', call: 'a__t', arguments: { q: '{{ input.q }}' } }],
      output: '{{ steps.s }}'
    }
  },
  cache: { ttl: '1m', maxEntries: 10 },
  limits: { calls: [{ per: 'principal', rate: '10/s' }] },
  rules: [{ allow: 'true' }],
  audit: { arguments: true, keepDays: 3 },
  tracing: { exporter: 'console' },
  security: { redact: 'off' },
  store: { path: ':memory:' }
};

const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '${UNSET}',
    '${A:-b}',
    '${',
    '10s',
    '-1',
    '1e400',
    'NaN',
    '__',
    '../../etc',
    '0',
    'results',
    'block',
    'off',
    '*',
    '{{ }}'
  ),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double()
);

type Mutation = { pick: number; kind: 'replace' | 'delete' | 'add'; key: string; value: unknown };
const mutations = fc.array(
  fc.record({
    pick: fc.nat(),
    kind: fc.constantFrom<Mutation['kind']>('replace', 'delete', 'add'),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('redact', 'servers', 'security', 'command', 'url', 'steps', 'type', 'enabled')
    ),
    value: leaf
  }),
  { minLength: 1, maxLength: 6 }
);

/** Every object and array in a value, with the way to reach it. */
function containers(
  value: unknown,
  out: Array<Record<string, unknown> | unknown[]> = []
): Array<Record<string, unknown> | unknown[]> {
  if (value !== null && typeof value === 'object') {
    out.push(value as Record<string, unknown>);
    for (const member of Object.values(value)) containers(member, out);
  }
  return out;
}

function mutate(document: unknown, steps: Mutation[]): unknown {
  const copy = structuredClone<unknown>(document);
  for (const step of steps) {
    const targets = containers(copy);
    if (targets.length === 0) return step.value;
    const target = targets[step.pick % targets.length] as Record<string, unknown>;
    const keys = Object.keys(target);
    const key = keys.length > 0 && step.kind !== 'add' ? (keys[step.pick % keys.length] as string) : step.key;
    if (step.kind === 'delete') delete target[key];
    else target[key] = step.value;
  }
  return copy;
}

/** Throws unless `run` returns or throws a ManifoldError with a config code and a message. */
function expectTyped(run: () => unknown, text: string): void {
  try {
    run();
  } catch (error) {
    assert.ok(
      isManifoldError(error),
      `not a ManifoldError: ${String((error as Error)?.stack ?? error)}\nfor:\n${text.slice(0, 2000)}`
    );
    assert.ok(error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_NOT_FOUND', `code ${error.code}`);
    assert.ok(error.message.length > 0);
  }
}

let fileCount = 0;
function writeTemp(text: string): string {
  const path = join(dir, `config-${fileCount++ % 8}.yaml`);
  writeFileSync(path, text);
  return path;
}

function load(text: string): void {
  const path = writeTemp(text);
  expectTyped(() => loadConfig(path, {}), text);
}

const serialized = (document: fc.Arbitrary<unknown>) =>
  fc
    .tuple(document, fc.boolean())
    .map(([value, json]) => (json ? (JSON.stringify(value) ?? 'null') : stringify(value)));

describe('regressions found by this fuzzer', () => {
  it('an alias without its anchor is a typed config error (yaml threw a ReferenceError from toJS)', () => {
    load('*fQw2=E@fH');
    load('servers:\n  a: *missing\n');
  });

  it('a workflow step that is null is a typed config error (the step refinement read its members)', () => {
    const text = stringify({ servers: {}, workflows: { wf: { steps: [{ id: 'a', call: 'x__y' }, null, 3] } } });
    assert.throws(
      () => loadConfig(writeTemp(text), {}),
      (error: unknown) => isManifoldError(error) && /workflows\.wf\.steps\.1/.test(error.message)
    );
    const parsed = parseWorkflowFile('steps:\n  - null\n', 'w.yaml', {}, 'w');
    assert.ok('problems' in parsed);
  });
});

describe('fuzz: config files', () => {
  it('arbitrary text and arbitrary documents load or fail with a typed config error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          serialized(fc.jsonValue({ maxDepth: 4 }))
        ),
        text => load(text)
      ),
      fuzzParameters(150)
    );
  });

  it('mutated configs (the examples and one with every section) load or fail with a typed config error', () => {
    const corpus = [everySection, ...examples.map(text => parse(text) as unknown)];
    fc.assert(
      fc.property(fc.nat({ max: corpus.length - 1 }), mutations, fc.boolean(), (index, steps, json) => {
        const document = mutate(corpus[index], steps);
        load(json ? (JSON.stringify(document) ?? 'null') : stringify(document));
      }),
      fuzzParameters(300)
    );
  });

  it('text-level mutations of the examples (cut, spliced, duplicated lines) load or fail typed', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: examples.length - 1 }),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 20 }),
        (index, at, length, insert) => {
          const text = examples[index] as string;
          const start = at % (text.length + 1);
          load(text.slice(0, start) + insert + text.slice(start + (length % 40)));
        }
      ),
      fuzzParameters(200)
    );
  });
});

describe('fuzz: workflow files', () => {
  it('parseWorkflowFile returns a workflow or problems for arbitrary and mutated files; loadWorkflowFiles fails typed', () => {
    const corpus = workflowExamples.map(text => parse(text) as unknown);
    const workflowDir = join(dir, 'workflows');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          serialized(fc.jsonValue({ maxDepth: 4 })),
          fc
            .tuple(fc.nat({ max: corpus.length - 1 }), mutations)
            .map(([index, steps]) => stringify(mutate(corpus[index], steps)))
        ),
        text => {
          const parsed = parseWorkflowFile(text, 'fuzz.yaml', {}, 'fuzz');
          assert.ok('problems' in parsed ? parsed.problems.length > 0 : typeof parsed.name === 'string');
          rmSync(workflowDir, { recursive: true, force: true });
          mkdirSync(workflowDir);
          writeFileSync(join(workflowDir, 'fuzz.yaml'), text);
          expectTyped(() => loadWorkflowFiles(workflowDir, {}), text);
        }
      ),
      fuzzParameters(200)
    );
  });
});

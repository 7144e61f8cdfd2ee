import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { loadConfig, parseConfig, parseWorkflowFile, type WorkflowDefinition } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';
import { checkWorkflowDefinitions, formatProblem } from './workflow-engine.js';

/** Parses `workflows:` through the real config parser; returns the CONFIG_INVALID lines, or the definitions. */
function parseWorkflows(workflows: Record<string, unknown>): { lines: string[] } | { workflows: Record<string, WorkflowDefinition> } {
  try {
    return { workflows: parseConfig(stringify({ workflows })).config.workflows };
  } catch (error) {
    assert.ok(error instanceof ManifoldError && error.code === 'CONFIG_INVALID', String(error));
    return { lines: (error.data?.issues as string[] | undefined) ?? [error.message] };
  }
}

function problemsOf(workflows: Record<string, unknown>): string[] {
  const parsed = parseWorkflows(workflows);
  assert.ok('workflows' in parsed, `schema errors: ${'lines' in parsed ? parsed.lines.join('\n') : ''}`);
  return checkWorkflowDefinitions(parsed.workflows).problems.map(problem => formatProblem(problem));
}

const call = (tool: string, args?: Record<string, unknown>) => ({ call: tool, ...(args ? { with: args } : {}) });

describe('workflow definitions: schema errors (docs/WORKFLOWS.md, "Errors")', () => {
  it('a step has exactly one kind', () => {
    const parsed = parseWorkflows({ w: { steps: [{ id: 'a', call: 'x__y', parallel: { b: call('x__y') } }, { id: 'b' }] } });
    assert.ok('lines' in parsed);
    assert.deepEqual(parsed.lines, [
      'workflows.w.steps.0: a step has one kind (call, parallel, map, switch, agent or evaluate); this one has "call" and "parallel"',
      'workflows.w.steps.1: a step needs one of "call", "parallel", "map", "switch" (or "route"), "agent" or "evaluate"'
    ]);
  });

  it('every top-level step has a unique id', () => {
    const parsed = parseWorkflows({ w: { steps: [call('x__y'), { id: 'a', ...call('x__y') }, { id: 'a', ...call('x__z') }] } });
    assert.ok('lines' in parsed);
    assert.deepEqual(parsed.lines, [
      'workflows.w.steps.0.id: required: every top-level step needs an id (its result is steps.<id>.result)',
      'workflows.w.steps.2.id: step id "a" is already used by steps.1'
    ]);
  });

  it('unknown keys, bad durations, misplaced policies and bad names are reported by path', () => {
    const parsed = parseWorkflows({
      w: {
        steps: [
          { id: 'a', ...call('x__y'), retries: 2 },
          { id: 'b', ...call('x__y'), timeout: 'soon' },
          { id: 'c', parallel: { one: call('x__y') }, retry: 2 },
          { id: 'd', map: 'input.list' }
        ]
      }
    });
    assert.ok('lines' in parsed);
    assert.deepEqual(parsed.lines.sort(), [
      'workflows.w.steps.0: unknown key "retries" (did you mean "retry"? See docs/WORKFLOWS.md)',
      'workflows.w.steps.1.timeout: expected a duration such as 500ms, 30s or 2m, got "soon"',
      'workflows.w.steps.2.retry: "retry" belongs to a call (on a map, to its "call" form, where it applies to each item)',
      'workflows.w.steps.3: a map step needs the step to run for each item: "do: {...}", or "call:" with "with:"'
    ]);
  });

  it('regression issue 9 #17: a definition\'s problems come all at once, unknown keys with the nearest known key', () => {
    const parsed = parseWorkflows({
      w: {
        steps: [
          { id: 'a', ...call('x__y'), timout: '1s', concurrency: 2 },
          { id: 'b', ...call('x__y'), onErorr: 'continue', zzz: 1 }
        ],
        outptu: '{{ steps.a.result }}'
      }
    });
    assert.ok('lines' in parsed);
    assert.deepEqual(parsed.lines.sort(), [
      'workflows.w.steps.0.concurrency: "concurrency" belongs to a parallel or map step',
      'workflows.w.steps.0: unknown key "timout" (did you mean "timeout"? See docs/WORKFLOWS.md)',
      'workflows.w.steps.1: unknown key "onErorr" (did you mean "onError"? See docs/WORKFLOWS.md)',
      'workflows.w.steps.1: unknown key "zzz" (a step has "id", "description", "call", "with", "parallel", "map", "do", "switch", "route", "default", "agent", "task", "evaluate", "aggregate", "concurrency", "timeout", "retry", "failWhen", "fallback", "onError", "let"; see docs/WORKFLOWS.md)',
      'workflows.w: unknown key "outptu" (did you mean "output"? See docs/WORKFLOWS.md)'
    ]);
  });

  it('a workflow name may not contain "__"', () => {
    const parsed = parseWorkflows({ bad__name: { steps: [{ id: 'a', ...call('x__y') }] } });
    assert.ok('lines' in parsed);
    assert.deepEqual(parsed.lines, [
      'workflows.bad__name: workflow name "bad__name" must be 1-64 letters, digits, "-" and single "_" (not "__", which marks "<server>__<tool>" names)'
    ]);
  });

  it('the map short form gives timeout and retry to each item\'s call', () => {
    const parsed = parseWorkflows({ w: { steps: [{ id: 'm', map: 'input.l', call: 'x__y', with: { v: '{{ item }}' }, timeout: '2s', retry: 1, onError: 'continue' }] } });
    assert.ok('workflows' in parsed);
    const step = parsed.workflows.w!.steps[0]!;
    assert.equal(step.kind, 'map');
    assert.equal(step.onError, 'continue');
    assert.equal(step.timeout, undefined);
    assert.ok(step.kind === 'map' && step.do.kind === 'call');
    assert.equal(step.do.timeout, 2000);
    assert.deepEqual(step.do.retry, { attempts: 1, backoff: 200, factor: 2, force: false });
  });
});

describe('workflow definitions: static checks', () => {
  it('a bad expression names the path, the expression and the position', () => {
    assert.deepEqual(problemsOf({ w: { steps: [{ id: 'a', ...call('x__y', { q: '{{ input.x ]] }}' }) }] } }), [
      'workflows.w.steps.0.with.q: bad expression "input.x ]]": Syntax error: "]" (at character 9)'
    ]);
  });

  it('steps.<id> must name a step that runs earlier', () => {
    assert.deepEqual(
      problemsOf({
        w: {
          steps: [
            { id: 'a', ...call('x__y', { v: '{{ steps.b.result }}' }) },
            { id: 'b', ...call('x__y', { v: '{{ steps.b.result }}', w: '{{ steps.nope.result }}' }) },
            { id: 'c', parallel: { one: call('x__y', { v: '{{ steps.a.result }}' }) } }
          ],
          output: '{{ steps.c.result }}'
        }
      }),
      [
        'workflows.w.steps.0.with.v: steps.b is not available here: step "b" does not run before this point (steps run in order, and a step cannot read its own result or a later step\'s)',
        'workflows.w.steps.1.with.v: steps.b is not available here: step "b" does not run before this point (steps run in order, and a step cannot read its own result or a later step\'s)',
        'workflows.w.steps.1.with.w: there is no step "nope" (the steps are "a", "b", "c")'
      ]
    );
  });

  it('item and index exist only inside a map', () => {
    assert.deepEqual(
      problemsOf({
        w: {
          steps: [
            { id: 'a', ...call('x__y', { v: '{{ item.name }}' }) },
            { id: 'b', map: '[1,2]', call: 'x__y', with: { v: '{{ item }}', i: '{{ $index }}' } },
            { id: 'c', ...call('x__y', { v: '{{ steps.b.result[item > 1] }}' }) }
          ]
        }
      }),
      ['workflows.w.steps.0.with.v: "item" and "index" exist only inside a map step (in its "do" or its call\'s "with")']
    );
  });

  it('workflows that call each other in a circle are an error', () => {
    const problems = problemsOf({
      a: { steps: [{ id: 's', ...call('b') }] },
      b: { steps: [{ id: 's', parallel: { x: call('c') } }] },
      c: { steps: [{ id: 's', map: '[1]', call: 'a' }] },
      d: { steps: [{ id: 's', ...call('a') }] }
    });
    assert.deepEqual(problems, ['workflows.a: workflows call each other in a cycle: a → b → c → a (a run would never end)']);
  });

  it('a switch condition and a map list are expressions with or without braces', () => {
    assert.deepEqual(
      problemsOf({
        w: {
          steps: [
            { id: 'a', map: '{{ input.l }}', call: 'x__y' },
            { id: 'b', switch: [{ when: 'input.k = 1', do: call('x__y') }, { when: '{{ input.k = }}', do: call('x__z') }] }
          ]
        }
      }),
      ['workflows.w.steps.1.switch.1.when: bad expression "input.k =": Unexpected end of expression (at character 9)']
    );
  });

  it('an input schema that is not valid JSON Schema is an error', () => {
    assert.deepEqual(problemsOf({ w: { input: { type: 'object', properties: { a: { type: 'nonsense' } } }, steps: [{ id: 'a', ...call('x__y') }] } }).length, 1);
  });
});

describe('workflow files (workflowDirs: folders of workflows/*.yaml beside the config)', () => {
  it('loads one workflow per file, named by the file or by name:, and reports errors with the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-wf-'));
    try {
      const configPath = join(dir, 'manifold.yaml');
      writeFileSync(configPath, stringify({ servers: {}, workflowDirs: ['workflows'], workflows: { inline: { steps: [{ id: 'a', call: 'x__y' }] } } }));
      mkdirSync(join(dir, 'workflows'));
      writeFileSync(join(dir, 'workflows', 'from-file.yaml'), stringify({ steps: [{ id: 'a', call: 'x__y', with: { d: '${MANIFOLD_CONFIG_DIR}' } }] }));
      writeFileSync(join(dir, 'workflows', 'other.yml'), stringify({ name: 'renamed', steps: [{ id: 'a', call: 'x__y' }] }));
      writeFileSync(join(dir, 'workflows', 'notes.txt'), 'not a workflow');
      const loaded = loadConfig(configPath, {});
      assert.deepEqual(Object.keys(loaded.config.workflows).sort(), ['from-file', 'inline', 'renamed']);
      const fromFile = loaded.config.workflows['from-file']!;
      assert.equal(fromFile.source, join(dir, 'workflows', 'from-file.yaml'));
      const first = fromFile.steps[0]!;
      assert.deepEqual(first.kind === 'call' && first.with, { d: dir });

      writeFileSync(join(dir, 'workflows', 'broken.yaml'), stringify({ steps: [{ id: 'a', call: 'x__y', onError: 'retry' }] }));
      assert.throws(
        () => loadConfig(configPath, {}),
        (error: unknown) =>
          error instanceof ManifoldError &&
          error.code === 'CONFIG_INVALID' &&
          error.message.includes(`${join(dir, 'workflows', 'broken.yaml')}: steps.0.onError: Invalid option: expected one of "fail"|"continue"`)
      );
      rmSync(join(dir, 'workflows', 'broken.yaml'));
      writeFileSync(join(dir, 'workflows', 'inline.yaml'), stringify({ steps: [{ id: 'a', call: 'x__y' }] }));
      assert.throws(() => loadConfig(configPath, {}), /workflow "inline" is defined both in .*manifold\.yaml \(workflows\.inline\) and in .*inline\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Issue 9 #17: JSONata's `$$` (the root) written in a workflow file must reach JSONata.
  it('regression issue 9 #17: "$$" in a workflow file survives ${…} expansion', () => {
    const parsed = parseWorkflowFile(
      stringify({ steps: [{ id: 'a', call: 'x__y', with: { v: '{{ $$.input.x }}', home: '${HOME_DIR}' } }] }),
      'w.yaml',
      { HOME_DIR: '/home/ada' },
      'w'
    );
    assert.ok('workflow' in parsed, JSON.stringify(parsed));
    const step = parsed.workflow.steps[0]!;
    assert.deepEqual(step.kind === 'call' && step.with, { v: '{{ $$.input.x }}', home: '/home/ada' });
  });
});

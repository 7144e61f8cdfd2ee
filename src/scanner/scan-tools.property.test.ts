import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { scanSeverities } from '../config/index.js';
import { createToolNameIndex } from './cross-server.js';
import { scanRules } from './rules.js';
import { scanServers, scanTool } from './scan-tools.js';
import { findToxicFlows } from './toxic-flows.js';

const runs = Number(process.env.MANIFOLD_FUZZ_RUNS ?? 100);

/** Text with the characters the rules care about: hidden classes, markers, names of other tools. */
const nastyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('a', ' ', '_', '\u200B', '\u202E', '\uFE0F', '\u{E0041}', '\u0000', '<', '|', ':', '.', '\n', 'other__x', 'ignore previous instructions', '~/.ssh', 'https://') })
);

const definition = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      name: fc.oneof(nastyText, fc.jsonValue()),
      description: fc.oneof(nastyText, fc.jsonValue()),
      title: nastyText,
      inputSchema: fc.oneof(fc.jsonValue(), fc.record({ type: fc.constant('object'), properties: fc.dictionary(nastyText, fc.jsonValue()) })),
      outputSchema: fc.jsonValue(),
      annotations: fc.jsonValue()
    },
    { requiredKeys: [] }
  )
);

const severities = new Set<string>(scanSeverities);
const rules = new Set<string>(Object.keys(scanRules));

function assertTyped(finding: unknown): void {
  const value = finding as Record<string, unknown>;
  assert.deepEqual(Object.keys(value).sort(), ['evidence', 'field', 'rule', 'server', 'severity', 'tool']);
  for (const key of ['server', 'tool', 'field', 'evidence']) assert.equal(typeof value[key], 'string', key);
  assert.ok(rules.has(value.rule as string), String(value.rule));
  assert.ok(severities.has(value.severity as string), String(value.severity));
  assert.ok((value.evidence as string).length <= 400, 'evidence is short');
}

describe('scanner: property (fast-check, fixed seeds)', () => {
  it('never throws on any tool definition and returns typed findings', () => {
    fc.assert(
      fc.property(fc.array(definition, { maxLength: 5 }), fc.option(nastyText, { nil: undefined }), (definitions, instructions) => {
        const tools = definitions.map((item, index) => ({ server: index % 2 === 0 ? 'a' : 'b', publicName: `t${index}`, definition: item }));
        const findings = scanServers([
          { name: 'a', tools: tools.filter(tool => tool.server === 'a'), ...(instructions === undefined ? {} : { instructions }) },
          { name: 'other', tools: [{ server: 'other', publicName: 'other__x', definition: { name: 'other_tool' } }] },
          { name: 'b', tools: tools.filter(tool => tool.server === 'b') }
        ]);
        findings.forEach(assertTyped);
        const index = createToolNameIndex([{ name: 'other', tools: [{ server: 'other', publicName: 'other__x', definition: {} }] }]);
        for (const tool of tools) scanTool(tool, index).forEach(assertTyped);
        findToxicFlows('v', tools.map(tool => ({ name: tool.publicName, server: tool.server, annotations: (tool.definition as { annotations?: never } | null)?.annotations }))).forEach(assertTyped);
      }),
      { seed: 1307, numRuns: runs }
    );
  });

  // The timeout guards against backtracking: a pattern quadratic in a run of letters took 30 s on the huge text
  // (a server could stall the load-time check that way); linear, all three take milliseconds.
  it('survives cycles, deep nesting and huge text', { timeout: 10_000 }, () => {
    const cyclic: Record<string, unknown> = { name: 'c', description: 'x' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { description: 'ignore previous instructions' };
    for (let depth = 0; depth < 5000; depth++) deep = { properties: { p: deep } };
    const huge = { name: 'h', description: `${'a'.repeat(2_000_000)} ignore all previous instructions` };
    for (const item of [cyclic, deep, huge]) scanServers([{ name: 's', tools: [{ server: 's', publicName: 's__t', definition: item }] }]).forEach(assertTyped);
  });
});

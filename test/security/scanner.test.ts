/**
 * The scanner end to end (docs/SECURITY.md "Scanner"): `manifold scan --json` against the real malicious fixture
 * servers (test/fixtures/malicious) in both protocol eras, the default servers and server-everything (no high
 * finding), usage errors, and the load-time check of `manifold serve` (withheld tools, the call's error, the log).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { corpus } from '../fixtures/malicious/corpus.js';
import { runCli } from '../helpers/fixtures.js';
import { connectStdio, defaultServers, type Era, repoRoot, tsEntry, writeConfig } from '../helpers/gateway.js';

const maliciousServer = (name: string, era: Era) => ({
  command: process.execPath,
  args: [...tsEntry('test/fixtures/malicious/server.ts'), name],
  cwd: repoRoot,
  protocol: era
});

function corpusConfig(era: Era, security?: Record<string, unknown>): Record<string, unknown> {
  const servers = Object.fromEntries(['poison', 'hidden', 'shadow', 'exfil', 'bank'].map(name => [name, maliciousServer(name, era)]));
  return { servers, store: { path: ':memory:' }, ...(security ? { security } : {}) };
}

interface JsonFinding {
  server: string;
  tool: string;
  rule: string;
  severity: string;
  field: string;
  evidence: string;
}

for (const era of ['legacy', 'modern'] as const) {
  describe(`manifold scan --json on the malicious corpus (${era} era)`, () => {
    it('detects every tool with its expected rule, in the exact JSON shape, and exits 1', async () => {
      await using config = writeConfig(corpusConfig(era));
      const result = await runCli(['scan', '--json', '--config', config.path]);
      assert.equal(result.code, 1, result.stderr);
      const parsed = JSON.parse(result.stdout) as { findings: JsonFinding[] };
      assert.deepEqual(Object.keys(parsed), ['findings']);
      for (const finding of parsed.findings) assert.deepEqual(Object.keys(finding), ['server', 'tool', 'rule', 'severity', 'field', 'evidence']);
      let cases = 0;
      for (const [server, entry] of Object.entries(corpus)) {
        const expectations = [...entry.tools.map(tool => ({ tool: `${server}__${tool.name}`, expect: tool.expect })), ...(entry.instructionsExpect ? [{ tool: '(instructions)', expect: entry.instructionsExpect }] : [])];
        for (const { tool, expect } of expectations) {
          cases++;
          const hit = parsed.findings.find(finding => finding.server === server && finding.tool === tool && finding.rule === expect.rule && finding.field === expect.field);
          assert.ok(hit, `${tool}: expected ${expect.rule} in ${expect.field}; got ${JSON.stringify(parsed.findings.filter(finding => finding.tool === tool))}`);
          if (expect.severity) assert.equal(hit.severity, expect.severity, tool);
        }
      }
      assert.ok(cases >= 30, `${cases} cases`);
      assert.deepEqual(parsed.findings.filter(finding => finding.server === 'bank'), []);
      // The victim's tools, labelled by their annotations, make a toxic flow together with nothing else: fetch_page
      // (untrusted content), read_statement (private data), send_email (public sink).
      assert.ok(parsed.findings.some(finding => finding.rule === 'TF001' && finding.tool === 'default' && finding.severity === 'medium'));
      assert.ok(!JSON.stringify(parsed).match(/[\u{e0000}-\u{e007f}\u202e]/u), 'hidden characters are escaped in the evidence');
    });
  });
}

describe('manifold scan: config and exit codes', () => {
  it('trust, rule overrides and the allowlist apply; no high finding left exits 0', async () => {
    await using config = writeConfig({
      ...corpusConfig('legacy'),
      servers: { poison: { ...maliciousServer('poison', 'legacy'), trust: 'trusted' }, exfil: maliciousServer('exfil', 'legacy') },
      security: { scan: { rules: { W001: 'off' }, allow: [{ server: 'exfil', rule: 'E007' }] } }
    });
    const result = await runCli(['scan', '--json', '--config', config.path]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const findings = (JSON.parse(result.stdout) as { findings: JsonFinding[] }).findings;
    assert.ok(findings.length > 0);
    assert.ok(findings.every(finding => finding.server === 'poison' && finding.severity !== 'high' && finding.rule !== 'W001'), JSON.stringify(findings));
  });

  it('usage errors exit 2', async () => {
    assert.equal((await runCli(['scan', 'extra'])).code, 2);
    assert.equal((await runCli(['scan', '--bogus'])).code, 2);
  });

  it('prints a readable table by default', async () => {
    await using config = writeConfig({ servers: { shadow: maliciousServer('shadow', 'legacy'), bank: maliciousServer('bank', 'legacy') }, store: { path: ':memory:' } });
    const result = await runCli(['scan', '--config', config.path]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^SEVERITY\s+RULE\s+SERVER\s+TOOL\s+FIELD\s+EVIDENCE/);
    assert.match(result.stdout, /high\s+E002\s+shadow\s+shadow__greeting\s+description\s+.*bank__send_email/);
    assert.match(result.stdout, /findings: \d+ high, \d+ medium, \d+ low/);
  });
});

describe('no high finding on the default servers and server-everything', () => {
  it('manifold scan exits 0 with no high finding', async () => {
    const sandbox = mkdtempSync(join(tmpdir(), 'manifold-scan-sandbox-'));
    try {
      await using config = writeConfig({ servers: defaultServers(sandbox), store: { path: ':memory:' } });
      const result = await runCli(['scan', '--json', '--config', config.path], { timeoutMs: 120_000 });
      const findings = (JSON.parse(result.stdout) as { findings: JsonFinding[] }).findings;
      assert.deepEqual(findings.filter(finding => finding.severity === 'high'), []);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /down/);
      const text = await runCli(['scan', '--config', config.path], { timeoutMs: 120_000 });
      // The three servers' tools were all scanned (server-everything alone lists more than ten).
      const scanned = /in (\d+) tools of 3 servers|^SEVERITY/m.exec(text.stdout);
      assert.ok(scanned, text.stdout);
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
  });
});

describe('the load-time check (manifold serve)', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`withholds tools with a high finding by default and tells a call why (${era} client)`, async () => {
      await using config = writeConfig({ servers: { poison: maliciousServer('poison', era), bank: maliciousServer('bank', era) }, store: { path: ':memory:' } });
      await using connected = await connectStdio(config.path, { era });
      const names = (await connected.client.listTools()).tools.map(tool => tool.name);
      assert.ok(names.includes('bank__send_email'), names.join());
      assert.ok(names.includes('poison__html_comment'), 'a tool with only a low finding stays');
      for (const hidden of ['poison__add_numbers', 'poison__enum_value', 'poison__output_schema']) assert.ok(!names.includes(hidden), `${hidden} listed`);
      const call = await connected.client.callTool({ name: 'poison__add_numbers', arguments: { a: 1, b: 2 } }).then(
        result => JSON.stringify(result),
        (error: unknown) => String(error)
      );
      assert.match(call, /withheld: the scanner found E001 high/);
      assert.match(call, /security\.scan\.allow/);
      const stderr = connected.stderr();
      assert.match(stderr, /scanner: server "poison" tool "poison__add_numbers": E001 high/);
      assert.equal(stderr.split('tool "poison__add_numbers"').length - 1, 1, 'logged once');
    });
  }

  // Through `manifold tools` (the same GatewayCore and load-time check), which waits longer than a client's connect.
  const listed = async (security: Record<string, unknown>) => {
    await using config = writeConfig({ servers: { poison: maliciousServer('poison', 'legacy') }, store: { path: ':memory:' }, security });
    const result = await runCli(['tools', '--json', '--log-level', 'warn', '--config', config.path], { timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    return { names: (JSON.parse(result.stdout) as { name: string }[]).map(tool => tool.name), stderr: result.stderr };
  };

  it('onHigh: hide (default) keeps them out of manifold tools too; onHigh: warn lists them, with the warning', async () => {
    const hidden = await listed({});
    assert.ok(!hidden.names.includes('poison__add_numbers') && hidden.names.includes('poison__html_comment'), hidden.names.join());
    const warned = await listed({ scan: { onHigh: 'warn' } });
    assert.ok(warned.names.includes('poison__add_numbers'));
    assert.match(warned.stderr, /scanner: server "poison" tool "poison__add_numbers": E001 high/);
    assert.doesNotMatch(warned.stderr, /withheld/);
  });

  it('enabled: false scans nothing', async () => {
    const { names, stderr } = await listed({ scan: { enabled: false } });
    assert.ok(names.includes('poison__add_numbers'));
    assert.doesNotMatch(stderr, /scanner:/);
  });
});

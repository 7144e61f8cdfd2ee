/**
 * Redaction cost (docs/PERFORMANCE.md "Redaction"): the default redactor over typical tool results, per call and
 * per KiB (ns/byte). `npm run bench:redaction`.
 */
import { defaultRedactor } from '../src/redaction/index.js';

const prose =
  'The gateway merges many MCP servers into one endpoint. Each server keeps its own session; results pass through unchanged ' +
  'unless configured otherwise. See https://example.com/docs/guide for details, version 2.4.0, build 20261207. ';
const text = (bytes: number) => prose.repeat(Math.ceil(bytes / prose.length)).slice(0, bytes);

function listing(entries: number): unknown {
  return {
    content: [{ type: 'text', text: `${entries} files` }],
    structuredContent: {
      files: Array.from({ length: entries }, (_, index) => ({
        path: `/home/user/project/src/module-${index}/file-${index}.ts`,
        size: 1000 + index * 37,
        modified: `2026-12-0${(index % 9) + 1}T10:00:00Z`,
        sha: (index * 2654435761).toString(16).padStart(40, '0').slice(0, 40),
        id: `b3c1e2d4-0f5a-4c6b-9d7e-${String(index).padStart(12, '0')}`
      }))
    }
  };
}

const secrets = `config: AKIA${'Q3EXAMPLE7KEYZZZ'} mail alice@example.com db postgres://app:pw@db:5432/x `;
const cases: Array<{ name: string; value: unknown }> = [
  { name: 'text result, 1 KiB of prose', value: { content: [{ type: 'text', text: text(1024) }] } },
  { name: 'text result, 16 KiB of prose', value: { content: [{ type: 'text', text: text(16 * 1024) }] } },
  { name: 'structured result, 100 entries (~17 KiB JSON)', value: listing(100) },
  {
    name: 'text result with 4 secrets, 1 KiB',
    value: { content: [{ type: 'text', text: (secrets + text(1024)).slice(0, 1024) }] }
  },
  {
    name: 'image result, 64 KiB base64 (skipped)',
    value: { content: [{ type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgo'.repeat(6000) }] }
  }
];

for (const { name, value } of cases) {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  for (let index = 0; index < 200; index++) defaultRedactor.redactValue(value);
  const rounds = Math.max(50, Math.round(20_000_000 / bytes));
  const started = process.hrtime.bigint();
  for (let index = 0; index < rounds; index++) defaultRedactor.redactValue(value);
  const ns = Number(process.hrtime.bigint() - started) / rounds;
  console.log(
    `${name.padEnd(48)} ${String(bytes).padStart(7)} B  ${(ns / 1000).toFixed(1).padStart(8)} µs/call  ${(ns / bytes).toFixed(2).padStart(6)} ns/byte  ${(((ns / bytes) * 1024) / 1000).toFixed(1).padStart(6)} µs/KiB`
  );
}

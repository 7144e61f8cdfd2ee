import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { main } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/gateway.js';

const fixture = join(repoRoot, 'test/fixtures/retrieval');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: text => (out += text + '\n'), err: text => (err += text + '\n') });
  return { code, out, err };
}

describe('manifold eval retrieval', () => {
  it('prints the figures computed by hand for the fixture (5 queries over 4 tools)', async () => {
    const { code, out } = await run([
      'eval',
      'retrieval',
      '--tools',
      join(fixture, 'tools.jsonl'),
      '--queries',
      join(fixture, 'queries.jsonl'),
      '--json'
    ]);
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.deepEqual(Object.keys(report), [
      'hit@1',
      'recall@5',
      'recall@10',
      'complete@10',
      'ndcg@10',
      'mrr@10',
      'latency_ms',
      'build_ms',
      'tools',
      'queries'
    ]);
    // q1 t3@1, q2 t2@1, q3 gold t1 not retrieved, q4 t2@2, q5 gold {t1, t3}: t1@2, t3 not retrieved.
    assert.equal(report['hit@1'], 40); // q1, q2
    assert.equal(report['recall@5'], 70); // (1 + 1 + 0 + 1 + 0.5) / 5
    assert.equal(report['recall@10'], 70);
    assert.equal(report['complete@10'], 60); // q1, q2, q4
    assert.equal(report['ndcg@10'], 60.36); // (1 + 1 + 0 + 1/log2 3 + (1/log2 3) / (1 + 1/log2 3)) / 5 = 0.603557
    assert.equal(report['mrr@10'], 60); // (1 + 1 + 0 + 1/2 + 1/2) / 5
    assert.equal(report.tools, 4);
    assert.equal(report.queries, 5);
    assert.equal(typeof report.latency_ms.p50, 'number');
    assert.ok(report.latency_ms.p99 >= report.latency_ms.p50);
    assert.equal(typeof report.build_ms, 'number');
  });

  it('with --limit 1 only the first result counts', async () => {
    const { out } = await run([
      'eval',
      'retrieval',
      '--tools',
      join(fixture, 'tools.jsonl'),
      '--queries',
      join(fixture, 'queries.jsonl'),
      '--limit',
      '1',
      '--json'
    ]);
    const report = JSON.parse(out);
    assert.equal(report['hit@1'], 40);
    assert.equal(report['recall@10'], 40);
    assert.equal(report['mrr@10'], 40);
  });

  it('prints a table without --json', async () => {
    const { code, out } = await run([
      'eval',
      'retrieval',
      '--tools',
      join(fixture, 'tools.jsonl'),
      '--queries',
      join(fixture, 'queries.jsonl')
    ]);
    assert.equal(code, 0);
    assert.match(out, /nDCG@10\s+60\.4/);
    assert.match(out, /4 tools, 5 queries/);
  });

  it('--ranker bm25 runs the plain reference: no stemming or synonyms, where the default search has both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-eval-'));
    try {
      // "remove notes" shares no plain token with delete_note ("remove" ≠ "delete", "notes" ≠ "note").
      writeFileSync(
        join(dir, 'queries.jsonl'),
        '{"id": "a", "query": "send an email", "gold": ["t3"]}\n{"id": "b", "query": "remove notes", "gold": ["t2"]}\n'
      );
      const args = ['eval', 'retrieval', '--tools', join(fixture, 'tools.jsonl'), '--queries', join(dir, 'queries.jsonl')];
      const plain = await run([...args, '--ranker', 'bm25', '--json']);
      assert.equal(plain.code, 0);
      assert.equal(JSON.parse(plain.out)['hit@1'], 50);
      assert.equal(JSON.parse(plain.out)['recall@10'], 50);
      const ours = await run([...args, '--json']);
      assert.equal(JSON.parse(ours.out)['hit@1'], 100);
      const table = await run([...args, '--ranker', 'bm25']);
      assert.match(table.out, /retrieval \(plain BM25\): 4 tools, 2 queries/);
      const bad = await run([...args, '--ranker', 'bm26']);
      assert.equal(bad.code, 2); // bad usage (docs/CLI.md; exit 1 before issue 9)
      assert.match(bad.err, /--ranker is "manifold" \(the default\) or "bm25", got "bm26"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the line of a query whose gold tool is not in the set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-eval-'));
    try {
      writeFileSync(
        join(dir, 'queries.jsonl'),
        '{"id": "a", "query": "x", "gold": ["t1"]}\n{"id": "b", "query": "y", "gold": ["nope"]}\n'
      );
      const { code, err } = await run([
        'eval',
        'retrieval',
        '--tools',
        join(fixture, 'tools.jsonl'),
        '--queries',
        join(dir, 'queries.jsonl')
      ]);
      assert.equal(code, 1);
      assert.match(err, /line 2: gold tool "nope" is not in the tool set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for both files', async () => {
    const { code, err } = await run(['eval', 'retrieval', '--tools', join(fixture, 'tools.jsonl')]);
    assert.equal(code, 2); // bad usage (docs/CLI.md; exit 1 before issue 9)
    assert.match(err, /needs --tools <tools.jsonl> and --queries <queries.jsonl>/);
  });
});

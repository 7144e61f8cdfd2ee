/**
 * Synonym audit: `node --import tsx bench/discovery/synonym-audit.ts [--metatool <dir>] [--details] [--json]`.
 *
 * For every group of src/discovery/synonyms.ts, over every evaluation set in bench/discovery/ (each folder's
 * tools.jsonl with its dev.jsonl and test.jsonl, or its queries.jsonl) and MetaTool when `--metatool` names
 * its folder, it reports:
 *  - fires: the queries the group expands (a query term is one of the group's single-word members, stemmed);
 *  - as written: the queries that contain one of the group's members word for word (unstemmed; phrases too);
 *  - effect: the set's nDCG@10 with the current table minus without this one group, in points, and how many
 *    queries it helped or hurt.
 * A group that only pays off on development queries, or that contains a query's own words, is a sign it was
 * fitted to the queries; docs/DISCOVERY.md says what was removed on that evidence. Measures only.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  createSynonymTable,
  type EvalQuery,
  parseEvalQueries,
  parseEvalTools,
  readJsonLines,
  splitWords,
  synonymGroups,
  type SynonymTable,
  tokenize,
  ToolIndex,
  toSearchableTools
} from '../../src/discovery/index.js';
import { formatTable } from '../lib/table.js';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({
  options: { metatool: { type: 'string' }, details: { type: 'boolean' }, json: { type: 'boolean' } }
});
const out = (text: string) => process.stdout.write(text + '\n');

interface AuditSet {
  label: string;
  index: (table: SynonymTable) => ToolIndex;
  idOf: Map<string, string>;
  queries: EvalQuery[];
}

/** One set: a tool file and one query file, searched exactly as `manifold eval retrieval` does. */
function loadSet(label: string, dir: string, queryFile: string): AuditSet {
  const tools = parseEvalTools(readJsonLines(join(dir, 'tools.jsonl')));
  const queries = parseEvalQueries(readJsonLines(join(dir, queryFile)), new Set(tools.map(tool => tool.id)));
  const { tools: searchable, idOf } = toSearchableTools(tools);
  return {
    label,
    queries,
    idOf,
    index: table => {
      const index = new ToolIndex({ synonyms: table });
      index.sync(searchable);
      return index;
    }
  };
}

const sets: AuditSet[] = [];
const benchDir = join(repoRoot, 'bench/discovery');
for (const entry of readdirSync(benchDir, { withFileTypes: true })) {
  const dir = join(benchDir, entry.name);
  if (!entry.isDirectory() || !existsSync(join(dir, 'tools.jsonl'))) continue;
  const halves = ['dev.jsonl', 'test.jsonl'].filter(file => existsSync(join(dir, file)));
  if (halves.length > 0)
    for (const half of halves) sets.push(loadSet(`${entry.name}/${half.replace('.jsonl', '')}`, dir, half));
  else sets.push(loadSet(entry.name, dir, 'queries.jsonl'));
}
if (values.metatool) sets.push(loadSet('metatool', values.metatool, 'queries.jsonl'));

function ndcg10(ranked: readonly string[], gold: readonly string[]): number {
  const relevant = new Set(gold);
  let dcg = 0;
  ranked.slice(0, 10).forEach((id, rank) => {
    if (relevant.has(id)) dcg += 1 / Math.log2(rank + 2);
  });
  let ideal = 0;
  for (let rank = 0; rank < Math.min(relevant.size, 10); rank++) ideal += 1 / Math.log2(rank + 2);
  return dcg / ideal;
}

/** True when `phrase`'s words occur in `words` one after another. */
function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0) return false;
  for (let start = 0; start + phrase.length <= words.length; start++)
    if (phrase.every((word, offset) => words[start + offset] === word)) return true;
  return false;
}

interface QueryHit {
  set: string;
  id: string;
  query: string;
  /** The query words that fired the group (stemmed); empty when it only appears as written. */
  fired: string[];
  /** Members of the group that occur in the query word for word. */
  asWritten: string[];
  /** nDCG@10 with the group minus without it (0 when the group does not fire). */
  delta: number;
}

const fullTable = createSynonymTable(synonymGroups);
const withAll = new Map(sets.map(set => [set.label, set.index(fullTable)]));
const rankOf = (set: AuditSet, index: ToolIndex, query: string) =>
  index.search(query, { limit: 10 }).map(match => set.idOf.get(match.tool.name) ?? match.tool.name);

const report = synonymGroups.map((group, position) => {
  const own = createSynonymTable([group]);
  const members = group.split('|').map(member => splitWords(member));
  const without = createSynonymTable(synonymGroups.filter((_, other) => other !== position));
  const hits: QueryHit[] = [];
  for (const set of sets) {
    let reduced: ToolIndex | undefined;
    for (const query of set.queries) {
      const fired = [...new Set(tokenize(query.query).filter(term => own.has(term)))];
      const words = splitWords(query.query);
      const asWritten = members.filter(member => containsPhrase(words, member)).map(member => member.join(' '));
      if (fired.length === 0 && asWritten.length === 0) continue;
      let delta = 0;
      if (fired.length > 0) {
        reduced ??= set.index(without);
        delta =
          ndcg10(rankOf(set, withAll.get(set.label)!, query.query), query.gold) -
          ndcg10(rankOf(set, reduced, query.query), query.gold);
      }
      hits.push({ set: set.label, id: query.id, query: query.query, fired, asWritten, delta });
    }
  }
  return { group, hits };
});

if (values.json) {
  out(JSON.stringify(report, null, 2));
} else {
  const setLabels = sets.map(set => set.label);
  out(`## Synonym groups against ${setLabels.join(', ')}\n`);
  out(
    'fires: queries the group expands; as written: queries containing a member word for word; ' +
      "nDCG change: the set's nDCG@10 with the group minus without it, in points, and how many queries it " +
      'helped/hurt.\n'
  );
  const perSet = (hits: QueryHit[], pick: (hit: QueryHit) => boolean) =>
    setLabels
      .map(label => [label, hits.filter(hit => hit.set === label && pick(hit)).length] as const)
      .filter(([, count]) => count > 0)
      .map(([label, count]) => `${label} ${count}`)
      .join(', ');
  out(
    formatTable(
      ['#', 'group', 'fires on', 'as written in', 'nDCG change (helped/hurt)'],
      report.map(({ group, hits }, position) => {
        const fired = hits.filter(hit => hit.fired.length > 0);
        const change = setLabels
          .map(label => {
            const inSet = fired.filter(hit => hit.set === label && Math.abs(hit.delta) > 1e-9);
            if (inSet.length === 0) return '';
            // The change of the whole set's nDCG@10, in points: the summed per-query change over its size.
            const size = sets.find(set => set.label === label)!.queries.length;
            const change = (100 * inSet.reduce((total, hit) => total + hit.delta, 0)) / size;
            const helped = inSet.filter(hit => hit.delta > 0).length;
            return `${label} ${change >= 0 ? '+' : ''}${change.toFixed(2)} (${helped}/${inSet.length - helped})`;
          })
          .filter(Boolean)
          .join(', ');
        return [
          String(position + 1),
          group,
          perSet(hits, hit => hit.fired.length > 0) || '—',
          perSet(hits, hit => hit.asWritten.length > 0) || '—',
          change || '—'
        ];
      })
    )
  );
  const silent = report.filter(({ hits }) => !hits.some(hit => hit.fired.length > 0));
  out(`\n${silent.length} of ${report.length} groups fire on no query.`);
  if (values.details) {
    for (const { group, hits } of report) {
      if (hits.length === 0) continue;
      out(`\n### ${group}\n`);
      for (const hit of hits) {
        const delta = hit.fired.length > 0 ? ` nDCG ${hit.delta >= 0 ? '+' : ''}${(100 * hit.delta).toFixed(1)}` : '';
        const written = hit.asWritten.length > 0 ? ` as written: ${hit.asWritten.join(', ')};` : '';
        out(`- ${hit.set} ${hit.id} "${hit.query}": fires on ${hit.fired.join(', ') || '—'};${written}${delta}`);
      }
    }
  }
}

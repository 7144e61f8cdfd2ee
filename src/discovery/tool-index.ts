import { type FieldOptions, type QueryTerm, SearchIndex } from './search-index.js';
import { defaultSynonyms, type SynonymTable } from './synonyms.js';
import { type SearchableTool, type ToolField, toolFieldText } from './tool-document.js';
import { isStopWord, splitWords, tokenize } from './tokenize.js';

/** The indexed fields: a tool's text fields, and `exact`, the unstemmed words of its name, title, description and parameters. */
export type IndexField = ToolField | 'exact';

/**
 * Field weights and length normalisation. Names and tags are short and chosen with care, so a match there
 * says most; descriptions are the bulk of the evidence and are fully length-normalised (real MCP
 * descriptions run from four words to usage guides with JSON examples; a long one should not win by
 * containing more words); a server's name counts as much as a description word (a query that names the
 * server prefers its tools); parameter text adds context. `exact` rewards the very word form the query used
 * (`files` over `file`), which stemming otherwise forgets. Chosen on the development sets; figures and
 * ablations in docs/DISCOVERY.md.
 */
export const defaultFields: Record<IndexField, FieldOptions> = {
  name: { weight: 3, b: 0.3 },
  title: { weight: 2, b: 0.3 },
  description: { weight: 1, b: 0.75 },
  parameters: { weight: 0.5, b: 0.75 },
  server: { weight: 1, b: 0.5 },
  tags: { weight: 2, b: 0.3 },
  exact: { weight: 0.5, b: 0.5 }
};

export interface ToolIndexOptions {
  fields?: Record<IndexField, FieldOptions>;
  k1?: number;
  /** Synonym and abbreviation table; `false` turns expansion off. */
  synonyms?: SynonymTable | false;
  /** How much a synonym's occurrence counts relative to the word's own (default 1: as the word itself). */
  synonymWeight?: number;
  /** How much an indexed term that extends an unknown query word counts (`crypto` → `cryptocurrency`); 0 turns it off. */
  prefixWeight?: number;
  /** Weight of the query's unstemmed words against the `exact` field; 0 turns it off. */
  exactWeight?: number;
}

export interface ToolSearchOptions {
  /** How many results (default 10). */
  limit?: number;
  /** Only tools of this server. */
  server?: string;
  /** Only tools this accepts. */
  accept?: (tool: SearchableTool) => boolean;
}

export interface ToolMatch {
  tool: SearchableTool;
  score: number;
}

interface Entry {
  tool: SearchableTool;
  key: string;
}

/**
 * The tool search: BM25F over each tool's fields, with identifier splitting, stop words, Porter stemming
 * and synonym expansion of the query. Kept in step with a changing catalog by `sync`/`syncServer`, which
 * re-index only tools whose indexed text changed.
 */
export class ToolIndex {
  private readonly index: SearchIndex<IndexField>;
  private readonly entries = new Map<string, Entry>();
  /** Lowercase public and own names → public names, for queries that name a tool. */
  private readonly byIdentifier = new Map<string, Set<string>>();
  private changes = 0;
  private readonly synonyms: SynonymTable | false;
  private readonly synonymWeight: number;
  private readonly prefixWeight: number;
  private readonly exactWeight: number;

  constructor(options: ToolIndexOptions = {}) {
    this.index = new SearchIndex<IndexField>({ fields: options.fields ?? defaultFields, k1: options.k1 ?? 1.5 });
    this.synonyms = options.synonyms ?? defaultSynonyms;
    this.synonymWeight = options.synonymWeight ?? 1;
    this.prefixWeight = options.prefixWeight ?? 0.3;
    this.exactWeight = options.exactWeight ?? 0.5;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Grows whenever a tool is indexed, re-indexed or removed (lets derived indexes skip unchanged states). */
  get revision(): number {
    return this.changes;
  }

  get(name: string): SearchableTool | undefined {
    return this.entries.get(name)?.tool;
  }

  tools(): SearchableTool[] {
    return [...this.entries.values()].map(entry => entry.tool);
  }

  /** Adds or replaces one tool. Returns whether the index changed. */
  upsert(tool: SearchableTool): boolean {
    const fields = toolFieldText(tool);
    const key = JSON.stringify(fields);
    const existing = this.entries.get(tool.name);
    if (existing?.key === key) {
      existing.tool = tool;
      return false;
    }
    if (existing) this.indexIdentifiers(existing.tool, -1);
    this.indexIdentifiers(tool, 1);
    this.entries.set(tool.name, { tool, key });
    this.changes++;
    const terms = tokenizeFields(fields);
    this.index.add(tool.name, terms);
    return true;
  }

  remove(name: string): boolean {
    const existing = this.entries.get(name);
    if (!existing) return false;
    this.entries.delete(name);
    this.indexIdentifiers(existing.tool, -1);
    this.changes++;
    this.index.remove(name);
    return true;
  }

  /** Makes the index hold exactly these tools. Returns how many were (re)indexed or removed. */
  sync(tools: readonly SearchableTool[]): number {
    return this.syncWhere(tools, () => true);
  }

  /** Makes the index hold exactly these tools for one server, leaving other servers' tools alone. */
  syncServer(server: string, tools: readonly SearchableTool[]): number {
    return this.syncWhere(tools, tool => tool.server === server);
  }

  private syncWhere(tools: readonly SearchableTool[], owned: (tool: SearchableTool) => boolean): number {
    let changed = 0;
    const keep = new Set(tools.map(tool => tool.name));
    for (const entry of [...this.entries.values()]) {
      if (owned(entry.tool) && !keep.has(entry.tool.name) && this.remove(entry.tool.name)) changed++;
    }
    for (const tool of tools) if (this.upsert(tool)) changed++;
    return changed;
  }

  /**
   * The query's terms: each of its own words once (weighted by how often it occurs), carrying as
   * alternatives its synonyms and, for a word of four letters or more that no tool contains, the indexed
   * terms it begins (`crypto` → `cryptocurrency`). An alternative counts as an occurrence of the word,
   * scaled by its factor, so a synonym match saturates with the word instead of adding a second score.
   */
  queryTerms(query: string): QueryTerm[] {
    const counts = new Map<string, number>();
    for (const term of tokenize(query)) counts.set(term, (counts.get(term) ?? 0) + 1);
    const terms: QueryTerm[] = [...counts].map(([term, weight]) => {
      const alternatives: Array<{ term: string; factor: number }> = [];
      const add = (word: string, factor: number) => {
        if (!counts.has(word) && !alternatives.some(known => known.term === word))
          alternatives.push({ term: word, factor });
      };
      if (this.synonyms) {
        for (const alternative of this.synonyms.get(term) ?? []) {
          // A phrase spreads its factor over its words.
          for (const word of alternative) add(word, this.synonymWeight / alternative.length);
        }
      }
      // Only words the catalog does not know: a known word already matches exactly, and widening it adds noise.
      if (
        this.prefixWeight > 0 &&
        term.length >= 4 &&
        /^[a-z]+$/.test(term) &&
        this.index.documentFrequency(term) === 0
      ) {
        for (const indexed of this.index.termsWithPrefix(term)) add(indexed, this.prefixWeight);
      }
      return alternatives.length > 0 ? { term, weight, alternatives } : { term, weight };
    });
    if (this.exactWeight > 0) {
      const exact = new Map<string, number>();
      for (const word of exactWords(query)) exact.set(word, (exact.get(word) ?? 0) + this.exactWeight);
      for (const [term, weight] of exact) terms.push({ term, weight });
    }
    return terms;
  }

  search(query: string, options: ToolSearchOptions = {}): ToolMatch[] {
    const limit = options.limit ?? 10;
    const { server, accept } = options;
    const terms = this.queryTerms(query);
    const filter =
      server === undefined && accept === undefined
        ? undefined
        : (name: string) => {
            const tool = this.entries.get(name)?.tool;
            return (
              tool !== undefined &&
              (server === undefined || tool.server === server) &&
              (accept === undefined || accept(tool))
            );
          };
    const hits = this.index.search(terms, { limit, ...(filter ? { accept: filter } : {}) });
    const matches: ToolMatch[] = [];
    for (const hit of hits) {
      const tool = this.entries.get(hit.id)?.tool;
      if (tool) matches.push({ tool, score: hit.score });
    }
    return this.namedFirst(query, matches, limit, filter);
  }

  /**
   * A query that spells a tool's name (`read_text_file`, `github__create_issue`, `getForecast`) means that
   * tool: it goes first, whatever the words around it scored.
   */
  private namedFirst(
    query: string,
    matches: ToolMatch[],
    limit: number,
    filter: ((name: string) => boolean) | undefined
  ): ToolMatch[] {
    const named: SearchableTool[] = [];
    for (const token of query.match(/[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]/g) ?? []) {
      // Only identifiers: a plain word ("search") is left to the ranking.
      if (!/[_.-]|[a-z][A-Z]/.test(token)) continue;
      for (const name of this.byIdentifier.get(token.toLowerCase()) ?? []) {
        const tool = this.entries.get(name)?.tool;
        if (tool && (!filter || filter(name)) && !named.includes(tool)) named.push(tool);
      }
    }
    if (named.length === 0) return matches;
    const top = (matches[0]?.score ?? 0) + 1;
    const rest = matches.filter(match => !named.includes(match.tool));
    return [...named.map(tool => ({ tool, score: top })), ...rest].slice(0, limit);
  }

  private indexIdentifiers(tool: SearchableTool, delta: 1 | -1): void {
    for (const identifier of new Set([tool.name, tool.originalName ?? tool.name].map(name => name.toLowerCase()))) {
      const names = this.byIdentifier.get(identifier) ?? new Set<string>();
      if (delta > 0) names.add(tool.name);
      else names.delete(tool.name);
      if (names.size > 0) this.byIdentifier.set(identifier, names);
      else this.byIdentifier.delete(identifier);
    }
  }
}

/** Unstemmed words without stop words, marked so that they never meet a stem: `=files`. */
function exactWords(text: string): string[] {
  return splitWords(text)
    .filter(word => !isStopWord(word))
    .map(word => `=${word}`);
}

function tokenizeFields(fields: Record<ToolField, string>): Record<IndexField, string[]> {
  return {
    exact: [fields.name, fields.title, fields.description, fields.parameters].flatMap(exactWords),
    name: tokenize(fields.name),
    title: tokenize(fields.title),
    description: tokenize(fields.description),
    parameters: tokenize(fields.parameters),
    server: tokenize(fields.server),
    tags: tokenize(fields.tags)
  };
}

/** How one field of a document counts in BM25F. */
export interface FieldOptions {
  /** How much a match in this field is worth relative to the others. */
  weight: number;
  /** Length normalisation (BM25 `b`): 0 ignores the field's length, 1 normalises fully. */
  b: number;
}

export interface SearchIndexOptions<Field extends string> {
  fields: Record<Field, FieldOptions>;
  /** Term-frequency saturation (BM25 `k1`). */
  k1?: number;
}

/**
 * A query term with its weight (1 for the user's own words). `alternatives` (synonyms, prefix extensions)
 * count as occurrences of the term itself, each scaled by its factor: one term frequency, one saturation,
 * and the document frequency of the whole group (as Lucene's SynonymQuery does).
 */
export interface QueryTerm {
  term: string;
  weight: number;
  alternatives?: ReadonlyArray<{ term: string; factor: number }>;
}

export interface ScoredId {
  id: string;
  score: number;
}

interface StoredDocument {
  id: string;
  lengths: number[];
  terms: string[];
}

/**
 * An inverted index scored with BM25F (Robertson et al.): a term's frequencies in each field are
 * length-normalised per field, weighted and summed before saturation, so a word found in both the name and
 * the description counts once, strongly, rather than twice. Documents can be added and removed one at a
 * time; averages are kept as running sums, so an update costs only the changed document.
 */
export class SearchIndex<Field extends string> {
  private readonly fieldNames: Field[];
  private readonly weights: number[];
  private readonly bs: number[];
  private readonly k1: number;
  private readonly postings = new Map<string, Map<number, number[]>>();
  private readonly documents: Array<StoredDocument | undefined> = [];
  private readonly numbers = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly totalLengths: number[];
  /** Every term, sorted, for prefix look-ups; rebuilt on demand after the vocabulary changes. */
  private sortedTerms: string[] | undefined;

  constructor(options: SearchIndexOptions<Field>) {
    this.fieldNames = Object.keys(options.fields) as Field[];
    this.weights = this.fieldNames.map(field => options.fields[field].weight);
    this.bs = this.fieldNames.map(field => options.fields[field].b);
    this.k1 = options.k1 ?? 1.2;
    this.totalLengths = this.fieldNames.map(() => 0);
  }

  /** Number of documents. */
  get size(): number {
    return this.numbers.size;
  }

  has(id: string): boolean {
    return this.numbers.has(id);
  }

  /** How many documents contain the term (in any field). */
  documentFrequency(term: string): number {
    return this.postings.get(term)?.size ?? 0;
  }

  /** Every indexed term. */
  terms(): IterableIterator<string> {
    return this.postings.keys();
  }

  /** Indexed terms that start with `prefix` (binary search over the sorted vocabulary). */
  termsWithPrefix(prefix: string): string[] {
    this.sortedTerms ??= [...this.postings.keys()].sort();
    const sorted = this.sortedTerms;
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((sorted[middle] as string) < prefix) low = middle + 1;
      else high = middle;
    }
    const found: string[] = [];
    for (let index = low; index < sorted.length && (sorted[index] as string).startsWith(prefix); index++)
      found.push(sorted[index] as string);
    return found;
  }

  /** Adds a document (replacing one with the same id) from its terms per field. */
  add(id: string, fields: Partial<Record<Field, readonly string[]>>): void {
    if (this.numbers.has(id)) this.remove(id);
    const number = this.free.pop() ?? this.documents.length;
    const lengths = this.fieldNames.map(() => 0);
    const unique = new Set<string>();
    this.fieldNames.forEach((field, fieldIndex) => {
      const terms = fields[field] ?? [];
      lengths[fieldIndex] = terms.length;
      this.totalLengths[fieldIndex] = (this.totalLengths[fieldIndex] ?? 0) + terms.length;
      for (const term of terms) {
        let posting = this.postings.get(term);
        if (!posting) {
          posting = new Map();
          this.postings.set(term, posting);
          this.sortedTerms = undefined;
        }
        let frequencies = posting.get(number);
        if (!frequencies) {
          frequencies = this.fieldNames.map(() => 0);
          posting.set(number, frequencies);
        }
        frequencies[fieldIndex] = (frequencies[fieldIndex] ?? 0) + 1;
        unique.add(term);
      }
    });
    this.documents[number] = { id, lengths, terms: [...unique] };
    this.numbers.set(id, number);
  }

  /** Removes a document; unknown ids are ignored. */
  remove(id: string): void {
    const number = this.numbers.get(id);
    if (number === undefined) return;
    const document = this.documents[number];
    if (document) {
      for (const term of document.terms) {
        const posting = this.postings.get(term);
        posting?.delete(number);
        if (posting?.size === 0) {
          this.postings.delete(term);
          this.sortedTerms = undefined;
        }
      }
      document.lengths.forEach((length, fieldIndex) => {
        this.totalLengths[fieldIndex] = (this.totalLengths[fieldIndex] ?? 0) - length;
      });
    }
    this.documents[number] = undefined;
    this.numbers.delete(id);
    this.free.push(number);
  }

  /**
   * Scores every document that shares a term with the query and returns the best `limit`, highest first
   * (ties by id, so results are stable). `accept` restricts the candidates (a view's slice, one server).
   */
  search(query: readonly QueryTerm[], options: { limit: number; accept?: (id: string) => boolean }): ScoredId[] {
    const count = this.numbers.size;
    if (count === 0 || options.limit <= 0) return [];
    const averages = this.totalLengths.map(total => Math.max(total / count, 1e-9));
    const scores = new Float64Array(this.documents.length);
    const touched: number[] = [];
    const fieldCount = this.fieldNames.length;
    const fieldTf = (number: number, frequencies: readonly number[]): number => {
      const document = this.documents[number];
      if (!document) return 0;
      let tf = 0;
      for (let field = 0; field < fieldCount; field++) {
        const frequency = frequencies[field] ?? 0;
        if (frequency === 0) continue;
        const b = this.bs[field] ?? 0;
        const norm = 1 - b + (b * (document.lengths[field] ?? 0)) / (averages[field] ?? 1);
        tf += ((this.weights[field] ?? 0) * frequency) / norm;
      }
      return tf;
    };
    for (const { term, weight, alternatives } of query) {
      if (!alternatives || alternatives.length === 0) {
        // One term: score its posting directly (the common case, and the hot loop on large catalogs).
        const posting = this.postings.get(term);
        if (!posting) continue;
        const idf = Math.log(1 + (count - posting.size + 0.5) / (posting.size + 0.5));
        for (const [number, frequencies] of posting) {
          const tf = fieldTf(number, frequencies);
          if (tf === 0) continue;
          if (scores[number] === 0) touched.push(number);
          scores[number] = (scores[number] ?? 0) + (weight * idf * tf) / (this.k1 + tf);
        }
        continue;
      }
      const members = [{ term, factor: 1 }, ...alternatives];
      const tfs = new Map<number, number>();
      for (const member of members) {
        const posting = this.postings.get(member.term);
        if (!posting) continue;
        for (const [number, frequencies] of posting) {
          const tf = fieldTf(number, frequencies) * member.factor;
          if (tf > 0) tfs.set(number, (tfs.get(number) ?? 0) + tf);
        }
      }
      if (tfs.size === 0) continue;
      const df = tfs.size;
      const idf = Math.log(1 + (count - df + 0.5) / (df + 0.5));
      for (const [number, tf] of tfs) {
        if (scores[number] === 0) touched.push(number);
        scores[number] = (scores[number] ?? 0) + (weight * idf * tf) / (this.k1 + tf);
      }
    }
    // Top k without building an object per candidate: most fall below the current k-th score at once.
    const best: ScoredId[] = [];
    const limit = options.limit;
    for (const number of touched) {
      const score = scores[number] ?? 0;
      const last = best[best.length - 1];
      if (best.length >= limit && last && score < last.score) continue;
      const id = this.documents[number]?.id;
      if (id === undefined || (options.accept && !options.accept(id))) continue;
      insertBounded(best, { id, score }, limit);
    }
    return best;
  }
}

/** Higher score first, then id, so that rankings are stable. */
function compareScored(a: ScoredId, b: ScoredId): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The `limit` best by score (ties by id), without sorting everything when the list is long. */
export function topK(items: ScoredId[], limit: number): ScoredId[] {
  if (items.length <= limit * 4) return items.sort(compareScored).slice(0, limit);
  // Keep a small sorted buffer; most items fall below its last entry and cost one comparison.
  const best: ScoredId[] = [];
  for (const item of items) insertBounded(best, item, limit);
  return best;
}

/** Puts `item` in its place in `best` (sorted, at most `limit` long), or leaves it out if it ranks below all. */
function insertBounded(best: ScoredId[], item: ScoredId, limit: number): void {
  const last = best[best.length - 1];
  if (best.length >= limit && last && compareScored(item, last) >= 0) return;
  let index = best.length;
  while (index > 0 && compareScored(item, best[index - 1] as ScoredId) < 0) index--;
  best.splice(index, 0, item);
  if (best.length > limit) best.pop();
}

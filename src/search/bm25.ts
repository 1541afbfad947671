// An in-process BM25F index over titles and abstracts, with the shared tokenizer (text.ts). It can rank the
// whole corpus or rerank candidates (e.g. the rows a Postgres full-text query matched).
//
// BM25F (Robertson, Zaragoza & Taylor 2004): each field's term frequency is normalised by that field's length,
//   tf'(t, d) = Σ_f w_f · tf_f(t, d) / (1 - b + b · len_f(d) / avglen_f),
// the fields are summed with weights w_f, and the sum is saturated once:
//   score(q, d) = Σ_{t in q} idf(t) · tf' / (k1 + tf'),   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))  (Lucene's,
// never negative). tf' is precomputed per posting, so a query costs one multiply-add per matching posting.
import { tokenize } from './text.ts';

export interface Bm25Doc {
  id: string;
  title?: string;
  abstract?: string;
}

export interface Bm25Options {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation, 0..1 (default 0.75). */
  b?: number;
  /** Field weights (defaults title 2, abstract 1); 0 leaves a field out of the index. */
  titleWeight?: number;
  abstractWeight?: number;
}

export interface ScoredDoc {
  id: string;
  score: number;
}

interface Postings {
  docs: Int32Array; // ascending doc numbers
  tf: Float32Array; // BM25F pseudo-frequency tf'
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  private readonly ids: string[];
  private readonly docNumber: Map<string, number>;
  private readonly postings: Map<string, Postings>;
  private readonly scores: Float64Array;

  private constructor(ids: string[], postings: Map<string, Postings>, k1: number, b: number) {
    this.ids = ids;
    this.size = ids.length;
    this.docNumber = new Map(ids.map((id, i) => [id, i]));
    this.postings = postings;
    this.k1 = k1;
    this.b = b;
    this.scores = new Float64Array(ids.length);
  }

  /** Builds the index; documents are tokenised here. Later duplicates of an id are rejected. */
  static build(docs: readonly Bm25Doc[], options: Bm25Options = {}): Bm25Index {
    const wTitle = options.titleWeight ?? 2;
    const wAbstract = options.abstractWeight ?? 1;
    return Bm25Index.fromTokens(
      docs.map((d) => ({
        id: d.id,
        fields: [wTitle > 0 ? tokenize(d.title ?? '') : [], wAbstract > 0 ? tokenize(d.abstract ?? '') : []],
      })),
      [wTitle, wAbstract],
      options,
    );
  }

  /** Builds the index from pre-tokenised fields (stems), with one weight per field. */
  static fromTokens(
    docs: readonly { id: string; fields: readonly (readonly string[])[] }[],
    fieldWeights: readonly number[],
    options: Pick<Bm25Options, 'k1' | 'b'> = {},
  ): Bm25Index {
    const k1 = options.k1 ?? 1.2;
    const b = options.b ?? 0.75;
    if (!(k1 >= 0) || !(b >= 0 && b <= 1)) throw new RangeError(`bm25: bad parameters k1=${k1} b=${b}`);
    const nFields = fieldWeights.length;
    const seen = new Set<string>();
    const avg = new Float64Array(nFields);
    for (const d of docs) {
      if (seen.has(d.id)) throw new Error(`bm25: duplicate document id ${d.id}`);
      seen.add(d.id);
      for (let f = 0; f < nFields; f++) avg[f] += d.fields[f]?.length ?? 0;
    }
    for (let f = 0; f < nFields; f++) avg[f] = docs.length > 0 ? avg[f] / docs.length || 1 : 1;

    // Pass 1: per term, postings as growable JS arrays.
    const lists = new Map<string, { docs: number[]; tf: number[] }>();
    const local = new Map<string, number>();
    docs.forEach((d, n) => {
      local.clear();
      for (let f = 0; f < nFields; f++) {
        const tokens = d.fields[f] ?? [];
        if (fieldWeights[f] <= 0 || tokens.length === 0) continue;
        const unit = fieldWeights[f] / (1 - b + (b * tokens.length) / avg[f]);
        for (const t of tokens) local.set(t, (local.get(t) ?? 0) + unit);
      }
      for (const [t, tf] of local) {
        let l = lists.get(t);
        if (!l) lists.set(t, (l = { docs: [], tf: [] }));
        l.docs.push(n);
        l.tf.push(tf);
      }
    });
    const postings = new Map<string, Postings>();
    for (const [t, l] of lists) postings.set(t, { docs: Int32Array.from(l.docs), tf: Float32Array.from(l.tf) });
    return new Bm25Index(
      docs.map((d) => d.id),
      postings,
      k1,
      b,
    );
  }

  /** Lucene's BM25 idf of a stem (0 when unknown). */
  idf(term: string): number {
    const p = this.postings.get(term);
    if (!p) return 0;
    const df = p.docs.length;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** The best k documents for a query text, best first (ties: earlier-built document first). */
  search(query: string, k = 10): ScoredDoc[] {
    return this.searchTerms(tokenize(query), k);
  }

  /** As `search`, for query stems (repeats count once). */
  searchTerms(terms: readonly string[], k = 10): ScoredDoc[] {
    const scores = this.scores;
    const touched: number[] = [];
    for (const t of new Set(terms)) {
      const p = this.postings.get(t);
      if (!p) continue;
      const idf = this.idf(t);
      const { docs, tf } = p;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        if (scores[d] === 0) touched.push(d);
        scores[d] += (idf * tf[i]) / (this.k1 + tf[i]);
      }
    }
    const top = topK(touched, scores, k).map((d) => ({ id: this.ids[d], score: scores[d] }));
    for (const d of touched) scores[d] = 0;
    return top;
  }

  /**
   * Every document matching at least one query stem (repeats count once), unsorted: its document number (the
   * position it was built at), its score and how many distinct query stems it contains.
   */
  matchAll(terms: readonly string[]): { docs: Int32Array; scores: Float64Array; matched: Uint8Array } {
    const scores = this.scores;
    const touched: number[] = [];
    const unique = [...new Set(terms)];
    const counts = unique.length > 1 ? new Uint8Array(this.size) : null;
    for (const t of unique) {
      const p = this.postings.get(t);
      if (!p) continue;
      const idf = this.idf(t);
      const { docs, tf } = p;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        if (scores[d] === 0) touched.push(d);
        scores[d] += (idf * tf[i]) / (this.k1 + tf[i]);
        if (counts && counts[d] < 255) counts[d]++;
      }
    }
    const n = touched.length;
    const out = { docs: Int32Array.from(touched), scores: new Float64Array(n), matched: new Uint8Array(n) };
    for (let i = 0; i < n; i++) {
      const d = touched[i];
      out.scores[i] = scores[d];
      out.matched[i] = counts ? counts[d] : 1;
      scores[d] = 0;
    }
    return out;
  }

  private scoreDoc(d: number, terms: ReadonlySet<string>): number {
    let s = 0;
    for (const t of terms) {
      const p = this.postings.get(t);
      if (!p) continue;
      const i = lowerBound(p.docs, d);
      if (i < p.docs.length && p.docs[i] === d) s += (this.idf(t) * p.tf[i]) / (this.k1 + p.tf[i]);
    }
    return s;
  }

  /**
   * Scores given candidates (ids not in the index are dropped), best first; candidates that match no query
   * stem are kept with score 0 at the end, in their given order.
   */
  rerank(query: string | readonly string[], candidateIds: readonly string[]): ScoredDoc[] {
    const terms = new Set(typeof query === 'string' ? tokenize(query) : query);
    const out: { id: string; score: number; order: number }[] = [];
    candidateIds.forEach((id, order) => {
      const d = this.docNumber.get(id);
      if (d !== undefined) out.push({ id, score: this.scoreDoc(d, terms), order });
    });
    out.sort((x, y) => y.score - x.score || x.order - y.order);
    return out.map(({ id, score }) => ({ id, score }));
  }

  has(id: string): boolean {
    return this.docNumber.has(id);
  }
}

function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indices of the k largest scores among `candidates`, best first; ties by smaller index. */
export function topK(candidates: ArrayLike<number>, scores: ArrayLike<number>, k: number): number[] {
  if (k <= 0) return [];
  // A min-heap of size k on (score, -index).
  const heap: number[] = [];
  const worse = (x: number, y: number) => scores[x] < scores[y] || (scores[x] === scores[y] && x > y);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let c = 0; c < candidates.length; c++) {
    const d = candidates[c];
    if (heap.length < k) {
      heap.push(d);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (worse(heap[0], d)) {
      heap[0] = d;
      siftDown(0);
    }
  }
  return heap.sort((x, y) => (worse(x, y) ? 1 : worse(y, x) ? -1 : 0));
}

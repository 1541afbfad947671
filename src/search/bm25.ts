// An in-process BM25F index over titles and abstracts, with the shared tokenizer (text.ts). It can rank the
// whole corpus or rerank candidates (e.g. the rows a Postgres full-text query matched).
//
// BM25F (Robertson, Zaragoza & Taylor 2004): each field's term frequency is normalised by that field's length,
//   tf'(t, d) = Σ_f w_f · tf_f(t, d) / (1 - b + b · len_f(d) / avglen_f),
// the fields are summed with weights w_f, and the sum is saturated once:
//   score(q, d) = Σ_{t in q} idf(t) · tf' / (k1 + tf'),   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))  (Lucene's,
// never negative). tf' / (k1 + tf') is precomputed per posting, so a query costs one multiply-add per matching
// posting; `match` ranks and counts with filters in one pass over typed arrays that are reused between queries.
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
  /** tf' / (k1 + tf'), the saturated BM25F pseudo-frequency: a posting's score is idf times this. */
  sat: Float32Array;
  /** Bit f set when the term occurs in field f (fields past the 8th are not recorded). */
  fields: Uint8Array;
  idf: number;
}

/** What `match` ranks and counts: see there. */
export interface MatchOptions {
  /** A document must hold at least this many of the distinct query terms (at least 1). */
  minMatch: number;
  /** Filters, asked once per document that holds enough terms. */
  accept?: (doc: number) => boolean;
  /** Documents left out (neither counted nor ranked): those the caller places itself. */
  skip?: (doc: number) => boolean;
  /** How many of the best to return, best first (ties: the later-built document first); -1: every match, unordered. */
  k: number;
}

export interface MatchResult {
  /** Documents that hold enough terms and pass the filters. */
  total: number;
  /** Document numbers, best first (or every match, unordered, for k = -1). */
  docs: Int32Array;
  /** Their scores. */
  scores: Float64Array;
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  private readonly ids: string[];
  private readonly docNumber: Map<string, number>;
  private readonly postings: Map<string, Postings>;
  // Per-document scratch of `match`, zero between queries (JavaScript is single-threaded and `match` does not
  // yield): the score, the count of terms seen, and the documents touched.
  private readonly scores: Float64Array;
  private readonly counts: Uint8Array;
  private readonly touched: Int32Array;

  private constructor(ids: string[], postings: Map<string, Postings>, k1: number, b: number) {
    this.ids = ids;
    this.size = ids.length;
    this.docNumber = new Map(ids.map((id, i) => [id, i]));
    this.postings = postings;
    this.k1 = k1;
    this.b = b;
    this.scores = new Float64Array(ids.length);
    this.counts = new Uint8Array(ids.length);
    this.touched = new Int32Array(ids.length);
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

    // Pass 1: per term, postings as growable JS arrays. Per document, each distinct term gets a slot (its
    // pseudo-frequency and fields) through one map lookup per token.
    const lists = new Map<string, { docs: number[]; tf: number[]; fields: number[] }>();
    const local = new Map<string, number>();
    let slotTerm: string[] = [];
    let slotTf = new Float64Array(256);
    let slotFields = new Uint8Array(256);
    docs.forEach((d, n) => {
      local.clear();
      let used = 0;
      for (let f = 0; f < nFields; f++) {
        const tokens = d.fields[f] ?? [];
        if (fieldWeights[f] <= 0 || tokens.length === 0) continue;
        const unit = fieldWeights[f] / (1 - b + (b * tokens.length) / avg[f]);
        const bit = f < 8 ? 1 << f : 0;
        for (const t of tokens) {
          const slot = local.get(t);
          if (slot !== undefined) {
            slotTf[slot] += unit;
            slotFields[slot] |= bit;
            continue;
          }
          if (used === slotTf.length) {
            const tf = new Float64Array(used * 2);
            tf.set(slotTf);
            slotTf = tf;
            const fl = new Uint8Array(used * 2);
            fl.set(slotFields);
            slotFields = fl;
          }
          local.set(t, used);
          slotTerm[used] = t;
          slotTf[used] = unit;
          slotFields[used++] = bit;
        }
      }
      for (let k = 0; k < used; k++) {
        const t = slotTerm[k];
        let l = lists.get(t);
        if (!l) lists.set(t, (l = { docs: [], tf: [], fields: [] }));
        l.docs.push(n);
        l.tf.push(slotTf[k]);
        l.fields.push(slotFields[k]);
      }
    });
    slotTerm = [];
    const N = docs.length;
    const postings = new Map<string, Postings>();
    for (const [t, l] of lists) {
      const df = l.docs.length;
      const sat = new Float32Array(df);
      for (let i = 0; i < df; i++) sat[i] = l.tf[i] / (k1 + l.tf[i]);
      postings.set(t, {
        docs: Int32Array.from(l.docs),
        sat,
        fields: Uint8Array.from(l.fields),
        idf: Math.log(1 + (N - df + 0.5) / (df + 0.5)),
      });
    }
    return new Bm25Index(
      docs.map((d) => d.id),
      postings,
      k1,
      b,
    );
  }

  /** Lucene's BM25 idf of a stem (0 when unknown). */
  idf(term: string): number {
    return this.postings.get(term)?.idf ?? 0;
  }

  /** How many documents hold the stem. */
  df(term: string): number {
    return this.postings.get(term)?.docs.length ?? 0;
  }

  /** The documents that hold the stem (ascending), in any field or, given `field`, in that one. */
  docsWith(term: string, field?: number): Int32Array {
    const p = this.postings.get(term);
    if (!p) return new Int32Array(0);
    if (field === undefined) return p.docs;
    const bit = 1 << field;
    let n = 0;
    for (let i = 0; i < p.fields.length; i++) if (p.fields[i] & bit) n++;
    const out = new Int32Array(n);
    for (let i = 0, j = 0; i < p.fields.length; i++) if (p.fields[i] & bit) out[j++] = p.docs[i];
    return out;
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
      const { docs, sat, idf } = p;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        if (scores[d] === 0) touched.push(d);
        scores[d] += idf * sat[i];
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
    const all = this.match(terms, { minMatch: 1, k: -1 });
    const matched = new Uint8Array(all.docs.length);
    const unique = [...new Set(terms)].map((t) => this.postings.get(t)).filter((p): p is Postings => p !== undefined);
    all.docs.forEach((d, i) => {
      let c = 0;
      for (const p of unique) {
        const j = lowerBound(p.docs, d);
        if (j < p.docs.length && p.docs[j] === d) c++;
      }
      matched[i] = Math.min(c, 255);
    });
    return { docs: all.docs, scores: all.scores, matched };
  }

  /**
   * Ranks and counts in one pass over the query terms' postings (term at a time, into typed arrays reused
   * from query to query, so a query allocates only its answer): the documents holding at least `minMatch`
   * distinct terms that `accept` takes are counted, and the best `k` kept in a heap.
   */
  match(terms: readonly string[], opts: MatchOptions): MatchResult {
    const { scores, counts, touched } = this;
    // (At most 255 terms: the counts are bytes.)
    const unique = [...new Set(terms)].slice(0, 255);
    let nt = 0;
    for (let q = 0; q < unique.length; q++) {
      const p = this.postings.get(unique[q]);
      if (!p) continue;
      const { docs, sat, idf } = p;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        if (counts[d]++ === 0) touched[nt++] = d;
        scores[d] += idf * sat[i];
      }
    }
    const need = Math.max(1, opts.minMatch);
    const { accept, skip } = opts;
    const all = opts.k < 0;
    const k = all ? 0 : Math.min(opts.k, nt);
    // A min-heap of the best k (worst at the root): document numbers and their scores side by side.
    const heapDoc = new Int32Array(all ? nt : k);
    const heapScore = new Float64Array(all ? nt : k);
    let size = 0;
    let total = 0;
    const worse = worseEntry;
    // Touched in ascending document order per term, so the first term's order leads; the tie rule is explicit.
    for (let j = 0; j < nt; j++) {
      const d = touched[j];
      const c = counts[d];
      const s = scores[d];
      counts[d] = 0;
      scores[d] = 0;
      if (c < need) continue;
      if (skip && skip(d)) continue;
      if (accept && !accept(d)) continue;
      total++;
      if (all) {
        heapDoc[size] = d;
        heapScore[size++] = s;
        continue;
      }
      if (k === 0) continue;
      if (size < k) {
        // sift up
        let i = size++;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (!worse(s, d, heapScore[parent], heapDoc[parent])) break;
          heapDoc[i] = heapDoc[parent];
          heapScore[i] = heapScore[parent];
          i = parent;
        }
        heapDoc[i] = d;
        heapScore[i] = s;
      } else if (worse(heapScore[0], heapDoc[0], s, d)) {
        siftDownRoot(heapDoc, heapScore, size, d, s); // replace the root
      }
    }
    if (all) return { total, docs: heapDoc.subarray(0, size), scores: heapScore.subarray(0, size) };
    // Pop the heap from the worst: best first.
    const outDoc = new Int32Array(size);
    const outScore = new Float64Array(size);
    for (let n = size; n > 0; n--) {
      outDoc[n - 1] = heapDoc[0];
      outScore[n - 1] = heapScore[0];
      siftDownRoot(heapDoc, heapScore, n - 1, heapDoc[n - 1], heapScore[n - 1]);
    }
    return { total, docs: outDoc, scores: outScore };
  }

  private scoreDoc(d: number, terms: ReadonlySet<string>): number {
    let s = 0;
    for (const t of terms) {
      const p = this.postings.get(t);
      if (!p) continue;
      const i = lowerBound(p.docs, d);
      if (i < p.docs.length && p.docs[i] === d) s += p.idf * p.sat[i];
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
/** (score, doc) ranks below (score', doc'): lower score, or the same score and a lower doc. */
function worseEntry(s: number, d: number, t: number, e: number): boolean {
  return s < t || (s === t && d < e);
}

/** Puts (d, s) at the root of the min-heap heapDoc/heapScore[0, size) and sifts it down to its place. */
function siftDownRoot(heapDoc: Int32Array, heapScore: Float64Array, size: number, d: number, s: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && worseEntry(heapScore[r], heapDoc[r], heapScore[l], heapDoc[l]) ? r : l;
    if (!worseEntry(heapScore[m], heapDoc[m], s, d)) break;
    heapDoc[i] = heapDoc[m];
    heapScore[i] = heapScore[m];
    i = m;
  }
  heapDoc[i] = d;
  heapScore[i] = s;
}

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

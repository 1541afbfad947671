// The in-process search index: every paper's filter fields, a BM25F index over titles and abstracts, and,
// when a model is active, the model and a matrix of all paper vectors searched by brute force with the SIMD
// kernel (docs/search.md). Built from the database by search.service.ts and rebuilt when the corpus changes.
import { Bm25Index, topK, type Bm25Options } from './bm25.ts';
import { KernelWorkspace } from './kernels.ts';
import { tokenize } from './text.ts';
import type { StaticEmbeddingModel } from './static-model.ts';
import type { CorpusRow } from './search.repository.ts';

export interface IndexedDoc {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  authorKeys: string[];
  categories: string[];
  firstListed: string;
  /** Title lowercased, non-alphanumerics collapsed to one space: for exact-title matches. */
  titleKey: string;
}

export interface ScoredId {
  id: string;
  score: number;
}

/** Lowercase, every run of non-letters/digits to one space, trimmed. */
export function normalizeText(s: string): string {
  return s.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** How keyword search ranks (docs/search.md); the defaults are the product's, measured by npm run eval:search. */
export interface SearchIndexOptions extends Bm25Options {
  /**
   * Added to a paper's BM25 score for each pair of query words that follows each other in its title or abstract
   * (stop words aside), times the pair's mean idf (default 0.4; 0: off).
   */
  pairWeight?: number;
  /** How many of the best BM25 matches the pairs (and the model) re-rank (default 200). */
  pairDepth?: number;
  /**
   * With the built-in model: added to a re-ranked paper's score, times the cosine similarity of the query's
   * vector to the paper's (default 8; 0: off). It counts from queries of SEMANTIC_FROM distinct stems (nothing)
   * to SEMANTIC_FULL (all of it): long, title-like queries gain from it, short ones lose (docs/search.md).
   */
  semanticWeight?: number;
}

/** The product's BM25F: titles and abstracts weigh the same; k1 0.8 (eval:search, docs/search.md). */
export const SEARCH_BM25: Required<Pick<Bm25Options, 'titleWeight' | 'abstractWeight' | 'k1' | 'b'>> = { titleWeight: 1, abstractWeight: 1, k1: 0.8, b: 0.75 };
export const PAIR_WEIGHT = 0.4;
export const PAIR_DEPTH = 200;
export const SEMANTIC_WEIGHT = 8;
export const SEMANTIC_FROM = 3;
export const SEMANTIC_FULL = 6;

/**
 * Numbers for the words of normalizeText (lowercase, NFKC, runs of letters and digits), read straight from the
 * text: an open-addressing table keyed by the word's characters, hashed while scanning, so that the ~13 million
 * words of 57k papers are numbered without a string each (a Map would need one per lookup). ASCII text is
 * scanned as is; other text is normalised first.
 */
export class WordTable {
  private bits = 20;
  private keys: (string | undefined)[] = new Array(1 << 20);
  private hashes = new Int32Array(1 << 20);
  private ids = new Int32Array(1 << 20);
  /** Words by number. */
  readonly list: string[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The number of s[start, end) (lowercase ASCII letters A-Z when `fold`), or -1 / a new one when absent. */
  private find(s: string, start: number, end: number, h: number, fold: boolean, add: boolean): number {
    const len = end - start;
    const mask = (1 << this.bits) - 1;
    let slot = h & mask;
    for (;;) {
      const w = this.keys[slot];
      if (w === undefined) break;
      if (this.hashes[slot] === h && w.length === len) {
        let k = 0;
        if (fold) {
          while (k < len) {
            let c = s.charCodeAt(start + k);
            if (c >= 65 && c <= 90) c |= 32;
            if (c !== w.charCodeAt(k)) break;
            k++;
          }
        } else while (k < len && w.charCodeAt(k) === s.charCodeAt(start + k)) k++;
        if (k === len) return this.ids[slot];
      }
      slot = (slot + 1) & mask;
    }
    if (!add) return -1;
    const word = fold ? s.slice(start, end).toLowerCase() : s.slice(start, end);
    const id = this.list.length;
    this.list.push(word);
    this.keys[slot] = word;
    this.hashes[slot] = h;
    this.ids[slot] = id;
    if (this.list.length * 2 > 1 << this.bits) this.grow();
    return id;
  }

  private grow(): void {
    const old = { keys: this.keys, hashes: this.hashes, ids: this.ids };
    this.bits++;
    const size = 1 << this.bits;
    const mask = size - 1;
    this.keys = new Array(size);
    this.hashes = new Int32Array(size);
    this.ids = new Int32Array(size);
    for (let i = 0; i < old.keys.length; i++) {
      const w = old.keys[i];
      if (w === undefined) continue;
      let slot = old.hashes[i] & mask;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & mask;
      this.keys[slot] = w;
      this.hashes[slot] = old.hashes[i];
      this.ids[slot] = old.ids[i];
    }
  }

  /** Calls `emit` with the number of each word of normalizeText(text), in order, numbering new words. */
  scan(text: string, emit: (id: number) => void): void {
    if (NON_ASCII.test(text)) return this.scanNormalised(normalizeText(text), emit);
    // ASCII: words are runs of letters and digits, lowercased on the fly.
    const s = text;
    const n = s.length;
    let i = 0;
    while (i < n) {
      let c = s.charCodeAt(i);
      while (i < n && !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) c = s.charCodeAt(++i);
      if (i >= n) break;
      const start = i;
      let h = 0x811c9dc5;
      while (i < n && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) {
        h = Math.imul(h ^ (c <= 90 && c >= 65 ? c | 32 : c), 0x01000193);
        c = s.charCodeAt(++i);
      }
      emit(this.find(s, start, i, h, true, true));
    }
  }

  /** As `scan`, for text normalizeText already wrote (words separated by single spaces). */
  private scanNormalised(s: string, emit: (id: number) => void): void {
    const n = s.length;
    let i = 0;
    while (i < n) {
      while (i < n && s.charCodeAt(i) === 32) i++;
      if (i >= n) break;
      const start = i;
      let h = 0x811c9dc5;
      let c = s.charCodeAt(i);
      while (i < n && c !== 32) {
        h = Math.imul(h ^ c, 0x01000193);
        c = s.charCodeAt(++i);
      }
      emit(this.find(s, start, i, h, false, true));
    }
  }

  /** The number of a word as normalizeText writes it (lowercase), or -1. */
  get(word: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    return this.find(word, 0, word.length, h, false, false);
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Stops the worker thread of an index that was dropped without dispose(). */
const workspaces = new FinalizationRegistry<KernelWorkspace>((ws) => ws.dispose());

export class SearchIndex {
  readonly docs: IndexedDoc[];
  readonly row: Map<string, number>;
  readonly bm25: Bm25Index;
  readonly byTitle: Map<string, number[]>;
  readonly pairWeight: number;
  readonly pairDepth: number;
  readonly semanticWeight: number;
  /** Each row's place in the newest-first order (0 = newest). */
  readonly newestRank: Int32Array;
  /** Word numbers of every row: seq[seqStart[i] .. seqAuthors[i]) title and abstract, then its authors' names. */
  private readonly seq: Int32Array;
  private readonly seqStart: Int32Array;
  private readonly seqAuthors: Int32Array;
  /** Normalised words (stop words too) and their numbers. */
  private readonly words = new WordTable();
  /** Each word's stem number (-1 for a stop word or a word without a stem). */
  private readonly wordStem: Int32Array;
  /** The stems of the words, numbered (pair keys). */
  private readonly vocab = new Map<string, number>();
  private readonly pairSeen = new Int32Array(64);
  private pairFirsts: Uint8Array | null = null;
  private pairGeneration = 0;
  /** The trained model (query encoding); null without a model or when an external embedder made the vectors. */
  readonly model: StaticEmbeddingModel | null;
  /** The vectors' dimension (0 without a model). */
  readonly dim: number;
  /** Floats per matrix row: dim rounded up to a multiple of 4 (the SIMD kernel's lanes), zero-padded. */
  private readonly stride: number;
  readonly modelId: number | null;
  readonly modelVersion: string | null;
  private readonly ws: KernelWorkspace | null = null;
  private readonly matrix: Float32Array | null = null;
  private readonly qv: Float32Array | null = null;
  private readonly sims: Float32Array | null = null;
  private readonly nPad: number;
  /** Rows that have a stored vector. */
  private readonly hasVector: Uint8Array;
  private readonly withVectors: Int32Array;

  constructor(
    corpus: readonly CorpusRow[],
    model: {
      model: StaticEmbeddingModel | null;
      /** The vectors' dimension (the model's when omitted). */
      dim?: number;
      id: number;
      version: string;
      vectors: { paper_id: string; vector: Uint8Array }[];
    } | null,
    options: SearchIndexOptions = {},
  ) {
    const titleTokens = corpus.map((r) => tokenize(r.title));
    const abstractTokens = corpus.map((r) => tokenize(r.abstract));
    this.docs = corpus.map((r, i) => ({
      id: r.id,
      title: r.title,
      abstract: r.abstract,
      authors: r.authors,
      authorKeys: r.author_keys,
      categories: r.categories,
      firstListed: r.first_listed,
      titleKey: normalizeText(r.title),
    }));
    this.row = new Map(this.docs.map((d, i) => [d.id, i]));
    this.byTitle = new Map();
    this.docs.forEach((d, i) => {
      const l = this.byTitle.get(d.titleKey);
      if (l) l.push(i);
      else this.byTitle.set(d.titleKey, [i]);
    });
    // Title weight 1 (not bm25.ts's default 2): known-item MRR@10 0.875 vs 0.855 in npm run eval:search.
    const tw = options.titleWeight ?? SEARCH_BM25.titleWeight;
    const aw = options.abstractWeight ?? SEARCH_BM25.abstractWeight;
    this.bm25 = Bm25Index.fromTokens(
      corpus.map((r, i) => ({ id: r.id, fields: [tw > 0 ? titleTokens[i] : [], aw > 0 ? abstractTokens[i] : []] })),
      [tw, aw],
      { k1: options.k1 ?? SEARCH_BM25.k1, b: options.b ?? SEARCH_BM25.b },
    );
    this.pairWeight = options.pairWeight ?? PAIR_WEIGHT;
    this.pairDepth = options.pairDepth ?? PAIR_DEPTH;
    this.semanticWeight = options.semanticWeight ?? SEMANTIC_WEIGHT;
    // Every paper's words in order (title, abstract, then authors; normalizeText's words, stop words kept) as
    // numbers: a phrase is a run of them, and query words side by side are found through each word's stem.
    const n = this.docs.length;
    this.seqStart = new Int32Array(n + 1);
    this.seqAuthors = new Int32Array(n);
    let seq = new Int32Array(1 << 20);
    let at = 0;
    const emit = (id: number) => {
      if (at === seq.length) {
        const grown = new Int32Array(seq.length * 2);
        grown.set(seq);
        seq = grown;
      }
      seq[at++] = id;
    };
    for (let i = 0; i < n; i++) {
      const r = corpus[i];
      this.seqStart[i] = at;
      this.words.scan(r.title, emit);
      this.words.scan(r.abstract, emit);
      this.seqAuthors[i] = at;
      for (const a of r.authors) this.words.scan(a, emit);
    }
    this.seqStart[n] = at;
    this.seq = seq.slice(0, at);
    // Each word's stem (its first, for the rare word the tokenizer splits), numbered.
    this.wordStem = Int32Array.from(this.words.list, (w) => {
      const t = tokenize(w);
      if (t.length === 0) return -1;
      let v = this.vocab.get(t[0]);
      if (v === undefined) this.vocab.set(t[0], (v = this.vocab.size));
      return v;
    });
    // Rows newest first (listing day, then id, both descending): the rank of each row in that order.
    const order = Int32Array.from(this.docs.keys()).sort((a, b) => {
      const x = this.docs[a];
      const y = this.docs[b];
      return x.firstListed < y.firstListed ? 1 : x.firstListed > y.firstListed ? -1 : x.id < y.id ? 1 : x.id > y.id ? -1 : 0;
    });
    this.newestRank = new Int32Array(n);
    order.forEach((row, rank) => (this.newestRank[row] = rank));
    this.nPad = Math.max(4, Math.ceil(n / 4) * 4);
    this.hasVector = new Uint8Array(n);
    this.model = model?.model ?? null;
    this.modelId = model?.id ?? null;
    this.modelVersion = model?.version ?? null;
    this.dim = model ? model.dim ?? model.model?.dim ?? 0 : 0;
    this.stride = Math.ceil(this.dim / 4) * 4;
    if (model && this.dim > 0) {
      const dim = this.dim;
      const stride = this.stride;
      // Two threads: a scan of every paper's vector (similar papers) reads tens of megabytes, and each thread
      // reads half. The worker thread stops with dispose(), or when the index is garbage collected.
      this.ws = new KernelWorkspace({ bytes: 4 * (this.nPad * stride + 2 * stride + 2 * this.nPad) + 1024, threads: 2 });
      workspaces.register(this, this.ws);
      this.matrix = this.ws.f32(this.nPad * stride);
      this.qv = this.ws.f32(2 * stride);
      this.sims = this.ws.f32(2 * this.nPad);
      for (const v of model.vectors) {
        const i = this.row.get(v.paper_id);
        if (i === undefined || v.vector.byteLength !== dim * 4) continue;
        const bytes = v.vector.byteOffset % 4 === 0 ? v.vector : v.vector.slice();
        this.matrix.set(new Float32Array(bytes.buffer, bytes.byteOffset, dim), i * stride);
        this.hasVector[i] = 1;
      }
    }
    const rows: number[] = [];
    this.hasVector.forEach((h, i) => h && rows.push(i));
    this.withVectors = Int32Array.from(rows);
  }

  /** The stem's number in the rows' stem sequences, or -1 when no paper has it. */
  stemId(stem: string): number {
    return this.vocab.get(stem) ?? -1;
  }

  /** The number of a normalised word (normalizeText), or -1 when no paper has it. */
  wordId(word: string): number {
    return this.words.get(word);
  }

  /**
   * Whether the row's words (title, abstract, authors, in that order, as normalizeText splits them) hold `ids`
   * one after the other: a phrase given as word numbers.
   */
  hasWordRun(row: number, ids: ArrayLike<number>): boolean {
    const m = ids.length;
    if (m === 0) return true;
    const seq = this.seq;
    const first = ids[0];
    for (let k = this.seqStart[row], end = this.seqStart[row + 1] - m; k <= end; k++) {
      if (seq[k] !== first) continue;
      let j = 1;
      while (j < m && seq[k + j] === ids[j]) j++;
      if (j === m) return true;
    }
    return false;
  }

  /**
   * The summed weights of the stem pairs the row's title or abstract holds side by side (stop words aside), each
   * pair counted once; `pairs` maps first stem number * stemCount + second stem number to [pair index < 64,
   * weight].
   */
  pairScore(row: number, pairs: ReadonlyMap<number, readonly [number, number]>): number {
    const { seq, wordStem } = this;
    const v = this.vocab.size;
    const gen = ++this.pairGeneration;
    // Stems that begin a pair, marked in a bitmap over the stem numbers (few pairs: set, used, cleared).
    const firsts = (this.pairFirsts ??= new Uint8Array(v));
    for (const key of pairs.keys()) firsts[Math.floor(key / v)] = 1;
    let s = 0;
    let prev = -1;
    for (let k = this.seqStart[row], end = this.seqAuthors[row]; k < end; k++) {
      const stem = wordStem[seq[k]];
      if (stem < 0) continue;
      if (prev >= 0 && firsts[prev] === 1) {
        const hit = pairs.get(prev * v + stem);
        if (hit !== undefined && this.pairSeen[hit[0]] !== gen) {
          this.pairSeen[hit[0]] = gen;
          s += hit[1];
        }
      }
      prev = stem;
    }
    for (const key of pairs.keys()) firsts[Math.floor(key / v)] = 0;
    return s;
  }

  /**
   * Cosine similarity of a query vector (unit length, the model's dimension) to the first `n` rows' vectors;
   * NaN for a row without a vector.
   */
  cosines(q: Float32Array, rows: ArrayLike<number>, n: number): Float64Array {
    const out = new Float64Array(n).fill(NaN);
    const m = this.matrix;
    if (!m || q.length !== this.dim) return out;
    const { dim, stride } = this;
    for (let k = 0; k < n; k++) {
      const i = rows[k];
      if (!this.hasVector[i]) continue;
      let acc = 0;
      for (let d = 0, o = i * stride; d < dim; d++) acc += q[d] * m[o + d];
      out[k] = acc;
    }
    return out;
  }

  /** The number of distinct stems in the rows' sequences (pair keys are first * this + second). */
  get stemCount(): number {
    return this.vocab.size;
  }

  private authorWords: Map<string, number[]> | null = null;

  /** Rows of the papers with an author whose key has the word (built on first use). */
  rowsWithAuthorWord(word: string): readonly number[] {
    if (!this.authorWords) {
      const m = new Map<string, number[]>();
      this.docs.forEach((d, i) => {
        for (const k of d.authorKeys) {
          for (const w of k.split(' ')) {
            const l = m.get(w);
            if (!l) m.set(w, [i]);
            else if (l[l.length - 1] !== i) l.push(i);
          }
        }
      });
      this.authorWords = m;
    }
    return this.authorWords.get(word) ?? [];
  }

  get size(): number {
    return this.docs.length;
  }

  get vectorCount(): number {
    return this.withVectors.length;
  }

  /** Cosine similarity of a query vector (unit length) to every paper with a vector, best `k`. */
  private nearest(q: Float32Array, k: number, exclude = -1): ScoredId[] {
    if (!this.matrix || !this.qv || !this.sims || !this.ws || q.length !== this.dim) return [];
    this.qv.fill(0);
    this.qv.set(q.subarray(0, this.dim));
    this.ws.gemmNT(this.qv, this.matrix, this.sims, 2, this.nPad, this.stride);
    const sims = this.sims;
    if (exclude >= 0) sims[exclude] = -Infinity;
    return topK(this.withVectors, sims, k).map((i) => ({ id: this.docs[i].id, score: sims[i] }));
  }

  /** The papers nearest to a text under the model (empty without a model). */
  semantic(text: string | readonly string[], k: number): ScoredId[] {
    if (!this.model) return [];
    const v = typeof text === 'string' ? this.model.encode(text) : this.model.encodeTokens(text);
    if (!v.some((x) => x !== 0)) return [];
    return this.nearest(v, k);
  }

  /** The papers nearest to a query vector made by the active model's embedder (unit length; empty without vectors). */
  nearestToVector(v: Float32Array, k: number): ScoredId[] {
    if (!v.some((x) => x !== 0)) return [];
    return this.nearest(v, k);
  }

  /** `candidates` ordered by cosine similarity to paper `id` (best first); unknown ones last. */
  rankAmong(id: string, candidates: readonly string[]): string[] {
    const i = this.row.get(id);
    if (i === undefined || !this.matrix || !this.hasVector[i]) return [...candidates];
    const dim = this.dim;
    const m = this.matrix;
    const score = (c: string) => {
      const j = this.row.get(c);
      if (j === undefined || !this.hasVector[j]) return -Infinity;
      let acc = 0;
      for (let d = 0; d < dim; d++) acc += m[i * this.stride + d] * m[j * this.stride + d];
      return acc;
    };
    return candidates.map((c) => ({ c, s: score(c) })).sort((a, b) => b.s - a.s).map((x) => x.c);
  }

  /** Stops the index's worker thread (searches still work, on one thread): when a newer index replaces it. */
  dispose(): void {
    this.ws?.dispose();
  }

  /** The papers nearest to a paper (itself excluded); null when the paper or its vector is unknown. */
  similar(id: string, k: number): ScoredId[] | null {
    const i = this.row.get(id);
    if (i === undefined || !this.matrix || !this.hasVector[i]) return null;
    // The answer depends only on this index: the last SIMILAR_CACHE answers are kept (pages rendered for each
    // member, and the API, ask again for the same papers), the oldest dropped first.
    const key = `${k} ${id}`;
    const hit = this.similarCache.get(key);
    if (hit) {
      this.similarCache.delete(key);
      this.similarCache.set(key, hit);
      return hit.map((r) => ({ ...r }));
    }
    const v = this.matrix.slice(i * this.stride, i * this.stride + this.dim);
    const found = this.nearest(v, k, i).filter((r) => r.id !== id);
    this.similarCache.set(key, found);
    if (this.similarCache.size > SIMILAR_CACHE) this.similarCache.delete(this.similarCache.keys().next().value!);
    return found.map((r) => ({ ...r }));
  }

  private readonly similarCache = new Map<string, ScoredId[]>();
}

/** Similar-papers answers an index keeps. */
const SIMILAR_CACHE = 5000;

/** Case-, accent- and punctuation-insensitive form of a title for suggestions: "Schrödinger's" -> "schrodinger s". */
export function suggestKey(s: string): string {
  return normalizeText(s.normalize('NFKD').replace(/\p{M}+/gu, ''));
}

/** Longest query the suggester reads, and at most this many of its words. */
const SUGGEST_MAX_CHARS = 200;
const SUGGEST_MAX_WORDS = 8;

/**
 * Search-as-you-type over titles (the header search box): every word typed must begin a word of the title (the
 * last one is usually half-typed), in any order. Best first: titles that start with the query, then titles
 * holding the query's words in a row, then the rest; newer papers first within each. In memory: a sorted
 * array of the titles' keys (the "starts with" case is a binary search) and a sorted vocabulary of title
 * words with their rows (a word prefix is a range of it), so a keystroke costs well under a millisecond on
 * 57k papers. Built from a SearchIndex's docs on first use.
 */
export class TitleSuggester {
  /** Per row: " " + its key, so " " + word prefix tests are substring tests. */
  private readonly spaced: string[];
  /** Rows sorted by key. */
  private readonly byKey: Int32Array;
  /** Distinct title words, sorted; the rows of word w are wordRows[wordStart[w] .. wordStart[w + 1]). */
  private readonly words: string[];
  private readonly wordStart: Int32Array;
  private readonly wordRows: Int32Array;
  /** Scratch: the query generation that last marked each row, and which of the query's words it holds. */
  private readonly seen: Int32Array;
  private readonly hits: Uint8Array;
  private generation = 0;
  /** Per row: its listing day as days since 1970 (0 when unreadable). */
  private readonly day: Int32Array;

  constructor(docs: readonly IndexedDoc[]) {
    if (docs.length >= 2 ** 23) throw new RangeError('TitleSuggester: too many papers');
    this.day = Int32Array.from(docs, (d) => Math.max(0, Math.floor(Date.parse(d.firstListed) / 86_400_000)) || 0);
    // An ASCII title's key is its titleKey (normalizeText; NFKD changes nothing there): only the others are folded.
    const keys = docs.map((d) => (NON_ASCII.test(d.title) ? suggestKey(d.title) : d.titleKey || normalizeText(d.title)));
    this.spaced = keys.map((k) => ` ${k}`);
    // Sorted by the engine's own string sort (no comparator): key, a NUL (below every character of a key), row.
    const tagged = keys.map((k, row) => `${k}\u0000${row}`).sort();
    this.byKey = Int32Array.from(tagged, (t) => Number(t.slice(t.lastIndexOf('\u0000') + 1)));
    const postings = new Map<string, number[]>();
    keys.forEach((k, row) => {
      if (!k) return;
      for (const w of k.split(' ')) {
        const l = postings.get(w);
        if (!l) postings.set(w, [row]);
        else if (l[l.length - 1] !== row) l.push(row);
      }
    });
    this.words = [...postings.keys()].sort();
    this.wordStart = new Int32Array(this.words.length + 1);
    let total = 0;
    this.words.forEach((w, i) => {
      this.wordStart[i] = total;
      total += postings.get(w)!.length;
    });
    this.wordStart[this.words.length] = total;
    this.wordRows = new Int32Array(total);
    this.words.forEach((w, i) => this.wordRows.set(postings.get(w)!, this.wordStart[i]));
    this.seen = new Int32Array(docs.length);
    this.hits = new Uint8Array(docs.length);
  }

  /** First index in the sorted `arr` (of length n, read through `at`) whose value is >= x. */
  private static lowerBound(n: number, at: (i: number) => string, x: string): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** [lo, hi) of the sorted entries that start with `prefix`. */
  private static prefixRange(n: number, at: (i: number) => string, prefix: string): [number, number] {
    // Every string starting with the prefix sorts before prefix + U+FFFF (keys hold letters, digits, spaces).
    return [TitleSuggester.lowerBound(n, at, prefix), TitleSuggester.lowerBound(n, at, `${prefix}\uffff`)];
  }

  /** Rows of the best `limit` titles for what was typed, best first. */
  suggest(typed: string, limit = 8): number[] {
    const q = suggestKey(typed.slice(0, SUGGEST_MAX_CHARS));
    if (!q || limit <= 0) return [];
    // Each candidate is one number, higher better: (2 - tier) * 2^40 + listing day * 2^23 + row (rows ascend
    // with ids, so the later row is about the newer paper). The best `limit` are kept sorted, descending.
    const best: number[] = [];
    const day = this.day;
    const offer = (row: number, tier: number) => {
      const v = (2 - tier) * 2 ** 40 + day[row] * 2 ** 23 + row;
      if (best.length === limit && v <= best[limit - 1]) return;
      let i = best.length < limit ? best.length : limit - 1;
      if (best.length < limit) best.push(v);
      while (i > 0 && v > best[i - 1]) {
        best[i] = best[i - 1];
        i--;
      }
      best[i] = v;
    };
    const rows = () => best.map((v) => v % 2 ** 23);

    // Titles that start with the query: one range of the sorted keys.
    const keyAt = (i: number) => this.spaced[this.byKey[i]].slice(1);
    const [klo, khi] = TitleSuggester.prefixRange(this.byKey.length, keyAt, q);
    for (let i = klo; i < khi; i++) offer(this.byKey[i], 0);
    if (best.length === limit) return rows();

    // Otherwise every word must begin a title word. Each word's prefix is a range of the vocabulary; its rows
    // (a row once per word, though several of its title words may share the prefix) set the word's bit in
    // `hits`, starting from the word with the fewest rows: later words only touch rows the first one marked.
    const qWords = [...new Set(q.split(' '))].slice(0, SUGGEST_MAX_WORDS);
    const ranges = qWords
      .map((w) => TitleSuggester.prefixRange(this.words.length, (i) => this.words[i], w))
      .map(([lo, hi]) => ({ from: this.wordStart[lo], to: this.wordStart[hi] }))
      .sort((x, y) => x.to - x.from - (y.to - y.from));
    if (ranges[0].to === ranges[0].from) return rows();
    const gen = ++this.generation;
    const { seen, hits, wordRows } = this;
    for (let p = ranges[0].from; p < ranges[0].to; p++) {
      seen[wordRows[p]] = gen;
      hits[wordRows[p]] = 1;
    }
    for (let k = 1; k < ranges.length; k++) {
      const bit = 1 << k;
      for (let p = ranges[k].from; p < ranges[k].to; p++) {
        const row = wordRows[p];
        if (seen[row] === gen) hits[row] |= bit;
      }
    }
    const all = (1 << ranges.length) - 1;
    const phrase = ` ${q}`;
    const tier1Floor = 2 ** 40; // a tier-1 value is at least this; below the worst kept one, a row cannot enter
    for (let p = ranges[0].from; p < ranges[0].to; p++) {
      const row = wordRows[p];
      if (hits[row] !== all) continue;
      hits[row] = 0; // once per row
      if (best.length === limit && tier1Floor + day[row] * 2 ** 23 + row <= best[limit - 1]) continue;
      const text = this.spaced[row];
      if (text.startsWith(phrase)) continue; // offered above
      // One word: every match holds it "in a row".
      offer(row, qWords.length === 1 || text.includes(phrase) ? 1 : 2);
    }
    return rows();
  }
}

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
  /** The title's stems, space-separated with a space at each end. */
  titleStems: string;
  /** Title + abstract + authors lowercased with collapsed spacing: for phrases and exclusions. */
  haystack: string;
}

export interface ScoredId {
  id: string;
  score: number;
}

/** Lowercase, every run of non-letters/digits to one space, trimmed. */
export function normalizeText(s: string): string {
  return s.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export class SearchIndex {
  readonly docs: IndexedDoc[];
  readonly row: Map<string, number>;
  readonly bm25: Bm25Index;
  readonly byTitle: Map<string, number[]>;
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
    bm25Options: Bm25Options = {},
  ) {
    this.docs = corpus.map((r) => ({
      id: r.id,
      title: r.title,
      abstract: r.abstract,
      authors: r.authors,
      authorKeys: r.author_keys,
      categories: r.categories,
      firstListed: r.first_listed,
      titleKey: normalizeText(r.title),
      titleStems: ` ${tokenize(r.title).join(' ')} `,
      haystack: ` ${normalizeText(`${r.title} ${r.abstract} ${r.authors.join(' ')}`)} `,
    }));
    this.row = new Map(this.docs.map((d, i) => [d.id, i]));
    this.byTitle = new Map();
    this.docs.forEach((d, i) => {
      const l = this.byTitle.get(d.titleKey);
      if (l) l.push(i);
      else this.byTitle.set(d.titleKey, [i]);
    });
    // Title weight 1 (not bm25.ts's default 2): known-item MRR@10 0.875 vs 0.855 in npm run eval:search.
    this.bm25 = Bm25Index.build(this.docs.map((d) => ({ id: d.id, title: d.title, abstract: d.abstract })), { titleWeight: 1, ...bm25Options });
    const n = this.docs.length;
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
      this.ws = new KernelWorkspace({ bytes: 4 * (this.nPad * stride + 2 * stride + 2 * this.nPad) + 1024 });
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

  /** The papers nearest to a paper (itself excluded); null when the paper or its vector is unknown. */
  similar(id: string, k: number): ScoredId[] | null {
    const i = this.row.get(id);
    if (i === undefined || !this.matrix || !this.hasVector[i]) return null;
    const v = this.matrix.slice(i * this.stride, i * this.stride + this.dim);
    return this.nearest(v, k, i).filter((r) => r.id !== id);
  }
}

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
    const keys = docs.map((d) => suggestKey(d.title));
    this.spaced = keys.map((k) => ` ${k}`);
    this.byKey = Int32Array.from(keys.keys()).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    const postings = new Map<string, number[]>();
    keys.forEach((k, row) => {
      if (!k) return;
      for (const w of new Set(k.split(' '))) {
        const l = postings.get(w);
        if (l) l.push(row);
        else postings.set(w, [row]);
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

// Vocabulary and tf-idf weighting shared by the LSA initialisation and the static embedding model.
//
// idf choice: the smoothed idf of scikit-learn's TfidfVectorizer, idf(t) = ln((N + 1) / (df(t) + 1)) + 1.
// It is always >= 1, so a stem that occurs in most documents still counts a little (BM25's idf can reach 0 or go
// negative for such stems, which would erase them from a text's embedding entirely), and it is the weighting the
// recipe in issue 4 measured. Term frequency is damped: w(t, d) = (1 + ln tf(t, d)) * idf(t).
import { tokenize } from './text.ts';

export interface Vocabulary {
  /** Stems, in id order (by descending document frequency, then alphabetically: deterministic). */
  readonly terms: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Document frequency of each term in the corpus it was built from. */
  readonly df: Uint32Array;
  /** Smoothed idf of each term (see the file comment). */
  readonly idf: Float32Array;
  /** Number of documents the vocabulary was built from. */
  readonly nDocs: number;
}

export interface VocabularyOptions {
  /** Keep stems found in at least this many documents (default 2: a stem seen once cannot be learnt). */
  minDf?: number;
  /** Keep at most this many stems, the most frequent ones (default: no cap). */
  maxSize?: number;
}

export function smoothIdf(df: number, nDocs: number): number {
  return Math.log((nDocs + 1) / (df + 1)) + 1;
}

/** Builds a vocabulary from tokenised documents (each document is counted once per distinct stem). */
export function buildVocabulary(docs: Iterable<readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
  const dfMap = new Map<string, number>();
  let nDocs = 0;
  for (const tokens of docs) {
    nDocs++;
    for (const t of new Set(tokens)) dfMap.set(t, (dfMap.get(t) ?? 0) + 1);
  }
  return vocabularyFromCounts([...dfMap.keys()], Uint32Array.from(dfMap.values()), nDocs, options);
}

/**
 * The vocabulary of stems whose document frequencies are known (`df[i]` of `stems[i]`): the ones found in at least
 * minDf documents, by descending frequency then alphabetically, at most maxSize of them.
 */
export function vocabularyFromCounts(
  stems: readonly string[],
  df: ArrayLike<number>,
  nDocs: number,
  options: VocabularyOptions = {},
): Vocabulary {
  const minDf = options.minDf ?? 2;
  const maxSize = options.maxSize ?? Infinity;
  const kept: number[] = [];
  for (let i = 0; i < stems.length; i++) if (df[i] >= minDf) kept.push(i);
  kept.sort((a, b) => df[b] - df[a] || (stems[a] < stems[b] ? -1 : stems[a] > stems[b] ? 1 : 0));
  if (kept.length > maxSize) kept.length = maxSize;
  return vocabularyFrom(
    kept.map((i) => stems[i]),
    Uint32Array.from(kept, (i) => df[i]),
    nDocs,
  );
}

/** Rebuilds a vocabulary from its parts (e.g. when a stored model is loaded). */
export function vocabularyFrom(terms: readonly string[], df: Uint32Array, nDocs: number): Vocabulary {
  if (terms.length !== df.length) throw new Error(`vocabulary: ${terms.length} terms but ${df.length} frequencies`);
  const index = new Map<string, number>();
  terms.forEach((t, i) => index.set(t, i));
  if (index.size !== terms.length) throw new Error('vocabulary: duplicate terms');
  const idf = new Float32Array(terms.length);
  for (let i = 0; i < terms.length; i++) idf[i] = smoothIdf(df[i], nDocs);
  return { terms, index, df, idf, nDocs };
}

/** Vocabulary ids of the stems that are in the vocabulary, in order, repeats kept. */
export function toIds(tokens: readonly string[], vocab: Vocabulary): Int32Array {
  const ids = new Int32Array(tokens.length);
  let n = 0;
  for (const t of tokens) {
    const id = vocab.index.get(t);
    if (id !== undefined) ids[n++] = id;
  }
  return ids.slice(0, n);
}

/** A sparse vector: ascending ids and their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * (1 + ln tf) * idf weights of a sequence of vocabulary ids, ids ascending; L2-normalised when asked.
 * `scratch` (optional) is a zeroed Int32Array of vocabulary size used for counting; it is left zeroed.
 */
export function weighIds(
  ids: ArrayLike<number>,
  vocab: Vocabulary,
  normalize = false,
  scratch?: Int32Array,
): SparseVector {
  const counts = scratch ?? new Int32Array(vocab.terms.length);
  const uniq: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (counts[id]++ === 0) uniq.push(id);
  }
  uniq.sort((a, b) => a - b);
  const indices = Int32Array.from(uniq);
  const values = new Float32Array(uniq.length);
  let norm = 0;
  for (let i = 0; i < uniq.length; i++) {
    const id = uniq[i];
    const w = (1 + Math.log(counts[id])) * vocab.idf[id];
    counts[id] = 0;
    values[i] = w;
    norm += w * w;
  }
  if (normalize && norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < values.length; i++) values[i] *= inv;
  }
  return { indices, values };
}

/** The tf-idf vector of a text (tokenised with the shared tokenizer). */
export function tfidf(text: string, vocab: Vocabulary, normalize = true): SparseVector {
  return weighIds(toIds(tokenize(text), vocab), vocab, normalize);
}

/** Where buildTfidfMatrix takes its arrays from (by default, new ones; e.g. a kernel workspace's). */
export interface TypedArrayAllocator {
  i32(n: number): Int32Array;
  f32(n: number): Float32Array;
}

/** Number of distinct ids in `ids`; `counts` (vocabulary size) is used as scratch and left zeroed. */
function distinctIds(ids: ArrayLike<number>, counts: Int32Array): number {
  let distinct = 0;
  for (let i = 0; i < ids.length; i++) if (counts[ids[i]]++ === 0) distinct++;
  for (let i = 0; i < ids.length; i++) counts[ids[i]] = 0;
  return distinct;
}

/** Entries of the tf-idf matrix of `docs` (its distinct ids, row by row): what buildTfidfMatrix will allocate. */
export function tfidfNonZeros(docs: readonly (ArrayLike<number>)[], vocab: Vocabulary): number {
  const counts = new Int32Array(vocab.terms.length);
  let nnz = 0;
  for (const ids of docs) nnz += distinctIds(ids, counts);
  return nnz;
}

/** Compressed sparse rows: row r's entries are indices/data[indptr[r] .. indptr[r + 1]). */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/** The documents x vocabulary tf-idf matrix, rows L2-normalised (a document with no known stem is a zero row). */
export function buildTfidfMatrix(
  docs: readonly (ArrayLike<number>)[],
  vocab: Vocabulary,
  normalize = true,
  alloc: TypedArrayAllocator = { i32: (n) => new Int32Array(n), f32: (n) => new Float32Array(n) },
): CsrMatrix {
  // Two passes over the documents (count each row's distinct ids, then fill), so that the matrix is built in
  // place, without a vector per document first.
  const counts = new Int32Array(vocab.terms.length);
  const indptr = alloc.i32(docs.length + 1);
  indptr[0] = 0;
  docs.forEach((ids, r) => {
    indptr[r + 1] = indptr[r] + distinctIds(ids, counts);
  });
  const nnz = indptr[docs.length];
  const indices = alloc.i32(nnz);
  const data = alloc.f32(nnz);
  docs.forEach((ids, r) => {
    const row = weighIds(ids, vocab, normalize, counts);
    indices.set(row.indices, indptr[r]);
    data.set(row.values, indptr[r]);
  });
  return { rows: docs.length, cols: vocab.terms.length, indptr, indices, data };
}

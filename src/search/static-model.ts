// The default semantic model: a static token-embedding table that paperpulse trains on its own corpus, in
// process, with no download (issue 4, "The semantic model").
//
// A text's vector is the L2-normalised sum over its distinct stems t of (1 + ln tf) * idf(t) * E[t], E being a
// vocabulary x dim table. E starts from LSA (the right singular vectors of the abstracts' tf-idf matrix, see
// svd.ts, rescaled to a mean row norm of 1) and is then trained contrastively: symmetric InfoNCE with in-batch negatives on (title, abstract)
// and (first half, second half of the abstract) pairs, token dropout, and lazy row-sparse Adam (only the rows
// of the stems in a batch move; each row keeps its own step count for Adam's bias correction).
// Everything is deterministic given the seed: the SVD's random projection, the shuffles and the dropout draw
// from seeded generators, and the float arithmetic does not depend on thread timing.
import { KernelWorkspace } from './kernels.ts';
import { Prng } from './prng.ts';
import { randomizedSvd, svdWorkspaceBytes } from './svd.ts';
import { tokenize } from './text.ts';
import { buildTfidfMatrix, tfidfNonZeros, vocabularyFrom, vocabularyFromCounts, type Vocabulary } from './vocab.ts';

/** Format of the serialised model; a reader refuses another. */
export const STATIC_MODEL_FORMAT = 'paperpulse-static-embedding/1';
const MAGIC = 0x45535050; // "PPSE" little-endian

export interface StaticModelInfo {
  format: string;
  dim: number;
  /** Documents the model was trained on. */
  docs: number;
  seed: number;
  /** The options training ran with (for the record; not needed to encode). */
  training: Record<string, number | string | boolean>;
}

export class StaticEmbeddingModel {
  readonly dim: number;
  /** vocabulary x dim, row-major (a view into the kernel workspace the encoder runs on). */
  readonly embeddings: Float32Array;
  private readonly counts: Int32Array;
  private readonly ws: KernelWorkspace;
  private readonly ids: Int32Array;
  private readonly weights: Float32Array;
  private readonly out: Float32Array;

  constructor(
    readonly vocab: Vocabulary,
    embeddings: Float32Array,
    readonly info: StaticModelInfo,
  ) {
    this.dim = info.dim;
    const V = vocab.terms.length;
    if (embeddings.length !== V * this.dim) {
      throw new Error(`static model: ${embeddings.length} weights for ${V} x ${this.dim}`);
    }
    // The weighted sum of a text's rows runs on the SIMD kernel (several times faster than a JavaScript loop), so
    // the table lives in the kernel workspace; the workspace needs no thread and no disposal.
    this.ws = new KernelWorkspace({ bytes: 4 * (V * this.dim + 2 * V + this.dim) + 64 });
    this.embeddings = this.ws.f32(V * this.dim);
    this.embeddings.set(embeddings);
    this.ids = this.ws.i32(V);
    this.weights = this.ws.f32(V);
    this.out = this.ws.f32(this.dim);
    this.counts = new Int32Array(V);
  }

  /**
   * The vector of a tokenised text (stems from text.ts `tokenize`), L2-normalised; all zeros when no stem is in the
   * vocabulary. Writes into `out` at `offset` when given.
   */
  encodeTokens(tokens: readonly string[], out?: Float32Array, offset = 0): Float32Array {
    const { index } = this.vocab;
    const { counts, ids } = this;
    let n = 0;
    for (const t of tokens) {
      const id = index.get(t);
      if (id !== undefined && counts[id]++ === 0) ids[n++] = id;
    }
    return this.finishEncoding(n, out, offset);
  }

  /**
   * The vector of a text held as numbers (InternedDocs): `toVocab` maps a number to a vocabulary id or -1
   * (vocabularyIdsOf). The same vector as encodeTokens of the text's stems. Several parts (title, abstract) are one
   * text.
   */
  encodeNumbers(parts: readonly Int32Array[], toVocab: Int32Array, out?: Float32Array, offset = 0): Float32Array {
    const { counts, ids } = this;
    let n = 0;
    for (const part of parts) {
      for (let i = 0; i < part.length; i++) {
        const id = toVocab[part[i]];
        if (id >= 0 && counts[id]++ === 0) ids[n++] = id;
      }
    }
    return this.finishEncoding(n, out, offset);
  }

  /** Weighs the n distinct ids counted in `ids`/`counts` (zeroing the counts), sums and normalises. */
  private finishEncoding(n: number, out: Float32Array | undefined, offset: number): Float32Array {
    const dim = this.dim;
    const target = out ?? new Float32Array(dim);
    const { idf } = this.vocab;
    const { counts, ids, weights } = this;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      weights[i] = (1 + Math.log(counts[id])) * idf[id];
      counts[id] = 0;
    }
    const sum = this.out;
    this.ws.embedSum(this.embeddings, dim, ids, weights, 0, n, sum, 0);
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += sum[d] * sum[d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) target[offset + d] = sum[d] * inv;
    return target;
  }

  /** The vector of a text (tokenised here). */
  encode(text: string): Float32Array {
    return this.encodeTokens(tokenize(text));
  }

  /** Vectors of many texts, n x dim row-major. */
  encodeMany(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => this.encodeTokens(tokenize(t), out, i * this.dim));
    return out;
  }

  /**
   * Compact binary form: "PPSE", u32 header length, header JSON (format, info, terms, nDocs), padding to 4 bytes,
   * then document frequencies (u32 x vocabulary) and E (f32 x vocabulary x dim), little-endian.
   */
  serialize(): Buffer {
    const header = Buffer.from(
      JSON.stringify({ format: STATIC_MODEL_FORMAT, info: this.info, nDocs: this.vocab.nDocs, terms: this.vocab.terms }),
      'utf8',
    );
    const headerEnd = 8 + header.length;
    const dataStart = Math.ceil(headerEnd / 4) * 4;
    const V = this.vocab.terms.length;
    const buf = Buffer.alloc(dataStart + V * 4 + this.embeddings.length * 4);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(header.length, 4);
    header.copy(buf, 8);
    for (let i = 0; i < V; i++) buf.writeUInt32LE(this.vocab.df[i], dataStart + i * 4);
    const e = Buffer.from(this.embeddings.buffer, this.embeddings.byteOffset, this.embeddings.byteLength);
    if (littleEndian()) e.copy(buf, dataStart + V * 4);
    else for (let i = 0; i < this.embeddings.length; i++) buf.writeFloatLE(this.embeddings[i], dataStart + V * 4 + i * 4);
    return buf;
  }

  static deserialize(bytes: Uint8Array): StaticEmbeddingModel {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new Error('static model: not a paperpulse model file');
    const headerLength = buf.readUInt32LE(4);
    if (8 + headerLength > buf.length) throw new Error('static model: truncated header');
    const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as {
      format: string;
      info: StaticModelInfo;
      nDocs: number;
      terms: string[];
    };
    if (header.format !== STATIC_MODEL_FORMAT) {
      throw new Error(`static model: format ${header.format}, this version reads ${STATIC_MODEL_FORMAT}`);
    }
    const V = header.terms.length;
    const dim = header.info.dim;
    const dataStart = Math.ceil((8 + headerLength) / 4) * 4;
    if (buf.length !== dataStart + V * 4 + V * dim * 4) throw new Error('static model: truncated or oversized data');
    const df = new Uint32Array(V);
    for (let i = 0; i < V; i++) df[i] = buf.readUInt32LE(dataStart + i * 4);
    const E = new Float32Array(V * dim);
    const eStart = dataStart + V * 4;
    if (littleEndian()) new Uint8Array(E.buffer).set(buf.subarray(eStart, eStart + E.byteLength));
    else for (let i = 0; i < E.length; i++) E[i] = buf.readFloatLE(eStart + i * 4);
    return new StaticEmbeddingModel(vocabularyFrom(header.terms, df, header.nDocs), E, header.info);
  }
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Training

/** A training document as stems (text.ts `tokenize`). */
export interface TokenizedDoc {
  title: readonly string[];
  abstract: readonly string[];
}

export function tokenizeDoc(doc: { title: string; abstract: string }): TokenizedDoc {
  return { title: tokenize(doc.title), abstract: tokenize(doc.abstract) };
}

/**
 * Documents as numbers: every distinct stem is held once in `stems`, and the texts are the numbers of their stems,
 * all in one Int32Array (4 bytes a token instead of an array slot and a string per token, and no object per
 * text). This is how training holds a corpus: 57k papers are about 8 million tokens.
 */
export class InternedDocs {
  /** Stems by number. */
  readonly stems: string[] = [];
  private readonly numbers = new Map<string, number>();
  /**
   * The texts' stem numbers, one after another (document i's title, then its abstract), in blocks of BLOCK
   * numbers: a document never straddles two blocks, so its texts are views of one block, and the corpus grows a
   * block at a time (no copy of everything read so far, no large slack).
   */
  private readonly blocks: Int32Array[] = [];
  /**
   * Positions (block * BLOCK + offset in the block): document i's title is [starts[3i], starts[3i + 1]), its
   * abstract [starts[3i + 1], starts[3i + 2]), in block floor(starts[3i] / BLOCK).
   */
  private starts = new Int32Array(1 << 10);
  private docs = 0;
  /** Next free position. */
  private filled = 0;

  get length(): number {
    return this.docs;
  }

  private view(from: number, to: number): Int32Array {
    const b = Math.floor(from / BLOCK);
    return this.blocks[b].subarray(from - b * BLOCK, to - b * BLOCK);
  }

  title(i: number): Int32Array {
    return this.view(this.starts[3 * i], this.starts[3 * i + 1]);
  }

  abstract(i: number): Int32Array {
    return this.view(this.starts[3 * i + 1], this.starts[3 * i + 2]);
  }

  /** Title and abstract, one after the other. */
  text(i: number): Int32Array {
    return this.view(this.starts[3 * i], this.starts[3 * i + 2]);
  }

  /** Adds a document, tokenised here; returns its index. */
  add(doc: { title: string; abstract: string }): number {
    return this.addTokens(tokenize(doc.title), tokenize(doc.abstract));
  }

  /** Adds a tokenised document; returns its index. */
  addTokens(title: readonly string[], abstract: readonly string[]): number {
    // A text longer than a block (no paper's is) keeps its first BLOCK stems.
    if (title.length + abstract.length > BLOCK) {
      title = title.slice(0, BLOCK);
      abstract = abstract.slice(0, BLOCK - title.length);
    }
    const n = title.length + abstract.length;
    if (3 * this.docs + 3 > this.starts.length) {
      const more = new Int32Array(2 * this.starts.length);
      more.set(this.starts);
      this.starts = more;
    }
    // A new block when this document does not fit in the current one (a block of its own if it is longer).
    const offset = this.filled % BLOCK;
    if (this.blocks.length === 0 || (offset > 0 && offset + n > BLOCK) || (offset === 0 && this.filled > 0)) {
      if (this.blocks.length > 0) this.filled = this.blocks.length * BLOCK;
      this.blocks.push(new Int32Array(BLOCK));
    }
    const at = this.filled;
    this.starts[3 * this.docs] = at;
    this.starts[3 * this.docs + 1] = at + title.length;
    this.starts[3 * this.docs + 2] = at + n;
    const block = this.blocks[this.blocks.length - 1];
    let p = at - (this.blocks.length - 1) * BLOCK;
    for (const part of [title, abstract]) {
      for (const t of part) {
        let num = this.numbers.get(t);
        if (num === undefined) {
          num = this.stems.length;
          this.stems.push(t);
          this.numbers.set(t, num);
        }
        block[p++] = num;
      }
    }
    this.filled = at + n;
    return this.docs++;
  }

  /**
   * Keeps only the stems of `vocab`: every text becomes the vocabulary ids of its stems (the others dropped, in
   * place), and from then on a stem's number is its vocabulary id. Training does this to the documents it is
   * given, so that it holds one copy of the corpus, not two.
   */
  restrictTo(vocab: Vocabulary): void {
    const toVocab = vocabularyIdsOf(this, vocab);
    for (let i = 0; i < this.docs; i++) {
      const b = Math.floor(this.starts[3 * i] / BLOCK);
      const block = this.blocks[b];
      const base = b * BLOCK;
      // Documents only shrink: each one's compacted numbers start where its old ones did or earlier, in its block.
      let out = i > 0 && Math.floor(this.starts[3 * i - 1] / BLOCK) === b ? this.starts[3 * i - 1] - base : this.starts[3 * i] - base;
      for (let part = 0; part < 2; part++) {
        const from = this.starts[3 * i + part] - base;
        const to = this.starts[3 * i + part + 1] - base;
        this.starts[3 * i + part] = base + out;
        for (let p = from; p < to; p++) {
          const id = toVocab[block[p]];
          if (id >= 0) block[out++] = id;
        }
      }
      this.starts[3 * i + 2] = base + out;
    }
    this.stems.length = 0;
    for (const t of vocab.terms) this.stems.push(t);
    this.numbers.clear();
    this.stems.forEach((t, i) => this.numbers.set(t, i));
  }

  static from(docs: readonly TokenizedDoc[]): InternedDocs {
    const interned = new InternedDocs();
    for (const d of docs) interned.addTokens(d.title, d.abstract);
    return interned;
  }
}

/** Stem numbers per block of InternedDocs (4 MB). */
const BLOCK = 1 << 20;


/** For each stem number of `interned`, its id in `vocab`, or -1 when the vocabulary does not hold it. */
export function vocabularyIdsOf(interned: InternedDocs, vocab: Vocabulary): Int32Array {
  return Int32Array.from(interned.stems, (t) => vocab.index.get(t) ?? -1);
}


export interface TrainProgress {
  phase: 'vocabulary' | 'svd' | 'train' | 'done';
  /** 1-based during 'train'. */
  epoch: number;
  epochs: number;
  /** 1-based within the epoch during 'train'. */
  batch: number;
  batches: number;
  /** Mean symmetric InfoNCE loss of the last batch (NaN outside 'train'). */
  loss: number;
  /** Milliseconds since training started. */
  elapsedMs: number;
  /** e.g. the SVD step. */
  detail?: string;
  /** Cumulative milliseconds per training stage (during 'train'): where the time goes. */
  stageMs?: Record<string, number>;
}

export interface TrainOptions {
  /** Embedding dimension (default 256). */
  dim?: number;
  seed?: number;
  epochs?: number;
  batchSize?: number;
  temperature?: number;
  /** Probability of dropping each distinct stem of a text, per batch (default 0.2). */
  tokenDropout?: number;
  learningRate?: number;
  /** Vocabulary: minimum document frequency (default 2) and cap (default none). */
  minDf?: number;
  maxVocab?: number;
  /** 'lsa' (default) or 'random' (ablation). */
  init?: 'lsa' | 'random';
  /**
   * Mean row norm of E after initialisation (default 1). With Adam the scale sets how far the first steps move
   * the LSA geometry: on 20k papers, 1 beat 0.1 and 3 (known-item MRR@10 of the semantic model 0.814 vs 0.787).
   */
  initNorm?: number;
  /**
   * E = V · S^initPower before rescaling (default 0: the right singular vectors, so that a text's initial vector
   * is its LSA coordinates). On 20k papers 0 gave 0.814, 0.5 0.813, -0.5 0.815, 1 (V·S) 0.755.
   */
  initPower?: number;
  svdOversample?: number;
  svdPowerIterations?: number;
  /** Train on (title, abstract) pairs (default true) and (first half, second half) pairs (default true). */
  titlePairs?: boolean;
  halfPairs?: boolean;
  /** 1 or 2 threads for the batch products (default 1). */
  threads?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Checked between batches. */
  signal?: AbortSignal;
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/**
 * Trains the model on `docs` (tokenised documents, or all documents of an InternedDocs; `subset` picks which of
 * those to train on, by index, in that order). An InternedDocs given is restricted to the model's vocabulary
 * (`restrictTo`): its texts can still be encoded with `encodeNumbers`.
 */
export async function trainStaticModel(
  corpus: readonly TokenizedDoc[] | InternedDocs,
  options: TrainOptions = {},
  subset?: Int32Array,
): Promise<StaticEmbeddingModel> {
  const t0 = performance.now();
  const dim = options.dim ?? 256;
  const seed = options.seed ?? 42;
  const epochs = options.epochs ?? 12;
  const batchSize = options.batchSize ?? 1024;
  const temperature = options.temperature ?? 0.05;
  const dropout = options.tokenDropout ?? 0.2;
  const lr = options.learningRate ?? 1e-2;
  const init = options.init ?? 'lsa';
  const initNorm = options.initNorm ?? 1;
  const initPower = options.initPower ?? 0;
  const titlePairs = options.titlePairs ?? true;
  const halfPairs = options.halfPairs ?? true;
  if (!(dim >= 32 && dim % 32 === 0)) throw new RangeError('dim must be a positive multiple of 32');
  const progress = (p: Partial<TrainProgress> & { phase: TrainProgress['phase'] }) =>
    options.onProgress?.({ epoch: 0, epochs, batch: 0, batches: 0, loss: NaN, elapsedMs: performance.now() - t0, ...p });

  progress({ phase: 'vocabulary' });
  const interned = corpus instanceof InternedDocs ? corpus : InternedDocs.from(corpus);
  const docIndex = subset ?? Int32Array.from({ length: interned.length }, (_, i) => i);
  // Document frequencies over the training documents (a stem counted once per document: `seen` holds the last
  // document that counted it).
  const dfOf = new Uint32Array(interned.stems.length);
  const seen = new Int32Array(interned.stems.length).fill(-1);
  for (let k = 0; k < docIndex.length; k++) {
    {
      const text = interned.text(docIndex[k]);
      for (let i = 0; i < text.length; i++) {
        if (seen[text[i]] !== k) {
          seen[text[i]] = k;
          dfOf[text[i]]++;
        }
      }
    }
  }
  const vocab = vocabularyFromCounts(interned.stems, dfOf, docIndex.length, { minDf: options.minDf ?? 2, maxSize: options.maxVocab });
  const V = vocab.terms.length;
  if (V === 0) throw new Error('static model: the corpus has no stem in two documents or more');
  interned.restrictTo(vocab);
  const titleIds = Array.from(docIndex, (d) => interned.title(d));
  const abstractIds = Array.from(docIndex, (d) => interned.abstract(d));

  // --- pairs: code = doc * 2 + kind (0 = title/abstract, 1 = halves of the abstract)
  const pairCodes: number[] = [];
  for (let i = 0; i < docIndex.length; i++) {
    if (titlePairs && titleIds[i].length > 0 && abstractIds[i].length > 0) pairCodes.push(i * 2);
    if (halfPairs && abstractIds[i].length >= 8) pairCodes.push(i * 2 + 1);
  }
  const pairs = Int32Array.from(pairCodes);
  const info: StaticModelInfo = {
    format: STATIC_MODEL_FORMAT,
    dim,
    docs: docIndex.length,
    seed,
    training: {
      epochs, batchSize, temperature, tokenDropout: dropout, learningRate: lr, init, initNorm, initPower,
      titlePairs, halfPairs, pairs: pairs.length, minDf: options.minDf ?? 2, maxVocab: options.maxVocab ?? 0,
    },
  };
  const training = pairs.length >= 2 && epochs > 0;

  // --- the training state's size: it all lives in one kernel workspace (see kernels.ts)
  const b = Math.min(batchSize, pairs.length);
  const nBatches = Math.ceil(pairs.length / b);
  const bp = Math.ceil(b / 4) * 4; // batch size padded for the SIMD products
  // A text has at most as many distinct ids as tokens, so one side of a batch holds at most the sum of the b
  // longest texts' lengths.
  const lengths = titleIds.map((t, i) => Math.max(t.length, abstractIds[i].length)).sort((x, y) => y - x);
  const maxText = Math.max(1, lengths[0] ?? 1);
  let tokenCapacity = 1;
  for (let i = 0; i < Math.min(b, lengths.length); i++) tokenCapacity += lengths[i];
  const trainBytes = training ? 4 * (4 * V * dim + 6 * bp * dim + 2 * bp * bp + 2 * tokenCapacity * 2 + 3 * V + 4 * dim + 3 * (bp + 2) + 6 * bp) + 64 * 16 : 0;

  // --- initialisation. The SVD runs in the workspace that training then reuses, so their work arrays are never
  // held at the same time (on the corpus: about 200 MB for the SVD, 150 MB for training).
  const rng = new Prng(seed);
  const svdOptions = {
    rank: dim,
    oversample: options.svdOversample ?? 16,
    powerIterations: options.svdPowerIterations ?? 1,
    seed: seed ^ 0x5eed,
    onProgress: (detail: string) => progress({ phase: 'svd', detail }),
  };
  // E first, at the bottom of the workspace; above it the abstracts' tf-idf matrix and the SVD's work (the SVD
  // writes V straight into E), then, once they are released, the training state.
  const eBytes = 4 * V * dim + 64;
  const lsa = init === 'lsa';
  const shape = { rows: abstractIds.length, cols: V, nnz: lsa ? tfidfNonZeros(abstractIds, vocab) : 0 };
  const matrixBytes = lsa ? 4 * (shape.rows + 1 + 2 * shape.nnz) + 64 : 0;
  const ws = new KernelWorkspace({
    bytes: eBytes + Math.max(trainBytes - eBytes, lsa ? matrixBytes + svdWorkspaceBytes(shape, svdOptions, true) : 0, 64),
    threads: options.threads ?? 1,
  });
  try {
    const E = ws.f32(V * dim);
    if (lsa) {
      progress({ phase: 'svd' });
      const mark = ws.mark();
      const A = buildTfidfMatrix(abstractIds, vocab, true, ws);
      const svd = randomizedSvd(A, { ...svdOptions, workspace: ws, vTarget: { data: E, stride: dim } });
      ws.release(mark);
      const k = svd.rank; // may be < dim on a tiny corpus: the remaining columns start at zero
      if (initPower !== 0) {
        for (let t = 0; t < V; t++) for (let c = 0; c < k; c++) E[t * dim + c] *= Math.pow(svd.s[c], initPower);
      }
    } else {
      for (let i = 0; i < E.length; i++) E[i] = rng.gaussian();
    }
    let normSum = 0;
    for (let t = 0; t < V; t++) {
      let n = 0;
      for (let d = 0; d < dim; d++) n += E[t * dim + d] ** 2;
      normSum += Math.sqrt(n);
    }
    if (normSum > 0) {
      const scale = initNorm / (normSum / V);
      for (let i = 0; i < E.length; i++) E[i] *= scale;
    }
    if (!training) {
      progress({ phase: 'done' });
      return new StaticEmbeddingModel(vocab, E, info);
    }

    const Ew = E;
    const grad = ws.f32(V * dim);
    const m1 = ws.f32(V * dim);
    const m2 = ws.f32(V * dim);
    const Xa = ws.f32(bp * dim);
    const Xb = ws.f32(bp * dim);
    const XaT = ws.f32(bp * dim);
    const XbT = ws.f32(bp * dim);
    const dXa = ws.f32(bp * dim);
    const dXb = ws.f32(bp * dim);
    const S = ws.f32(bp * bp); // similarities, then dL/dS
    const ST = ws.f32(bp * bp); // (dL/dS)ᵀ
    const sides = [0, 1].map(() => ({
      ids: ws.i32(tokenCapacity),
      weights: ws.f32(tokenCapacity),
      start: ws.i32(bp + 1),
      norms: new Float64Array(bp),
    }));
    const touchedRows = ws.i32(V);
    const adamCoef = ws.f32(2 * V);
    const steps = new Int32Array(V);
    const touchedMark = new Uint8Array(V);
    const counts = new Int32Array(V);
    const uniq = new Int32Array(maxText);
    const rowExp = ws.f64(bp);
    const colSum = ws.f64(bp);
    const colHalf = ws.f64(bp); // the column sums over the second half of the rows
    const invTau = 1 / temperature;

    const textOf = (code: number, side: number): Int32Array => {
      const doc = code >> 1;
      const abs = abstractIds[doc];
      if ((code & 1) === 0) return side === 0 ? titleIds[doc] : abs;
      const mid = abs.length >> 1;
      return side === 0 ? abs.subarray(0, mid) : abs.subarray(mid);
    };

    /** Distinct ids of each text after dropout, their weights, and the normalised sums into X. */
    const forward = (codes: Int32Array, side: number, X: Float32Array): void => {
      const { ids, weights, start, norms } = sides[side];
      const rows = codes.length;
      let n = 0;
      for (let r = 0; r < rows; r++) {
        const text = textOf(codes[r], side);
        let u = 0;
        for (let i = 0; i < text.length; i++) if (counts[text[i]]++ === 0) uniq[u++] = text[i];
        const first = n;
        for (let i = 0; i < u; i++) {
          const id = uniq[i];
          if (rng.float() >= dropout) {
            ids[n] = id;
            weights[n++] = (1 + Math.log(counts[id])) * vocab.idf[id];
          }
        }
        if (n === first) {
          const id = uniq[rng.int(u)]; // dropout never empties a text
          ids[n] = id;
          weights[n++] = (1 + Math.log(counts[id])) * vocab.idf[id];
        }
        for (let i = 0; i < u; i++) counts[uniq[i]] = 0;
        start[r + 1] = n;
      }
      ws.embedRows(Ew, dim, ids, weights, start, rows, X);
      for (let r = 0; r < rows; r++) {
        const xo = r * dim;
        let norm = 0;
        for (let d = 0; d < dim; d++) norm += X[xo + d] * X[xo + d];
        norm = Math.sqrt(norm);
        norms[r] = norm;
        const inv = norm > 0 ? 1 / norm : 0;
        for (let d = 0; d < dim; d++) X[xo + d] *= inv;
      }
      X.fill(0, rows * dim); // padding rows
    };

    /** Backward through the normalisation and the weighted sum: grad[t] += w · (g - x (x·g)) / ||u||. */
    let nTouched = 0;
    const backward = (side: number, X: Float32Array, dX: Float32Array, rows: number): void => {
      const { ids, weights, start, norms } = sides[side];
      // dX becomes each text's gradient (g - x (x·g)) / ||u|| in place (zero for a zero vector, whose rows are not
      // touched); then one scatter for the batch.
      for (let r = 0; r < rows; r++) {
        const xo = r * dim;
        const n = norms[r];
        if (n === 0) {
          dX.fill(0, xo, xo + dim);
          continue;
        }
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += X[xo + d] * dX[xo + d];
        for (let d = 0; d < dim; d++) dX[xo + d] = (dX[xo + d] - X[xo + d] * dot) / n;
      }
      ws.scatterRows(grad, dim, ids, weights, start, rows, dX);
      for (let r = 0; r < rows; r++) {
        if (norms[r] === 0) continue;
        for (let p = start[r]; p < start[r + 1]; p++) {
          const id = ids[p];
          if (touchedMark[id] === 0) {
            touchedMark[id] = 1;
            touchedRows[nTouched++] = id;
          }
        }
      }
    };


    const stageMs: Record<string, number> = { forward: 0, products: 0, softmax: 0, backward: 0, adam: 0 };
    let clock = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      stageMs[stage] += now - clock;
      clock = now;
    };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      rng.shuffle(pairs);
      for (let bi = 0; bi < nBatches; bi++) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
        // Near-equal batch sizes (no tiny last batch with too few negatives).
        const codes = pairs.subarray(
          Math.floor((bi * pairs.length) / nBatches),
          Math.floor(((bi + 1) * pairs.length) / nBatches),
        );
        const rows = codes.length;
        forward(codes, 0, Xa);
        forward(codes, 1, Xb);
        lap('forward');
        ws.gemmNT(Xa, Xb, S, bp, bp, dim);
        lap('products');

        // Symmetric InfoNCE. Cosines are <= 1, so exp((s - 1) / τ) never overflows and one exponential per entry
        // serves both the row (a -> b) and the column (b -> a) softmax.
        ws.softmaxExp(S, bp, rows, invTau, rowExp, colSum, colHalf);
        for (let j = 0; j < rows; j++) colSum[j] += colHalf[j];
        let loss = 0;
        for (let i = 0; i < rows; i++) {
          const eii = S[i * bp + i];
          loss -= Math.log(eii / rowExp[i]) + Math.log(eii / colSum[i]);
        }
        loss /= 2 * rows;
        // dL/dS_ij = (P_ij - δ_ij + Q_ij - δ_ij) / (2 · rows · τ), P the row softmax, Q the column softmax.
        const scale = invTau / (2 * rows);
        for (let j = 0; j < rows; j++) colSum[j] = 1 / colSum[j];
        ws.softmaxGrad(S, bp, rows, rowExp, colSum, scale);
        S.fill(0, rows * bp);
        ws.transposeSquare(S, ST, bp);
        ws.transposePair([Xa, XaT, bp, dim], [Xb, XbT, bp, dim]);
        lap('softmax');
        ws.gemmNT(S, XbT, dXa, bp, dim, bp); // dL/dXa = G · Xb
        ws.gemmNT(ST, XaT, dXb, bp, dim, bp); // dL/dXb = Gᵀ · Xa
        lap('products');

        nTouched = 0;
        backward(0, Xa, dXa, rows);
        backward(1, Xb, dXb, rows);
        lap('backward');

        // Lazy row-sparse Adam on the rows this batch touched, each with its own step count.
        for (let i = 0; i < nTouched; i++) {
          const id = touchedRows[i];
          const st = ++steps[id];
          adamCoef[2 * i] = lr / (1 - Math.pow(ADAM_BETA1, st));
          adamCoef[2 * i + 1] = 1 / (1 - Math.pow(ADAM_BETA2, st));
          touchedMark[id] = 0;
        }
        ws.adamRows(Ew, m1, m2, grad, dim, touchedRows, adamCoef, nTouched, ADAM_BETA1, ADAM_BETA2, ADAM_EPS);
        lap('adam');

        progress({ phase: 'train', epoch, batch: bi + 1, batches: nBatches, loss, stageMs });
        await new Promise<void>((resolve) => setImmediate(resolve));
        clock = performance.now();
      }
    }
    progress({ phase: 'done' });
    return new StaticEmbeddingModel(vocab, Ew, info);
  } finally {
    ws.dispose();
  }
}

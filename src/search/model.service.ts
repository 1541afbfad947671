// The semantic model's life cycle: train on every paper, store it with a version, embed every paper and make
// it the active model, all vectors and the switch in one transaction (readers see the old model and its
// vectors until the commit, then the new ones); and load the active model into memory.
import type { Db, Queryable } from '../db/client.ts';
import { BuiltinEmbedder, EmbedderError, type Embedder } from './embedder.ts';
import { countPapers } from '../papers/papers.repository.ts';
import { dropSearchIndex } from './index-cache.ts';
import { StaticEmbeddingModel, type TrainProgress } from './static-model.ts';
import { trainAndEncode, trainInWorker, type TrainJob } from './train-worker.ts';
import { tokenize } from './text.ts';
import {
  activateModel,
  activeModel,
  activeModelInfo,
  addEmbeddings,
  deleteOtherEmbeddings,
  insertModel,
  loadCorpus,
  loadEmbeddings,
  paperTextPages,
  papersWithoutVector,
  writeEmbeddings,
  type ModelKind,
} from './search.repository.ts';

export interface TrainAndActivateOptions {
  threads?: number;
  seed?: number;
  /** Training epochs (default the trainer's 12); tests use fewer. */
  epochs?: number;
  dim?: number;
  batchSize?: number;
  onProgress?: (p: ModelProgress) => void;
  signal?: AbortSignal;
  /** Papers left out of training (still embedded): evaluation targets. */
  excludeFromTraining?: ReadonlySet<string>;
  /** Texts trained on besides the papers (evaluation corpora). */
  extraTrainingDocs?: readonly { title: string; abstract: string }[];
  /** Papers per vector write (default 2000). */
  writeBatch?: number;
  /**
   * Train in a worker thread (serve's background retraining: the event loop stays free for requests); the default,
   * false, trains on this thread (the CLI).
   */
  worker?: boolean;
}

export type ModelProgress =
  | { phase: 'load'; papers: number }
  | { phase: 'train'; train: TrainProgress }
  | { phase: 'embed'; done: number; total: number }
  | { phase: 'activate' };

export interface TrainSummary {
  modelId: number;
  version: string;
  papers: number;
  vocabulary: number;
  dim: number;
  loadMs: number;
  trainMs: number;
  embedMs: number;
  totalMs: number;
  modelBytes: number;
}

/** The text a paper's vector is computed from (the same for stored vectors and for similar papers). */
export function paperText(p: { title: string; abstract: string }): string[] {
  return [...tokenize(p.title), ...tokenize(p.abstract)];
}

export async function trainAndActivate(db: Db, opts: TrainAndActivateOptions = {}): Promise<TrainSummary> {
  const t0 = performance.now();
  const total = await countPapers(db);
  if (total < 2) throw new Error(`a model needs at least 2 papers to train on; the database holds ${total}`);
  // The papers go to the trainer page by page (it keeps their stems, not their text); only the ids stay here.
  const ids: string[] = [];
  let loadMs = 0;
  const pages = async function* () {
    for await (const page of paperTextPages(db, 1000)) {
      for (const p of page) ids.push(p.id);
      opts.onProgress?.({ phase: 'load', papers: ids.length });
      yield page;
    }
    loadMs = performance.now() - t0;
  };
  const seed = opts.seed ?? 42;
  const job: TrainJob = {
    exclude: opts.excludeFromTraining?.size ? [...opts.excludeFromTraining] : undefined,
    extraDocs: opts.extraTrainingDocs?.map((d) => ({ title: d.title, abstract: d.abstract })),
    seed,
    threads: opts.threads ?? 1,
    epochs: opts.epochs,
    dim: opts.dim,
    batchSize: opts.batchSize,
  };
  const onTrain = (p: TrainProgress) => opts.onProgress?.({ phase: 'train', train: p });
  const trained = opts.worker ? await trainInWorker(job, pages(), onTrain, opts.signal) : await trainAndEncode(job, pages(), onTrain, opts.signal);
  opts.signal?.throwIfAborted();
  if (trained.papers !== ids.length) throw new Error(`training: ${trained.papers} vectors for ${ids.length} papers`);
  const trainMs = performance.now() - t0 - loadMs;
  const { bytes, dim, vectors } = trained;
  const version = `static-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-s${seed}-n${ids.length}`;

  const t2 = performance.now();
  const batch = opts.writeBatch ?? 2000;
  const modelId = await db.transaction(async (tx) => {
    const id = await insertModel(tx, { version, papersCount: ids.length, bytes, kind: 'builtin', embedder: 'builtin', dim });
    await deleteOtherEmbeddings(tx, id);
    for (let start = 0; start < ids.length; start += batch) {
      const n = Math.min(batch, ids.length - start);
      const slice = vectors.subarray(start * dim, (start + n) * dim);
      const buf = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength);
      await writeEmbeddings(tx, id, ids.slice(start, start + n), littleEndianBytes(buf, n * dim), dim);
      opts.onProgress?.({ phase: 'embed', done: start + n, total: ids.length });
    }
    opts.onProgress?.({ phase: 'activate' });
    await activateModel(tx, id);
    return id;
  });
  const embedMs = performance.now() - t2;
  dropSearchIndex(db);
  return {
    modelId,
    version,
    papers: ids.length,
    vocabulary: trained.vocabulary,
    dim,
    loadMs: Math.round(loadMs),
    trainMs: Math.round(trainMs),
    embedMs: Math.round(embedMs),
    totalMs: Math.round(performance.now() - t0),
    modelBytes: bytes.length,
  };
}

function littleEndianBytes(buf: Buffer, floats: number): Buffer {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return Buffer.from(buf);
  const out = Buffer.alloc(floats * 4);
  const f = new Float32Array(buf.buffer, buf.byteOffset, floats);
  for (let i = 0; i < floats; i++) out.writeFloatLE(f[i], i * 4);
  return out;
}

/** The active model's vectors, whichever embedder made them. */
export interface LoadedVectors {
  id: number;
  version: string;
  kind: ModelKind;
  /** Embedder.identity of what made the vectors. */
  embedder: string;
  dim: number;
  /** The trained model (kind builtin); null for an external embedder, whose weights are not in the database. */
  model: StaticEmbeddingModel | null;
  vectors: { paper_id: string; vector: Uint8Array }[];
}

export interface LoadedModel extends LoadedVectors {
  model: StaticEmbeddingModel;
}

/** The active model and its vectors, whichever kind, or null when there is none. */
export async function loadActiveVectors(db: Queryable): Promise<LoadedVectors | null> {
  const stored = await activeModel(db);
  if (!stored) return null;
  const model = stored.kind === 'builtin' ? StaticEmbeddingModel.deserialize(stored.bytes) : null;
  const vectors = await loadEmbeddings(db, stored.id);
  const dim = model?.dim ?? stored.dim ?? (vectors[0] ? vectors[0].vector.byteLength / 4 : 0);
  return { id: stored.id, version: stored.version, kind: stored.kind, embedder: stored.embedder, dim, model, vectors };
}

/** The active built-in model and its vectors, or null when none was trained (or an external embedder's is active). */
export async function loadActive(db: Queryable): Promise<LoadedModel | null> {
  const loaded = await loadActiveVectors(db);
  return loaded?.model ? (loaded as LoadedModel) : null;
}

/** The active built-in model as an Embedder (for papers that arrive after training), or null. */
export async function loadBuiltinEmbedder(db: Queryable): Promise<{ modelId: number; embedder: BuiltinEmbedder } | null> {
  const stored = await activeModel(db);
  if (!stored || stored.kind !== 'builtin') return null;
  return { modelId: stored.id, embedder: new BuiltinEmbedder(StaticEmbeddingModel.deserialize(stored.bytes), stored.version) };
}

export interface EmbedAndActivateOptions {
  signal?: AbortSignal;
  onProgress?: (p: ModelProgress) => void;
  /** Papers per vector write (default 2000). */
  writeBatch?: number;
}

export interface EmbedSummary {
  modelId: number;
  version: string;
  embedder: string;
  papers: number;
  dim: number;
  loadMs: number;
  embedMs: number;
  writeMs: number;
  totalMs: number;
  /** Papers embedded per second (embedding alone). */
  papersPerSecond: number;
}

/** A model version for an external embedder: kind, a name, the UTC time and the paper count. */
function externalVersion(embedder: Embedder, papers: number): string {
  const name = embedder.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `${embedder.kind}-${name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-n${papers}`;
}

/**
 * Embeds every paper with an external embedder (ONNX folder, embeddings endpoint) and makes those vectors the active
 * model. The slow part, embedding, happens outside any transaction (vectors are kept in memory: 57k x 384 floats is
 * 88 MB); then one transaction stores the model record and the vectors, drops the previous model's and switches, as
 * `trainAndActivate` does. Readers see the old vectors until the commit; a failure anywhere leaves them active.
 */
export async function embedAndActivate(db: Db, embedder: Embedder, opts: EmbedAndActivateOptions = {}): Promise<EmbedSummary> {
  if (embedder.kind === 'builtin') throw new Error('the built-in model is trained, not embedded: use trainAndActivate');
  const t0 = performance.now();
  const corpus = await loadCorpus(db);
  opts.onProgress?.({ phase: 'load', papers: corpus.length });
  if (corpus.length === 0) throw new Error('there are no papers to embed');
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  let dim = 0;
  let all: Float32Array | null = null;
  for (let start = 0; start < corpus.length; start += embedder.batchSize) {
    opts.signal?.throwIfAborted();
    const slice = corpus.slice(start, start + embedder.batchSize);
    const vecs = await embedder.embedDocuments(slice, { signal: opts.signal });
    if (vecs.length !== slice.length) throw new EmbedderError(`${embedder.label} returned ${vecs.length} vectors for ${slice.length} papers`);
    if (!all) {
      dim = vecs[0].length;
      all = new Float32Array(corpus.length * dim);
    }
    vecs.forEach((v, i) => {
      if (v.length !== dim) throw new EmbedderError(`${embedder.label} returned a vector of dimension ${v.length}, expected ${dim}`);
      all!.set(v, (start + i) * dim);
    });
    opts.onProgress?.({ phase: 'embed', done: start + slice.length, total: corpus.length });
  }
  const embedMs = performance.now() - t1;
  const t2 = performance.now();
  const version = externalVersion(embedder, corpus.length);
  const batch = opts.writeBatch ?? 2000;
  const bytes = littleEndianBytes(Buffer.from(all!.buffer, all!.byteOffset, all!.byteLength), all!.length);
  const modelId = await db.transaction(async (tx) => {
    const id = await insertModel(tx, { version, papersCount: corpus.length, bytes: new Uint8Array(0), kind: embedder.kind, embedder: embedder.identity, dim });
    await deleteOtherEmbeddings(tx, id);
    for (let start = 0; start < corpus.length; start += batch) {
      const n = Math.min(batch, corpus.length - start);
      await writeEmbeddings(tx, id, corpus.slice(start, start + n).map((p) => p.id), bytes.subarray(start * dim * 4, (start + n) * dim * 4), dim);
    }
    opts.onProgress?.({ phase: 'activate' });
    await activateModel(tx, id);
    return id;
  });
  dropSearchIndex(db);
  const writeMs = performance.now() - t2;
  return {
    modelId,
    version,
    embedder: embedder.identity,
    papers: corpus.length,
    dim,
    loadMs: Math.round(loadMs),
    embedMs: Math.round(embedMs),
    writeMs: Math.round(writeMs),
    totalMs: Math.round(performance.now() - t0),
    papersPerSecond: Math.round((corpus.length / Math.max(1, embedMs)) * 1000),
  };
}

export interface EmbedMissingResult {
  /** The active model the vectors were added under (null: no active model made by this embedder). */
  modelId: number | null;
  added: number;
}

/**
 * Embeds the papers that have no vector under the active model, when `embedder` is what made that model (papers
 * imported or harvested after the model was trained or embedded). Works in rounds of `batch` papers, each written
 * in its own short transaction, so a switch to another model meanwhile is never overwritten.
 */
export async function embedMissing(
  db: Db,
  embedder: Embedder,
  opts: { modelId?: number; batch?: number; signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<EmbedMissingResult> {
  const active = await activeModelInfo(db);
  if (!active || active.embedder !== embedder.identity || (opts.modelId !== undefined && active.id !== opts.modelId)) {
    return { modelId: null, added: 0 };
  }
  const batch = opts.batch ?? Math.max(embedder.batchSize, 256);
  let added = 0;
  const seen = new Set<string>();
  for (;;) {
    opts.signal?.throwIfAborted();
    const rows = (await papersWithoutVector(db, active.id, batch)).filter((r) => !seen.has(r.id));
    if (rows.length === 0) break;
    rows.forEach((r) => seen.add(r.id));
    const vecs = await embedder.embedDocuments(rows, { signal: opts.signal });
    const dim = active.dim ?? vecs[0].length;
    const ok = vecs.every((v) => v.length === dim);
    if (!ok) throw new EmbedderError(`${embedder.label} returned vectors of dimension ${vecs.find((v) => v.length !== dim)!.length}, the active model's are ${dim}`);
    const flat = new Float32Array(rows.length * dim);
    vecs.forEach((v, i) => flat.set(v, i * dim));
    const n = await db.transaction((tx) =>
      addEmbeddings(tx, active.id, rows.map((r) => r.id), littleEndianBytes(Buffer.from(flat.buffer), flat.length), dim),
    );
    if (n === 0 && rows.length > 0) {
      // The model is no longer active (switched meanwhile): stop.
      const still = await activeModelInfo(db);
      if (still?.id !== active.id) break;
    }
    added += n;
    opts.onProgress?.(added);
    if (rows.length < batch) break;
  }
  if (added > 0) dropSearchIndex(db);
  return { modelId: active.id, added };
}

// The semantic model's life cycle: train on every paper, store it with a version, embed every paper and make
// it the active model, all vectors and the switch in one transaction (readers see the old model and its
// vectors until the commit, then the new ones); and load the active model into memory.
import type { Db, Queryable } from '../db/client.ts';
import { dropSearchIndex } from './index-cache.ts';
import { StaticEmbeddingModel, tokenizeDoc, trainStaticModel, type TrainProgress } from './static-model.ts';
import { tokenize } from './text.ts';
import {
  activateModel,
  activeModel,
  deleteOtherEmbeddings,
  insertModel,
  loadCorpus,
  loadEmbeddings,
  writeEmbeddings,
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
  const corpus = await loadCorpus(db);
  opts.onProgress?.({ phase: 'load', papers: corpus.length });
  if (corpus.length < 2) throw new Error(`a model needs at least 2 papers to train on; the database holds ${corpus.length}`);
  const tokenized = corpus.map((p) => tokenizeDoc(p));
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const seed = opts.seed ?? 42;
  const ex = opts.excludeFromTraining;
  const trainDocs = (ex?.size ? tokenized.filter((_, i) => !ex.has(corpus[i].id)) : tokenized).concat(
    (opts.extraTrainingDocs ?? []).map((d) => tokenizeDoc(d)),
  );
  const model = await trainStaticModel(trainDocs, {
    seed,
    threads: opts.threads ?? 1,
    epochs: opts.epochs,
    dim: opts.dim,
    batchSize: opts.batchSize,
    signal: opts.signal,
    onProgress: (p) => opts.onProgress?.({ phase: 'train', train: p }),
  });
  const trainMs = performance.now() - t1;
  const bytes = model.serialize();
  const version = `static-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-s${seed}-n${corpus.length}`;

  const t2 = performance.now();
  const dim = model.dim;
  const batch = opts.writeBatch ?? 2000;
  const modelId = await db.transaction(async (tx) => {
    const id = await insertModel(tx, { version, papersCount: corpus.length, bytes });
    await deleteOtherEmbeddings(tx, id);
    const vec = new Float32Array(batch * dim);
    for (let start = 0; start < corpus.length; start += batch) {
      const slice = corpus.slice(start, start + batch);
      slice.forEach((p, i) => model.encodeTokens([...tokenized[start + i].title, ...tokenized[start + i].abstract], vec, i * dim));
      const buf = Buffer.from(vec.buffer, 0, slice.length * dim * 4);
      await writeEmbeddings(tx, id, slice.map((p) => p.id), littleEndianBytes(buf, slice.length * dim), dim);
      opts.onProgress?.({ phase: 'embed', done: start + slice.length, total: corpus.length });
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
    papers: corpus.length,
    vocabulary: model.vocab.terms.length,
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

export interface LoadedModel {
  id: number;
  version: string;
  model: StaticEmbeddingModel;
  vectors: { paper_id: string; vector: Uint8Array }[];
}

/** The active model and its vectors, or null when none was trained. */
export async function loadActive(db: Queryable): Promise<LoadedModel | null> {
  const stored = await activeModel(db);
  if (!stored) return null;
  const model = StaticEmbeddingModel.deserialize(stored.bytes);
  const vectors = await loadEmbeddings(db, stored.id);
  return { id: stored.id, version: stored.version, model, vectors };
}

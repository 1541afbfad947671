// Training the built-in model off the main thread, so that `serve` keeps answering while it retrains in the
// background (docs/search.md "Background retraining"). The worker receives the papers' texts, tokenises them,
// trains (trainStaticModel, which may add its own kernel thread), encodes every paper and sends back the serialized
// model and all vectors (transferred, not copied). Progress goes to the parent as messages; the parent aborts by
// terminating the worker. The same `trainAndEncode` runs in process for `paperpulse model train`.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { tokenizeDoc, trainStaticModel, type TrainProgress } from './static-model.ts';

export interface TrainJob {
  /** Every paper, in the order vectors are wanted. */
  papers: { id: string; title: string; abstract: string }[];
  /** Papers not trained on (still encoded): evaluation targets. */
  exclude?: string[];
  extraDocs?: { title: string; abstract: string }[];
  seed: number;
  threads: number;
  epochs?: number;
  dim?: number;
  batchSize?: number;
}

export interface Trained {
  bytes: Uint8Array;
  dim: number;
  vocabulary: number;
  /** papers x dim, row-major, in the order of TrainJob.papers. */
  vectors: Float32Array;
}

/** Tokenise, train, encode every paper. */
export async function trainAndEncode(job: TrainJob, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal): Promise<Trained> {
  const tokenized = job.papers.map((p) => tokenizeDoc(p));
  const ex = job.exclude?.length ? new Set(job.exclude) : null;
  const trainDocs = (ex ? tokenized.filter((_, i) => !ex.has(job.papers[i].id)) : tokenized).concat((job.extraDocs ?? []).map((d) => tokenizeDoc(d)));
  const model = await trainStaticModel(trainDocs, {
    seed: job.seed,
    threads: job.threads,
    epochs: job.epochs,
    dim: job.dim,
    batchSize: job.batchSize,
    signal,
    onProgress,
  });
  const dim = model.dim;
  const vectors = new Float32Array(job.papers.length * dim);
  tokenized.forEach((t, i) => model.encodeTokens([...t.title, ...t.abstract], vectors, i * dim));
  return { bytes: model.serialize(), dim, vocabulary: model.vocab.terms.length, vectors };
}

type ToParent = { type: 'progress'; progress: TrainProgress } | { type: 'done'; trained: Trained } | { type: 'error'; message: string; stack?: string };

// The worker's code: plain JavaScript that registers tsx's loader in the thread (neither the parent's register()
// nor --import tsx reach an eval'd worker) and runs this module's runTrainWorker.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import(workerData.tsx);
  register();
  const mod = await import(workerData.module);
  await mod.runTrainWorker();
})().catch((err) => {
  require('node:worker_threads').parentPort.postMessage({ type: 'error', message: String(err && err.message || err), stack: err && err.stack });
});
`;

/** Inside the worker: runs workerData.job and reports to the parent. */
export async function runTrainWorker(): Promise<void> {
  if (isMainThread || !parentPort) throw new Error('runTrainWorker runs in a worker thread');
  const port = parentPort;
  const post = (m: ToParent, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  try {
    let last = 0;
    const trained = await trainAndEncode(workerData.job as TrainJob, (p) => {
      // At most a few progress messages a second.
      const now = Date.now();
      if (p.phase !== 'train' || now - last > 200) {
        last = now;
        post({ type: 'progress', progress: p });
      }
    });
    const bytes = new Uint8Array(trained.bytes); // a copy in its own buffer, transferable
    post({ type: 'done', trained: { ...trained, bytes } }, [bytes.buffer as ArrayBuffer, trained.vectors.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: 'error', message: (err as Error).message, stack: (err as Error).stack });
  }
}

/** Runs `trainAndEncode` in a worker thread; the signal terminates it. */
export function trainInWorker(job: TrainJob, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal): Promise<Trained> {
  signal?.throwIfAborted();
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { job, module: import.meta.url, tsx: import.meta.resolve('tsx/esm/api') },
  });
  return new Promise<Trained>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: Trained) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error('training aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: ToParent) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') finish(null, { ...m.trained, bytes: m.trained.bytes, vectors: m.trained.vectors });
      else {
        const e = new Error(`training failed in the worker thread: ${m.message}`);
        if (m.stack) e.stack = m.stack;
        finish(e);
      }
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) => finish(new Error(`the training worker thread stopped (exit code ${code})`)));
  });
}

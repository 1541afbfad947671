// Training the built-in model off the main thread, so that `serve` keeps answering while it retrains in the
// background (docs/search.md "Background retraining"). The worker receives the papers' texts page by page, tokenises them,
// trains (trainStaticModel, which may add its own kernel thread), encodes every paper and sends back the serialized
// model and all vectors (transferred, not copied). Progress goes to the parent as messages; the parent aborts by
// terminating the worker. The same `trainAndEncode` runs in process for `paperpulse model train`.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InternedDocs, trainStaticModel, vocabularyIdsOf, type TrainProgress } from './static-model.ts';

export interface TrainJob {
  /** Papers not trained on (still encoded): evaluation targets. */
  exclude?: string[];
  extraDocs?: { title: string; abstract: string }[];
  seed: number;
  threads: number;
  epochs?: number;
  dim?: number;
  batchSize?: number;
}

/** A paper's text, as training reads it. */
export interface PaperText {
  id: string;
  title: string;
  abstract: string;
}

export interface Trained {
  bytes: Uint8Array;
  dim: number;
  vocabulary: number;
  /** papers x dim, row-major, in the order the papers came from the source. */
  vectors: Float32Array;
  /** How many papers the source gave. */
  papers: number;
}

/**
 * Tokenise, train, encode every paper. The papers arrive in pages and each page is tokenised as it comes (its
 * text is then let go), so training holds the texts as stem numbers (InternedDocs, about 4 bytes a token), never
 * the corpus's text as a whole.
 */
export async function trainAndEncode(
  job: TrainJob,
  source: AsyncIterable<readonly PaperText[]>,
  onProgress?: (p: TrainProgress) => void,
  signal?: AbortSignal,
): Promise<Trained> {
  const interned = new InternedDocs();
  const ex = job.exclude?.length ? new Set(job.exclude) : null;
  const training: number[] = [];
  for await (const page of source) {
    for (const p of page) {
      const i = interned.add(p);
      if (!ex?.has(p.id)) training.push(i);
    }
    signal?.throwIfAborted();
  }
  const count = interned.length;
  for (const d of job.extraDocs ?? []) training.push(interned.add(d));
  const model = await trainStaticModel(
    interned,
    { seed: job.seed, threads: job.threads, epochs: job.epochs, dim: job.dim, batchSize: job.batchSize, signal, onProgress },
    Int32Array.from(training),
  );
  const dim = model.dim;
  const vectors = new Float32Array(count * dim);
  const toVocab = vocabularyIdsOf(interned, model.vocab);
  for (let i = 0; i < count; i++) model.encodeNumbers([interned.text(i)], toVocab, vectors, i * dim);
  return { bytes: model.serialize(), dim, vocabulary: model.vocab.terms.length, vectors, papers: count };
}

// Worker protocol: the worker asks for the next page ('next'); the parent answers with a page or 'end'. One page
// is in flight at a time, so the worker never queues more text than it is tokenising.
type ToParent =
  | { type: 'next' }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; trained: Trained }
  | { type: 'error'; message: string; stack?: string };
type ToWorker = { type: 'page'; page: PaperText[] } | { type: 'end' };

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

/** Inside the worker: runs workerData.job on the pages the parent sends and reports to the parent. */
export async function runTrainWorker(): Promise<void> {
  if (isMainThread || !parentPort) throw new Error('runTrainWorker runs in a worker thread');
  const port = parentPort;
  const post = (m: ToParent, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const pages = async function* (): AsyncGenerator<PaperText[]> {
    for (;;) {
      const reply = new Promise<ToWorker>((resolve) => port.once('message', resolve));
      post({ type: 'next' });
      const m = await reply;
      if (m.type === 'end') return;
      yield m.page;
    }
  };
  try {
    let last = 0;
    const trained = await trainAndEncode(workerData.job as TrainJob, pages(), (p) => {
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

/** Runs `trainAndEncode` in a worker thread, feeding it `source` page by page; the signal terminates it. */
export function trainInWorker(
  job: TrainJob,
  source: AsyncIterable<readonly PaperText[]>,
  onProgress?: (p: TrainProgress) => void,
  signal?: AbortSignal,
): Promise<Trained> {
  signal?.throwIfAborted();
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { job, module: import.meta.url, tsx: import.meta.resolve('tsx/esm/api') },
  });
  const iterator = source[Symbol.asyncIterator]();
  return new Promise<Trained>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: Trained) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      void iterator.return?.();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error('training aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const sendNext = async () => {
      try {
        const r = await iterator.next();
        if (settled) return;
        const m: ToWorker = r.done ? { type: 'end' } : { type: 'page', page: [...r.value] };
        worker.postMessage(m);
      } catch (err) {
        finish(err as Error);
      }
    };
    worker.on('message', (m: ToParent) => {
      if (m.type === 'next') void sendNext();
      else if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') finish(null, m.trained);
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

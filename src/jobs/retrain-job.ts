// Keeps the search vectors current in the background of `serve` (docs/search.md "Background model work"):
// - EMBEDDER=builtin: retrains the model when the corpus has grown by 20% since the active model was trained (or
//   when there is no model yet and there are enough papers), in a worker thread so that pages keep answering;
// - EMBEDDER=onnx|openai: when the active vectors were not made by the configured embedder (none yet, the built-in
//   model's, another ONNX folder or endpoint), embeds every paper with it and switches;
// - either way, papers that arrive later (imports, harvests) get their vector under the active model as soon as an
//   import says so ('papers-changed' without paper ids) and at each tick.
// A full training or embedding is claimed in job_runs under what it starts from, so with several processes on one
// server it happens once.
import { hostname } from 'node:os';
import type { Context } from '../context.ts';
import { createExternalEmbedder, type Embedder } from '../search/embedder.ts';
import { embedAndActivate, embedMissing, loadBuiltinEmbedder, trainAndActivate, type TrainAndActivateOptions } from '../search/model.service.ts';
import { activeModelInfo } from '../search/search.repository.ts';
import { claimRun, finishRun } from './job-runs.repository.ts';

export const RETRAIN_GROWTH = 0.2;
/** No model is trained on fewer papers than this in the background (`paperpulse model train` has no minimum). */
export const RETRAIN_MIN_PAPERS = 1000;
export const RETRAIN_TICK_MS = 15 * 60_000;
/** How often papers without a vector are looked for, besides the imports' events. */
export const EMBED_NEW_TICK_MS = 60_000;

/** Whether a corpus of `papers` calls for a new model, given the papers the active one was trained on. Pure. */
export function shouldRetrain(papers: number, trainedOn: number | null, minPapers = RETRAIN_MIN_PAPERS): boolean {
  if (papers < minPapers) return false;
  if (trainedOn === null) return true;
  return papers >= trainedOn * (1 + RETRAIN_GROWTH);
}

export type CheckResult = 'trained' | 'embedded' | 'not-needed' | 'claimed-elsewhere' | 'failed';

export interface RetrainJob {
  /** Checks now; resolves when that check (and any training or embedding it started) is over. */
  check(): Promise<CheckResult>;
  /** Embeds papers that have no vector under the active model; resolves to how many got one. */
  embedNew(): Promise<number>;
  stop(): Promise<void>;
}

export interface RetrainJobOptions {
  tickMs?: number;
  embedNewTickMs?: number;
  minPapers?: number;
  timer?: boolean;
  train?: TrainAndActivateOptions;
  /** The external embedder to use (tests); by default the configuration's, created on first use. */
  embedder?: Embedder;
  /** Wait after an import's event before embedding its papers (default 1 s: imports come in batches). */
  debounceMs?: number;
}

export function startRetrainJob(ctx: Context, opts: RetrainJobOptions = {}): RetrainJob {
  const owner = `${hostname()}:${process.pid}`;
  const abort = new AbortController();
  const external = ctx.config.embedder !== 'builtin';
  let running: Promise<CheckResult> | null = null;
  let embedding: Promise<number> | null = null;
  let embedder: Embedder | null = opts.embedder ?? null;
  let embedderError: string | null = null;
  let builtin: { modelId: number; embedder: Embedder } | null = null;
  let stopped = false;

  /** The configured external embedder, created once; a failure is logged once and tried again next time. */
  const externalEmbedder = async (): Promise<Embedder | null> => {
    if (embedder) return embedder;
    try {
      embedder = await createExternalEmbedder(ctx.config);
      embedderError = null;
      return embedder;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== embedderError) ctx.log.error({ err: message }, `the ${ctx.config.embedder} embedder cannot be used; similar papers keep the vectors they have`);
      embedderError = message;
      return null;
    }
  };

  const runClaimed = async (job: string, key: string, work: () => Promise<string>): Promise<CheckResult> => {
    if (!(await claimRun(ctx.db, job, key, owner, 3600))) return 'claimed-elsewhere';
    try {
      const version = await work();
      await finishRun(ctx.db, job, key, owner, 'done', version);
      // Cached pages show the old similar papers: let them go.
      ctx.events.emit('papers-changed', {});
      return job === 'search-retrain' ? 'trained' : 'embedded';
    } catch (err) {
      await finishRun(ctx.db, job, key, owner, 'failed', (err as Error).message).catch(() => {});
      if (!abort.signal.aborted) ctx.log.error({ err: (err as Error).message }, `search model ${job === 'search-retrain' ? 'retraining' : 'embedding'} failed`);
      return 'failed';
    }
  };

  const run = async (): Promise<CheckResult> => {
    const [{ n }] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
    const active = await activeModelInfo(ctx.db);
    if (!external) {
      const trainedOn = active?.kind === 'builtin' ? active.papersCount : null;
      if (!shouldRetrain(n, trainedOn, opts.minPapers)) return 'not-needed';
      return runClaimed('search-retrain', `${active?.id ?? 0}:${n}`, async () => {
        ctx.log.info({ papers: n, previous: trainedOn }, 'retraining the search model');
        const s = await trainAndActivate(ctx.db, { threads: 1, worker: true, ...opts.train, signal: abort.signal });
        ctx.log.info({ version: s.version, trainMs: s.trainMs, embedMs: s.embedMs }, 'search model retrained');
        return s.version;
      });
    }
    const e = await externalEmbedder();
    if (!e || active?.embedder === e.identity || n === 0) return 'not-needed';
    return runClaimed('search-embed', `${e.identity}:${active?.id ?? 0}`, async () => {
      ctx.log.info({ papers: n, embedder: e.label, previous: active?.version ?? null }, 'embedding every paper with the configured embedder');
      const s = await embedAndActivate(ctx.db, e, { signal: abort.signal });
      ctx.log.info({ version: s.version, embedMs: s.embedMs, papersPerSecond: s.papersPerSecond }, 'search vectors switched to the configured embedder');
      return s.version;
    });
  };

  const embedNewNow = async (): Promise<number> => {
    const active = await activeModelInfo(ctx.db);
    if (!active) return 0;
    let e: Embedder | null;
    if (active.kind === 'builtin') {
      if (external) return 0; // the configured embedder's full run will replace these vectors
      if (builtin?.modelId !== active.id) builtin = await loadBuiltinEmbedder(ctx.db);
      e = builtin?.embedder ?? null;
    } else {
      e = await externalEmbedder();
    }
    if (!e || e.identity !== active.embedder) return 0;
    try {
      const r = await embedMissing(ctx.db, e, { modelId: active.id, signal: abort.signal });
      if (r.added > 0) {
        ctx.log.info({ papers: r.added, model: active.version }, 'embedded new papers');
        ctx.events.emit('papers-changed', { paperIds: [] });
      }
      return r.added;
    } catch (err) {
      if (!abort.signal.aborted) ctx.log.warn({ err: (err as Error).message }, 'embedding new papers failed; trying again later');
      return 0;
    }
  };

  const check = () => {
    running ??= run()
      .then(async (r) => {
        await embedNew();
        return r;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const embedNew = () => {
    embedding ??= embedNewNow().finally(() => {
      embedding = null;
    });
    return embedding;
  };

  // An import or harvest announces new papers: embed them shortly after (votes carry paper ids and are ignored).
  let debounce: NodeJS.Timeout | null = null;
  const onChanged = (info: { paperIds?: string[] }) => {
    if (info.paperIds || stopped) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      if (!running) void embedNew().catch(() => {});
    }, opts.debounceMs ?? 1000);
    debounce.unref();
  };
  ctx.events.on('papers-changed', onChanged);

  const timers: NodeJS.Timeout[] = [];
  if (opts.timer !== false) {
    timers.push(setInterval(() => void check().catch(() => {}), opts.tickMs ?? RETRAIN_TICK_MS));
    timers.push(setInterval(() => !running && void embedNew().catch(() => {}), opts.embedNewTickMs ?? EMBED_NEW_TICK_MS));
    // The first check soon after start: a changed EMBEDDER or a missing model need not wait for the first tick.
    timers.push(setTimeout(() => void check().catch(() => {}), 2000));
    for (const t of timers) t.unref();
  }
  return {
    check,
    embedNew,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      if (debounce) clearTimeout(debounce);
      ctx.events.off('papers-changed', onChanged);
      abort.abort();
      await running?.catch(() => {});
      await embedding?.catch(() => {});
      if (embedder && !opts.embedder) await embedder.close().catch(() => {});
    },
  };
}

// Retrains the search model in the background of `serve` when the corpus has grown by 20% since the active
// model was trained (or when there is no model yet and there are enough papers). The run is claimed in
// job_runs under the paper count it starts from, so with several processes on one server it happens once.
//
// Event loop: training runs in this process (trainStaticModel's batch products can use a second thread, but
// tokenising, the vocabulary and the SVD run on the main thread), so pages answer slowly, in bursts of up to a
// second or so, for the few minutes a 57k-paper training takes. A worker thread is the planned fix.
import { hostname } from 'node:os';
import type { Context } from '../context.ts';
import { trainAndActivate, type TrainAndActivateOptions } from '../search/model.service.ts';
import { activeModelInfo } from '../search/search.repository.ts';
import { claimRun, finishRun } from './job-runs.repository.ts';

export const RETRAIN_GROWTH = 0.2;
/** No model is trained on fewer papers than this in the background (`paperpulse model train` has no minimum). */
export const RETRAIN_MIN_PAPERS = 1000;
export const RETRAIN_TICK_MS = 15 * 60_000;

/** Whether a corpus of `papers` calls for a new model, given the papers the active one was trained on. Pure. */
export function shouldRetrain(papers: number, trainedOn: number | null, minPapers = RETRAIN_MIN_PAPERS): boolean {
  if (papers < minPapers) return false;
  if (trainedOn === null) return true;
  return papers >= trainedOn * (1 + RETRAIN_GROWTH);
}

export interface RetrainJob {
  /** Checks now; resolves when that check (and any training it started) is over. */
  check(): Promise<'trained' | 'not-needed' | 'claimed-elsewhere' | 'failed'>;
  stop(): Promise<void>;
}

export function startRetrainJob(
  ctx: Context,
  opts: { tickMs?: number; minPapers?: number; timer?: boolean; train?: TrainAndActivateOptions } = {},
): RetrainJob {
  const owner = `${hostname()}:${process.pid}`;
  const abort = new AbortController();
  let running: Promise<'trained' | 'not-needed' | 'claimed-elsewhere' | 'failed'> | null = null;

  const run = async () => {
    const [{ n }] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
    const active = await activeModelInfo(ctx.db);
    if (!shouldRetrain(n, active?.papersCount ?? null, opts.minPapers)) return 'not-needed' as const;
    const key = `${active?.id ?? 0}:${n}`;
    if (!(await claimRun(ctx.db, 'search-retrain', key, owner, 3600))) return 'claimed-elsewhere' as const;
    try {
      ctx.log.info({ papers: n, previous: active?.papersCount ?? null }, 'retraining the search model');
      const s = await trainAndActivate(ctx.db, { threads: 1, ...opts.train, signal: abort.signal });
      await finishRun(ctx.db, 'search-retrain', key, owner, 'done', s.version);
      // Cached pages show the old similar papers: let them go.
      ctx.events.emit('papers-changed', {});
      ctx.log.info({ version: s.version, trainMs: s.trainMs, embedMs: s.embedMs }, 'search model retrained');
      return 'trained' as const;
    } catch (err) {
      await finishRun(ctx.db, 'search-retrain', key, owner, 'failed', (err as Error).message).catch(() => {});
      if (!abort.signal.aborted) ctx.log.error({ err: (err as Error).message }, 'search model retraining failed');
      return 'failed' as const;
    }
  };

  const check = () => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = opts.timer === false ? null : setInterval(() => void check().catch(() => {}), opts.tickMs ?? RETRAIN_TICK_MS);
  timer?.unref();
  return {
    check,
    async stop() {
      if (timer) clearInterval(timer);
      abort.abort();
      await running?.catch(() => {});
    },
  };
}

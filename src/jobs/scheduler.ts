// The in-process scheduler of `serve`. Jobs are claimed in the database (job_runs), so with several
// processes on one PostgreSQL server each run happens once, and a run whose process died is retried.
//
// - Initial harvest: on an empty database, the last N days of the configured categories.
// - Daily harvest: after each arXiv announcement (Sun-Thu 20:00 US Eastern) plus a grace period,
//   the last few days of the configured categories (overlapping, idempotent).
import { hostname } from 'node:os';
import type { Context } from '../context.ts';
import { countPapers } from '../papers/papers.repository.ts';
import { lastAnnouncement } from '../papers/listing.ts';
import { claimRun, finishRun, heartbeat, lastRun } from './job-runs.repository.ts';

/** Wait after an announcement before harvesting it: arXiv's API lags its listing by a few minutes. */
export const ANNOUNCEMENT_GRACE_MS = 30 * 60_000;
/** Days re-harvested by the daily run (covers a missed day or a weekend). */
export const DAILY_HARVEST_DAYS = 3;
/** How often the scheduler looks at the clock. */
export const TICK_MS = 60_000;

export interface HarvestRunner {
  /** Harvests the last `days` days of `categories`; resolves to a one-line summary. */
  harvestRecent(ctx: Context, opts: { categories: string[]; days: number; now: Date; signal: AbortSignal }): Promise<string>;
  /** Whether an error means arXiv could not be reached at all. */
  isUnreachable(err: unknown): boolean;
}

export interface Scheduler {
  /** Resolves when the initial check (and harvest, if it started) has settled; for tests. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startScheduler(ctx: Context, runner: HarvestRunner, opts: { tickMs?: number } = {}): Scheduler {
  const owner = `${hostname()}:${process.pid}`;
  const abort = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  // "arXiv cannot be reached" is said once, not on every retry, until a harvest succeeds again.
  let unreachableSaid = false;

  const runJob = async (job: string, runKey: string, days: number): Promise<boolean> => {
    if (!(await claimRun(ctx.db, job, runKey, owner))) return false;
    const beat = setInterval(() => void heartbeat(ctx.db, job, runKey, owner).catch(() => {}), 60_000);
    beat.unref();
    try {
      ctx.log.info({ job, runKey, categories: ctx.config.categories, days }, 'arXiv harvest started');
      const summary = await runner.harvestRecent(ctx, {
        categories: ctx.config.categories,
        days,
        now: ctx.clock(),
        signal: abort.signal,
      });
      await finishRun(ctx.db, job, runKey, owner, 'done', summary);
      ctx.log.info({ job, runKey }, `arXiv harvest finished: ${summary}`);
      unreachableSaid = false;
      return true;
    } catch (err) {
      const message = (err as Error).message;
      await finishRun(ctx.db, job, runKey, owner, 'failed', message).catch(() => {});
      if (abort.signal.aborted) return false;
      if (runner.isUnreachable(err)) {
        if (unreachableSaid) return false;
        unreachableSaid = true;
        ctx.log.warn(
          `arXiv cannot be reached (${message}); paperpulse keeps serving. To load papers without network access, ` +
            'import a file: paperpulse import <file> (JSON lines, Kaggle snapshot, arXiv Atom/OAI-PMH XML or Hugging Face JSON).',
        );
      } else {
        ctx.log.error({ job, runKey, err: message }, 'arXiv harvest failed');
      }
      return false;
    } finally {
      clearInterval(beat);
    }
  };

  const tick = async (first: boolean): Promise<void> => {
    const now = ctx.clock();
    const announced = lastAnnouncement(now);
    // While some process runs the initial harvest, the daily one would only fetch the same days again.
    const initial = await lastRun(ctx.db, 'harvest-initial');
    if (initial?.status === 'running' && !first) return;
    if (first && (await countPapers(ctx.db)) === 0) {
      const ok = await runJob('harvest-initial', now.toISOString().slice(0, 10), ctx.config.initialHarvestDays);
      // The initial harvest covers the latest announcement: don't fetch the same days again.
      if (ok && (await claimRun(ctx.db, 'harvest-daily', announced.toISOString(), owner))) {
        await finishRun(ctx.db, 'harvest-daily', announced.toISOString(), owner, 'done', 'covered by the initial harvest');
      }
      return;
    }
    if (now.getTime() - announced.getTime() >= ANNOUNCEMENT_GRACE_MS) {
      await runJob('harvest-daily', announced.toISOString(), DAILY_HARVEST_DAYS);
    }
  };

  const schedule = (first: boolean) => {
    running = tick(first).catch((err) => ctx.log.error({ err: (err as Error).message }, 'scheduler tick failed'));
    running.finally(() => {
      if (!abort.signal.aborted) {
        timer = setTimeout(() => schedule(false), opts.tickMs ?? TICK_MS);
        timer.unref();
      }
    });
  };
  if (ctx.config.harvestEnabled) schedule(true);

  return {
    idle: () => running,
    async stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

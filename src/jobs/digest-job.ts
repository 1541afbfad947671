// The digests of `serve`: after each arXiv announcement, once the day's papers are in, plan the daily
// digests of the announced listing day (and, after Thursday's announcement, the weekly ones); and keep
// an outbox sender running. Planning is claimed in job_runs ('digest-daily' / 'digest-weekly', keyed by
// period), so with several processes on one database each period is planned once; sending is safe to
// run in every process (rows are claimed with SKIP LOCKED). Forgetting unconfirmed addresses after 7 days
// and pruning old history also happen here.
import type { Context } from '../context.ts';
import { createDigestSender, planDigests } from '../digest/digest.service.ts';
import { digestPeriod, endsListingWeek, latestAnnouncedDay } from '../digest/period.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import { nextDue } from '../mail/outbox.ts';
import { lastAnnouncement } from '../papers/listing.ts';
import { hostname } from 'node:os';
import { deleteStalePending, pruneSentPapers } from '../subscriptions/subscriptions.repository.ts';
import { claimRun, finishRun, lastRun } from './job-runs.repository.ts';
import type { Frequency } from '../subscriptions/subscription.ts';

/** With harvesting off (papers imported some other way), digests wait this long after an announcement. */
export const DIGEST_GRACE_MS = 60 * 60_000;
/** With harvesting on, digests wait for the harvest of the announcement, but no longer than this. */
export const HARVEST_WAIT_MS = 6 * 3600_000;
/** How often the job looks at the clock (planning, cleanup). */
export const DIGEST_TICK_MS = 60_000;
/** How often the sender looks for due outbox rows (retries, mail queued by other processes). */
export const SEND_INTERVAL_MS = 15_000;

export interface DigestJob {
  /** Look at the outbox now (after something was queued). */
  kick(): void;
  /** Resolves when the current tick and send pass have settled (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface DigestJobOptions {
  mailer?: Mailer;
  tickMs?: number;
  sendIntervalMs?: number;
}

export function startDigestJob(ctx: Context, opts: DigestJobOptions = {}): DigestJob {
  const owner = `${hostname()}:${process.pid}`;
  const ownMailer = !opts.mailer;
  const mailer = opts.mailer ?? createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
  const deps = { db: ctx.db, config: ctx.config, clock: ctx.clock, log: ctx.log };
  const sender = createDigestSender(deps, mailer);
  const abort = new AbortController();
  let ticking: Promise<void> = Promise.resolve();
  let sending: Promise<void> | null = null;
  let again = false;
  const timers: NodeJS.Timeout[] = [];

  /** Whether the papers of the announcement are in: its harvest finished, or we waited long enough. */
  const papersAreIn = async (now: Date): Promise<boolean> => {
    const announced = lastAnnouncement(now);
    const waited = now.getTime() - announced.getTime();
    if (!ctx.config.harvestEnabled) return waited >= DIGEST_GRACE_MS;
    if (waited >= HARVEST_WAIT_MS) return true;
    const daily = await lastRun(ctx.db, 'harvest-daily');
    return daily?.runKey === announced.toISOString() && daily.status === 'done';
  };

  const plan = async (frequency: Frequency, day: string): Promise<void> => {
    const period = digestPeriod(frequency, day);
    const job = `digest-${frequency}`;
    if (!(await claimRun(ctx.db, job, period.key, owner))) return;
    try {
      const summary = await planDigests(deps, { period });
      await finishRun(ctx.db, job, period.key, owner, 'done', `${summary.planned} planned, ${summary.empty} empty, ${summary.candidates} papers`);
      if (summary.planned) kick();
    } catch (err) {
      await finishRun(ctx.db, job, period.key, owner, 'failed', (err as Error).message).catch(() => {});
      ctx.log.error({ job, period: period.key, err: (err as Error).message }, 'planning digests failed');
    }
  };

  const tick = async (): Promise<void> => {
    const now = ctx.clock();
    const forgotten = await deleteStalePending(ctx.db, now);
    if (forgotten) ctx.log.info({ addresses: forgotten }, 'forgot unconfirmed subscription addresses');
    await pruneSentPapers(ctx.db, now);
    if (!(await papersAreIn(now))) return;
    const day = latestAnnouncedDay(now);
    await plan('daily', day);
    if (endsListingWeek(day)) await plan('weekly', day);
  };

  const sendPass = async (): Promise<void> => {
    do {
      again = false;
      const due = await nextDue(ctx.db);
      if (due && due.getTime() <= ctx.clock().getTime()) await sender.drain(abort.signal);
      else await sender.recover();
    } while (again && !abort.signal.aborted);
  };

  function kick(): void {
    if (abort.signal.aborted) return;
    if (sending) {
      again = true;
      return;
    }
    sending = sendPass()
      .catch((err) => ctx.log.error({ err: (err as Error).message }, 'sending mail from the outbox failed'))
      .finally(() => {
        sending = null;
      });
  }

  const every = (ms: number, fn: () => void) => {
    const t = setInterval(fn, ms);
    t.unref();
    timers.push(t);
  };
  const runTick = () => {
    ticking = ticking.then(tick).catch((err) => ctx.log.error({ err: (err as Error).message }, 'digest tick failed'));
  };
  runTick();
  kick();
  every(opts.tickMs ?? DIGEST_TICK_MS, runTick);
  every(opts.sendIntervalMs ?? SEND_INTERVAL_MS, kick);

  return {
    kick,
    async idle() {
      await ticking;
      while (sending) await sending;
    },
    async stop() {
      abort.abort();
      for (const t of timers) clearInterval(t);
      await ticking;
      while (sending) await sending;
      await sender.release().catch(() => {});
      if (ownMailer) await mailer.close();
    },
  };
}

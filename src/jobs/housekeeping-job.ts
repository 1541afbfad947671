// Housekeeping in `serve`: expired sessions and used or expired sign-in links are deleted, once at start
// and then every hour. Safe in several processes at once (plain DELETEs of rows nobody can use).
import type { Context } from '../context.ts';
import { deleteExpiredSessions, deleteOldLoginLinks } from '../accounts/accounts.repository.ts';

export const HOUSEKEEPING_INTERVAL_MS = 3600_000;
/** Sign-in links are kept a day after they expire, so "this link was already used / expired" can be told apart. */
const LINK_RETENTION_MS = 24 * 3600_000;

export async function runHousekeeping(ctx: Pick<Context, 'db' | 'clock' | 'log'>): Promise<{ sessions: number; links: number }> {
  const now = ctx.clock();
  const sessions = await deleteExpiredSessions(ctx.db, now);
  const links = await deleteOldLoginLinks(ctx.db, new Date(now.getTime() - LINK_RETENTION_MS));
  if (sessions || links) ctx.log.info({ sessions, links }, 'deleted expired sessions and sign-in links');
  return { sessions, links };
}

export function startHousekeepingJob(ctx: Context, intervalMs = HOUSEKEEPING_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() => runHousekeeping(ctx)).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'housekeeping failed'));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

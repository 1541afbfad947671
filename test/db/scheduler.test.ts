// The scheduler claims each harvest in the database: several processes sharing one database run each
// harvest once; a failed one is retried later, not on every tick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { startScheduler, type HarvestRunner } from '../../src/jobs/scheduler.ts';
import { claimRun, lastRun } from '../../src/jobs/job-runs.repository.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const config = loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false });

function countingRunner(delayMs = 200) {
  const calls: { categories: string[]; days: number }[] = [];
  const runner: HarvestRunner = {
    async harvestRecent(_ctx, opts) {
      calls.push({ categories: opts.categories, days: opts.days });
      await new Promise((r) => setTimeout(r, delayMs));
      return 'read 0';
    },
    isUnreachable: () => false,
  };
  return { runner, calls };
}

forEachDatabase('scheduler', (fx) => {
  // Tuesday 2025-07-01 21:00 US Eastern: an hour after an announcement.
  const clock = () => new Date('2025-07-02T01:00:00Z');

  test('on an empty database, several processes start exactly one initial harvest', async () => {
    // A second process on a server has its own connections; PGlite has one process, so it shares the handle.
    const dbs: Db[] = [fx.db, fx.url ? await openDb({ databaseUrl: fx.url }) : fx.db];
    const contexts: Context[] = await Promise.all(dbs.map((db) => createContext(config, { db, clock })));
    const { runner, calls } = countingRunner();
    const schedulers = contexts.map((ctx) => startScheduler(ctx, runner, { tickMs: 50 }));
    await new Promise((r) => setTimeout(r, 600));
    await Promise.all(schedulers.map((s) => s.stop()));
    if (dbs[1] !== fx.db) await dbs[1].close();
    assert.equal(calls.length, 1, 'one initial harvest, and the daily run it covers is not repeated');
    assert.deepEqual(calls[0], { categories: ['cs.AI', 'cs.CL', 'cs.CV', 'cs.LG'], days: 7 });
    assert.equal((await lastRun(fx.db, 'harvest-daily'))?.detail, 'covered by the initial harvest');
  });

  test('with papers present, the daily harvest after the announcement runs once', async () => {
    await fx.db.transaction((tx) => writePapers(tx, [record()]));
    const later = () => new Date('2025-07-03T01:00:00Z'); // Wednesday 21:00 Eastern
    const ctx = await createContext(config, { db: fx.db, clock: later });
    const { runner, calls } = countingRunner(10);
    const a = startScheduler(ctx, runner, { tickMs: 20 });
    const b = startScheduler(ctx, runner, { tickMs: 20 });
    await new Promise((r) => setTimeout(r, 400));
    await a.stop();
    await b.stop();
    assert.equal(calls.length, 1);
    assert.equal(calls[0].days, 3);
  });

  test('a failed run is not retried at once, and a dead owner is taken over', async () => {
    assert.equal(await claimRun(fx.db, 'job-x', 'k', 'a'), true);
    assert.equal(await claimRun(fx.db, 'job-x', 'k', 'b'), false, 'running and fresh: not taken');
    await fx.db.query(`UPDATE job_runs SET heartbeat_at = now() - interval '1 hour' WHERE job = 'job-x'`);
    assert.equal(await claimRun(fx.db, 'job-x', 'k', 'b'), true, 'stale heartbeat: taken over');
    await fx.db.query(`UPDATE job_runs SET status = 'failed', finished_at = now() WHERE job = 'job-x'`);
    assert.equal(await claimRun(fx.db, 'job-x', 'k', 'c'), false, 'failed just now: wait before retrying');
    await fx.db.query(`UPDATE job_runs SET finished_at = now() - interval '1 hour' WHERE job = 'job-x'`);
    assert.equal(await claimRun(fx.db, 'job-x', 'k', 'c'), true);
  });
});

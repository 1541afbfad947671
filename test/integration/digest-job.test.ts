// The digest job of `serve`: after an announcement, once the day's papers are in, the day's digests are
// planned once (even with two processes) and sent; before that, nothing. Thursday's announcement also
// brings the weekly digest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { startDigestJob } from '../../src/jobs/digest-job.ts';
import { claimRun, finishRun, lastRun } from '../../src/jobs/job-runs.repository.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { addSubscribers, seedPapers, SmtpCapture } from './digest-helpers.ts';

forEachDatabase('digest job in serve', (fx) => {
  test('waits for the harvest of the announcement, then plans and sends the day once; weekly after Thursday', async () => {
    const smtp = await SmtpCapture.start();
    const config = loadConfig({
      env: { SECRET_KEY: 'j'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', SMTP_URL: smtp.url(), PAPERPULSE_HARVEST: 'true' },
      ensureDataDir: false,
    });
    // Thursday 2025-07-03 20:00 US Eastern announced Friday 2025-07-04's listing; it is now 21:00.
    const now = new Date('2025-07-04T01:00:00Z');
    const announced = '2025-07-04T00:00:00.000Z';
    await seedPapers(fx.db, ['2025-07-03', '2025-07-04'], 12);
    await addSubscribers(fx.db, ['daily1@example.org', 'daily2@example.org']);
    await addSubscribers(fx.db, ['weekly@example.org'], { frequency: 'weekly' });
    const ctx = await createContext(config, { db: fx.db, clock: () => now });
    const mailer = createMailer({ smtpUrl: smtp.url(), dataDir: '/nonexistent', from: config.mailFrom });
    try {
      // The harvest of that announcement is still running: no digest yet.
      const first = startDigestJob(ctx, { mailer, tickMs: 30, sendIntervalMs: 30 });
      await new Promise((r) => setTimeout(r, 150));
      await first.idle();
      assert.equal(smtp.accepted.length, 0, 'nothing before the papers are in');
      assert.equal(await lastRun(fx.db, 'digest-daily'), null);
      // The harvest finishes; two processes' jobs run at once.
      assert.ok(await claimRun(fx.db, 'harvest-daily', announced, 'harvester'));
      await finishRun(fx.db, 'harvest-daily', announced, 'harvester', 'done', 'ok');
      const second = startDigestJob(ctx, { mailer, tickMs: 30, sendIntervalMs: 30 });
      const end = Date.now() + 15_000;
      while (smtp.accepted.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      await first.stop();
      await second.stop();
      assert.deepEqual([...smtp.countsByRecipient().entries()].sort(), [['daily1@example.org', 1], ['daily2@example.org', 1], ['weekly@example.org', 1]]);
      const parsed = await smtp.parsed();
      assert.ok(parsed.find((m) => m.subject?.startsWith('Trending papers, Fri 4 Jul: ')), parsed.map((m) => m.subject).join('\n'));
      assert.ok(parsed.find((m) => m.subject?.startsWith('Trending papers, week of 30 Jun: ')));
      assert.equal((await lastRun(fx.db, 'digest-daily'))?.runKey, '2025-07-04');
      assert.equal((await lastRun(fx.db, 'digest-weekly'))?.runKey, '2025-W27');
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });
});

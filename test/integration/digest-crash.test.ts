// The delivery guarantee, counted at a real SMTP server (smtp-server, in process):
//
// 1. kill -9 the sender (`paperpulse digest send`) in the middle of a run, twice, start it again: every
//    subscriber has received the digest exactly once. The kills land while the server holds a message's
//    DATA reply, i.e. while that row is 'sending' and the rest of its batch is 'claimed': the restarted
//    sender finds both and sends them (once), with the same Message-ID.
// 2. The one window no design can close: killed after the server's 250 but before the row is marked
//    sent. paperpulse then sends again (at-least-once) with the same Message-ID; this test pins that
//    behaviour down (docs/decisions.md, "Digest delivery").
// 3. Several senders at once, in one process (both databases) and as two processes on one PostgreSQL
//    server: every subscriber exactly once (rows are claimed with FOR UPDATE SKIP LOCKED).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config.ts';
import { openDb } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createDigestSender, planDigests } from '../../src/digest/digest.service.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { createMailer, type Mailer } from '../../src/mail/mailer.ts';
import { outboxCounts } from '../../src/mail/outbox.ts';
import { BIN } from '../helpers/cli.ts';
import { createServerDatabase, forEachDatabase } from '../helpers/db.ts';
import { projectRoot } from '../helpers/shared.ts';
import { addSubscribers, DAY, seedPapers, SmtpCapture, wait, waitFor } from './digest-helpers.ts';

const SECRET = 'c'.repeat(40);
const emails = (n: number, prefix = 'reader') => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}@example.org`);

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function startSend(env: Record<string, string>, extra: string[] = []): Run {
  const child = spawn(process.execPath, [BIN, 'digest', 'send', '--period', 'daily', '--date', DAY, ...extra], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', SECRET_KEY: SECRET, PUBLIC_URL: 'https://pp.example.org', MAIL_FROM: 'pp <digest@pp.example.org>', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

const messageIdOf = async (raw: Buffer) => (await simpleParser(raw)).messageId;

describe('crash safety: kill -9 during a run, start again', () => {
  test('every subscriber gets the digest exactly once, counted at the SMTP server', { timeout: 240_000 }, async () => {
    const N = 40;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-crash-'));
    const db = await openDb({ databaseUrl: null, pgliteDir: path.join(dataDir, 'db') });
    await migrate(db);
    await seedPapers(db, [DAY], 12);
    await addSubscribers(db, emails(N));
    await db.close();

    let current: Run | null = null;
    // DATA numbers (1-based, as seen by the server) at which the sender is killed before the reply.
    const killAt = new Set([8, 23]);
    const killed: { to: string; messageId: string | undefined }[] = [];
    const smtp = await SmtpCapture.start({
      data: async (raw, to) => {
        if (!killAt.has(smtp.dataSeen)) return null;
        const run = current!;
        run.child.kill('SIGKILL');
        await run.exited;
        killed.push({ to: to[0], messageId: await messageIdOf(raw) });
        return { code: 421, message: 'the client is gone' };
      },
    });
    const env = { PAPERPULSE_DATA_DIR: dataDir, SMTP_URL: smtp.url() };
    // Batches of 5, one message at a time: the kill at DATA 8 leaves message 8 'sending' and 9-10 'claimed'.
    const args = ['--batch-size', '5', '--concurrency', '1'];
    try {
      for (let round = 1; round <= 3; round++) {
        current = startSend(env, args);
        const code = await current.exited;
        if (round < 3) {
          assert.equal(code, null, `run ${round} was killed (it exited with ${code}):\n${current.output()}`);
        } else {
          assert.equal(code, 0, current.output());
          assert.match(current.output(), /\d+ sent/);
        }
      }
      assert.equal(killed.length, 2, 'killed twice, each time in the middle of an SMTP transaction');
      const counts = smtp.countsByRecipient();
      const wrong = emails(N).filter((e) => counts.get(e) !== 1).map((e) => `${e}: ${counts.get(e) ?? 0}`);
      assert.deepEqual(wrong, [], 'each subscriber received exactly one digest');
      assert.equal(smtp.accepted.length, N);
      assert.equal(smtp.dataSeen, N + 2, 'the two interrupted transactions were never accepted, then sent again');
      // The interrupted messages went out again with the Message-ID of the interrupted attempt.
      for (const k of killed) {
        const later = smtp.accepted.find((a) => a.to.includes(k.to))!;
        assert.equal(await messageIdOf(later.raw), k.messageId, `${k.to}: same Message-ID on the retry`);
      }
      const ids = await Promise.all(smtp.accepted.map((a) => messageIdOf(a.raw)));
      assert.equal(new Set(ids).size, N, 'distinct Message-IDs');
      const check = await openDb({ databaseUrl: null, pgliteDir: path.join(dataDir, 'db') });
      try {
        const c = await outboxCounts(check);
        assert.deepEqual([c.sent, c.queued, c.claimed, c.sending, c.failed], [N, 0, 0, 0, 0]);
      } finally {
        await check.close();
      }
      // And a run after that sends nothing at all.
      current = startSend(env, args);
      assert.equal(await current.exited, 0, current.output());
      assert.equal(smtp.accepted.length, N);
    } finally {
      current?.child.kill('SIGKILL');
      await smtp.close();
    }
  });
});

forEachDatabase('delivery guarantee', (fx) => {
  const config = loadConfig({
    env: { SECRET_KEY: SECRET, PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: 'https://pp.example.org', MAIL_FROM: 'pp <digest@pp.example.org>' },
    ensureDataDir: false,
  });
  const deps = () => ({ db: fx.db, config, clock: () => new Date() });

  test('killed after the server accepted but before the row was marked sent: sent again, same Message-ID (at-least-once)', async () => {
    await seedPapers(fx.db, [DAY], 12);
    const [id] = await addSubscribers(fx.db, ['window@example.org']);
    const smtp = await SmtpCapture.start();
    const real = createMailer({ smtpUrl: smtp.url(), dataDir: '/nonexistent', from: config.mailFrom });
    // A mailer that "dies" right after the server's 250: the sender never gets to mark the row sent.
    const dying: Mailer = { ...real, send: async (m) => { await real.send(m); throw new Error('process killed'); } };
    try {
      await planDigests(deps(), { period: digestPeriod('daily', DAY), onlyEmail: 'window@example.org' });
      const first = createDigestSender(deps(), dying);
      await first.drain().catch(() => {});
      // The sender "died" holding the row: leave it 'sending' under a process that no longer exists.
      await fx.db.query(`UPDATE mail_outbox SET status = 'sending', claimed_by = 'gone-host:999999:dead', lease_until = now() - interval '1 second' WHERE subscription_id = $1`, [id]);
      const second = await createDigestSender(deps(), real).drain();
      assert.deepEqual([second.resent, second.sent], [1, 1]);
      assert.equal(smtp.accepted.length, 2, 'the receiving server got it twice');
      const [a, b] = await Promise.all(smtp.accepted.map((x) => messageIdOf(x.raw)));
      assert.equal(a, b, 'with one Message-ID, so the receiver can recognise the repeat');
    } finally {
      await real.close();
      await smtp.close();
    }
  });

  test('two senders at once: every subscriber exactly once', async () => {
    const N = 30;
    await fx.db.query('DELETE FROM subscriptions');
    await addSubscribers(fx.db, emails(N, 'pair'));
    const smtp = await SmtpCapture.start({ data: async () => (await wait(5), null) });
    // On a server each sender has its own connection pool; PGlite is one connection in one process.
    const other = fx.url ? await openDb({ databaseUrl: fx.url }) : fx.db;
    const mailers = [0, 1].map(() => createMailer({ smtpUrl: smtp.url(), dataDir: '/nonexistent', from: config.mailFrom }));
    try {
      await planDigests(deps(), { period: digestPeriod('daily', DAY) });
      const senders = [
        createDigestSender(deps(), mailers[0], { batchSize: 3 }),
        createDigestSender({ ...deps(), db: other }, mailers[1], { batchSize: 3 }),
      ];
      const results = await Promise.all(senders.map((s) => s.drain()));
      assert.equal(results[0].sent + results[1].sent, N);
      assert.ok(results[0].sent > 0 && results[1].sent > 0, `both senders worked: ${results.map((r) => r.sent).join(' + ')}`);
      const counts = smtp.countsByRecipient();
      assert.deepEqual(emails(N, 'pair').filter((e) => counts.get(e) !== 1), []);
    } finally {
      for (const m of mailers) await m.close();
      if (other !== fx.db) await other.close();
      await smtp.close();
    }
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
describe('two `digest send` processes on one PostgreSQL server', { skip: serverUrl ? false : 'skipped: TEST_DATABASE_URL is not set (needs a PostgreSQL server)' }, () => {
  test('both plan and send at once; every subscriber gets the digest exactly once', { timeout: 180_000 }, async () => {
    const N = 60;
    const created = await createServerDatabase(serverUrl!);
    const db = await openDb({ databaseUrl: created.url });
    const runs: Run[] = [];
    let smtp: SmtpCapture | null = null;
    try {
      await migrate(db);
      await seedPapers(db, [DAY], 12);
      await addSubscribers(db, emails(N, 'proc'));
      // Hold every message until both processes have claimed rows, so that they really overlap.
      const owners = async () => (await db.query<{ n: number }>(`SELECT count(DISTINCT split_part(claimed_by, ':', 2))::int AS n FROM mail_outbox WHERE claimed_by IS NOT NULL`))[0].n;
      let overlapping = false;
      smtp = await SmtpCapture.start({
        data: async () => {
          if (!overlapping) {
            await waitFor(async () => (await owners()) >= 2, 60_000, 'both processes to claim rows').catch(() => {});
            overlapping = true;
          }
          await wait(10);
          return null;
        },
      });
      const env = { DATABASE_URL: created.url, PAPERPULSE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'paperpulse-2p-')), SMTP_URL: smtp.url() };
      runs.push(startSend(env, ['--batch-size', '4']), startSend(env, ['--batch-size', '4']));
      const codes = await Promise.all(runs.map((r) => r.exited));
      assert.deepEqual(codes, [0, 0], runs.map((r) => r.output()).join('\n---\n'));
      const counts = smtp.countsByRecipient();
      assert.deepEqual(emails(N, 'proc').filter((e) => counts.get(e) !== 1).map((e) => `${e}: ${counts.get(e) ?? 0}`), []);
      assert.equal(smtp.accepted.length, N);
      const senders = await db.query<{ n: number }>(`SELECT count(DISTINCT split_part(claimed_by, ':', 2))::int AS n FROM mail_outbox WHERE status = 'sent'`);
      assert.equal(senders[0].n, 2, 'both processes delivered part of the run');
      const planned = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE kind = 'digest'`);
      assert.equal(planned[0].n, N, 'planned once per subscriber although both processes planned');
    } finally {
      for (const r of runs) r.child.kill('SIGKILL');
      await smtp?.close();
      await db.close();
      await created.drop();
    }
  });
});

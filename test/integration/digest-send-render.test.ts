// Digests are rendered when they are sent, not when they are planned: the outbox row holds about 1 kB
// (the papers, the links, the subject and headers), and the message that goes out is exactly the one
// rendering at planning time gives. The sender's fences are group-committed: fewer writes than
// messages, every row still marked once, failure counts reset in the same statements. On PGlite, and on the PostgreSQL server when
// TEST_DATABASE_URL is set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import type { Db, Queryable } from '../../src/db/client.ts';
import { asDigestContent } from '../../src/digest/content.ts';
import { createDigestSender, planDigests } from '../../src/digest/digest.service.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { renderDigest } from '../../src/digest/render.ts';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';
import { OutboxSender } from '../../src/mail/outbox.ts';
import { mailDomain } from '../../src/subscriptions/links.ts';
import { getSubscription } from '../../src/subscriptions/subscriptions.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { addSubscribers, DAY, seedPapers } from './digest-helpers.ts';

const config = loadConfig({
  env: { SECRET_KEY: 'r'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: 'https://pp.example.org', MAIL_FROM: 'pp <digest@pp.example.org>' },
  ensureDataDir: false,
});

/** A mailer that keeps what it is given and answers 250 at once. */
function capturingMailer(): Mailer & { messages: MailMessage[] } {
  const messages: MailMessage[] = [];
  return {
    kind: 'smtp',
    description: 'capture',
    messages,
    async send(m) {
      messages.push(m);
      await new Promise((r) => setImmediate(r));
      return { messageId: m.messageId!, response: '250 2.0.0 queued' };
    },
    async close() {},
  };
}

/** The database, counting the statements that start with each of the given prefixes (transactions as BEGIN). */
function counting(db: Db, prefixes: string[]): { db: Db; counts: Map<string, number> } {
  const counts = new Map(prefixes.map((p) => [p, 0]));
  const count = (sql: string) => {
    const flat = sql.replace(/\s+/g, ' ').trim();
    for (const p of prefixes) if (flat.startsWith(p)) counts.set(p, counts.get(p)! + 1);
  };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => (count(sql), q.query(sql, params)),
    exec: (sql) => q.exec(sql),
  });
  const wrapped: Db = {
    kind: db.kind,
    ...wrap(db),
    transaction: (fn) => (count('BEGIN'), db.transaction((tx) => fn(wrap(tx)))),
    hasVector: () => db.hasVector(),
    close: () => db.close(),
  };
  return { db: wrapped, counts };
}

forEachDatabase('digests rendered when sent', (fx) => {
  const clock = () => new Date('2025-07-03T02:00:00Z');

  test('the row is small; the message sent is the one planning would have rendered', async () => {
    await seedPapers(fx.db, [DAY], 15);
    const emails = Array.from({ length: 12 }, (_, i) => `render${i}@example.org`);
    await addSubscribers(fx.db, emails.slice(0, 6), { paperCount: 5 });
    await addSubscribers(fx.db, emails.slice(6), { categories: ['cs.CL'], keywords: ['speech recognition'] });
    const period = digestPeriod('daily', DAY);
    const deps = { db: fx.db, config, clock };
    const plan = await planDigests(deps, { period });
    assert.equal(plan.planned, 12);

    const rows = await fx.db.query<{ id: number; recipient: string; subject: string; message: Record<string, unknown> }>(
      `SELECT id, recipient, subject, message FROM mail_outbox WHERE kind = 'digest' ORDER BY id`,
    );
    for (const r of rows) {
      assert.equal(r.message.text, undefined, 'no rendered text stored');
      assert.equal(r.message.html, undefined, 'no rendered HTML stored');
      assert.ok(asDigestContent(r.message.content), 'what the message is made of');
      assert.match((r.message.headers as Record<string, string>)['List-Unsubscribe'], /^<https:\/\/pp\.example\.org\/unsubscribe\//);
      assert.ok(JSON.stringify(r.message).length < 1500, `${JSON.stringify(r.message).length} bytes`);
    }

    const mailer = capturingMailer();
    const sent = await createDigestSender(deps, mailer, { concurrency: 4 }).drain();
    assert.equal(sent.sent, 12);
    const papers = new Map(
      (await fx.db.query<{ id: string; title: string; authors: string[]; abstract: string }>('SELECT id, title, authors, abstract FROM papers')).map((p) => [p.id, p]),
    );
    for (const r of rows) {
      const content = asDigestContent(r.message.content)!;
      const expected = renderDigest({
        papers: content.papers.map(([id, upvotes]) => ({ ...papers.get(id)!, upvotes })),
        period,
        publicUrl: config.publicUrl,
        links: content.links,
        listDomain: mailDomain(config.mailFrom, config.publicUrl),
      });
      const m = mailer.messages.find((x) => x.to === r.recipient)!;
      assert.equal(m.subject, expected.subject);
      assert.equal(m.text, expected.text, `${r.recipient}: text part`);
      assert.equal(m.html, expected.html, `${r.recipient}: HTML part`);
      assert.deepEqual(m.headers, expected.headers);
    }
    const after = await fx.db.query<{ status: string; message: unknown; attempts: number }>(`SELECT status, message, attempts FROM mail_outbox WHERE kind = 'digest'`);
    assert.ok(after.every((r) => r.status === 'sent' && r.message === null && r.attempts === 1));
  });

  test('fences are group-committed: fewer writes than messages, each row marked once', async () => {
    await fx.db.query('DELETE FROM subscriptions');
    const emails = Array.from({ length: 40 }, (_, i) => `fence${i}@example.org`);
    const ids = await addSubscribers(fx.db, emails, { paperCount: 3 });
    await fx.db.query('UPDATE subscriptions SET permanent_failures = 2 WHERE id = $1', [ids[0]]);
    const deps = { db: fx.db, config, clock };
    assert.equal((await planDigests(deps, { period: digestPeriod('daily', DAY) })).planned, 40);
    const { db, counts } = counting(fx.db, ['WITH marked AS', `UPDATE mail_outbox SET status = 'sending'`, 'UPDATE subscriptions', 'BEGIN']);
    const mailer = capturingMailer();
    const sent = await createDigestSender({ ...deps, db }, mailer, { concurrency: 5, batchSize: 40 }).drain();
    assert.equal(sent.sent, 40);
    assert.equal(new Set(mailer.messages.map((m) => m.to)).size, 40);
    // Without grouping: 80 writes (each row once before SMTP, once after), 40 resets, 40 transactions.
    const [marks, sendingOnly, resets, transactions] = [...counts.values()];
    const seen = `${marks} writes marking sent (and sending), ${sendingOnly} marking sending only, ${resets} resets, ${transactions} transactions`;
    assert.ok(marks + sendingOnly <= 60, seen);
    assert.deepEqual([resets, transactions], [0, 0], `the reset of failures is part of the writes that mark rows sent (${seen})`);
    const rows = await fx.db.query<{ status: string; attempts: number; sent_at: Date | null; response: string }>(`SELECT status, attempts, sent_at, response FROM mail_outbox WHERE kind = 'digest' AND status <> 'sent' OR (kind = 'digest' AND (attempts <> 1 OR sent_at IS NULL))`);
    assert.deepEqual(rows, [], 'every row sent once, with its time and reply');
    assert.equal((await getSubscription(fx.db, ids[0]))?.permanentFailures, 0, 'a delivery ends a run of failures');
  });

  test('a sender without the digest renderer sends nothing and does not blame the address', async () => {
    await fx.db.query('DELETE FROM subscriptions');
    const [id] = await addSubscribers(fx.db, ['norender@example.org']);
    const deps = { db: fx.db, config, clock };
    await planDigests(deps, { period: digestPeriod('daily', DAY) });
    const mailer = capturingMailer();
    const summary = await new OutboxSender(fx.db, mailer, clock).drain();
    assert.deepEqual([summary.sent, summary.failed, mailer.messages.length], [0, 1, 0]);
    const [row] = await fx.db.query<{ status: string; response: string }>(`SELECT status, response FROM mail_outbox WHERE subscription_id = $1`, [id]);
    assert.equal(row.status, 'failed');
    assert.match(row.response, /no renderer/);
    assert.equal((await getSubscription(fx.db, id))?.permanentFailures, 0);
  });
});

// Digests end to end against an in-process SMTP server (smtp-server), parsed back with mailparser:
// both parts present, links valid and signed, one-click unsubscribe without cookies, nothing doubled on
// a second run, papers never repeated; 4xx retried with backoff, 5xx marked and the address stopped;
// the SMTP transport over STARTTLS with authentication and over implicit TLS. On PGlite, and on the
// PostgreSQL server when TEST_DATABASE_URL is set.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { createDigestSender, digestKey, planDigests } from '../../src/digest/digest.service.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { outboxCounts } from '../../src/mail/outbox.ts';
import { checkLinkToken, mailDomain, messageIdFor } from '../../src/subscriptions/links.ts';
import { getSubscription } from '../../src/subscriptions/subscriptions.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { addSubscribers, DAY, seedPapers, SmtpCapture } from './digest-helpers.ts';

const PUBLIC_URL = 'https://pp.example.org';

function makeConfig(smtpUrl: string | null): Config {
  return loadConfig({
    env: {
      SECRET_KEY: 's'.repeat(40),
      PAPERPULSE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'paperpulse-digest-')),
      PUBLIC_URL,
      MAIL_FROM: 'paperpulse <digest@pp.example.org>',
      SMTP_URL: smtpUrl ?? '',
      PAPERPULSE_HARVEST: 'false',
    },
    ensureDataDir: false,
  });
}

const pathOf = (url: string) => url.slice(PUBLIC_URL.length);
const linksIn = (text: string) => [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);

forEachDatabase('digest delivery', (fx) => {
  let smtp: SmtpCapture;
  let ctx: Context;
  let app: FastifyInstance;
  let clockMs = new Date('2025-07-03T02:00:00Z').getTime();
  const clock = () => new Date(clockMs);

  before(async () => {
    smtp = await SmtpCapture.start({
      rcpt: (a) => (a.startsWith('temp') && tempRefusals-- > 0 ? { code: 451, message: '4.7.1 Try again later' } : a.startsWith('bounce') ? { code: 550, message: '5.1.1 No such user' } : null),
    });
    ctx = await createContext(makeConfig(smtp.url()), { db: fx.db, clock });
    app = await buildApp(ctx);
    await seedPapers(fx.db, ['2025-07-01', DAY, '2025-07-03'], 15);
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
  });
  let tempRefusals = 0;

  test('each confirmed subscriber gets one multipart digest with valid, signed links; a second run sends nothing', async () => {
    const ids = await addSubscribers(fx.db, ['alice@example.org', 'bob@example.org'], { paperCount: 5 });
    const [carol] = await addSubscribers(fx.db, ['carol@example.org'], { categories: ['cs.CL'], keywords: ['speech recognition'] });
    await addSubscribers(fx.db, ['weekly@example.org'], { frequency: 'weekly' });
    await fx.db.query(`INSERT INTO subscriptions (email) VALUES ('pending@example.org')`); // never confirmed
    const period = digestPeriod('daily', DAY);
    const deps = { db: fx.db, config: ctx.config, clock };
    const plan = await planDigests(deps, { period });
    assert.equal(plan.subscribers, 3, 'confirmed daily subscribers only');
    assert.equal(plan.planned, 3);
    const mailer = createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
    const sent = await createDigestSender(deps, mailer).drain();
    assert.equal(sent.sent, 3);
    assert.deepEqual([...smtp.countsByRecipient().entries()].sort(), [['alice@example.org', 1], ['bob@example.org', 1], ['carol@example.org', 1]]);

    const messages = await smtp.parsed();
    for (const m of messages) {
      const to = (m.to as { value: { address: string }[] }).value[0].address;
      const sub = (await fx.db.query<{ id: number }>('SELECT id FROM subscriptions WHERE email = $1', [to]))[0];
      assert.equal(m.messageId, messageIdFor(digestKey(Number(sub.id), period), mailDomain(ctx.config.mailFrom, PUBLIC_URL), ctx.config.secretKey));
      assert.ok(m.text && m.text.length > 200, 'a plain-text part');
      assert.ok(typeof m.html === 'string' && m.html.includes('<table'), 'an HTML part');
      assert.match(m.subject ?? '', /^Trending papers, Wed 2 Jul: Paper 1 of 2025-07-02 on speech recognition and [24] more$/);
      const header = (name: string) => m.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ');
      assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const unsubscribeUrl = /<([^>]+)>/.exec(header('list-unsubscribe') ?? '')?.[1] ?? '';
      assert.ok(unsubscribeUrl.startsWith(`${PUBLIC_URL}/unsubscribe/`), unsubscribeUrl);
      // Every link in the text part is absolute; ours open pages, and the signed ones verify.
      const links = linksIn(m.text!);
      assert.ok(links.every((l) => l.startsWith(PUBLIC_URL) || l.startsWith('https://arxiv.org/')), links.join('\n'));
      for (const l of links.filter((x) => x.startsWith(`${PUBLIC_URL}/papers/`))) {
        assert.equal((await app.inject({ method: 'GET', url: pathOf(l) })).statusCode, 200, l);
      }
      const manage = links.find((l) => l.includes('/subscription/'))!;
      assert.equal(checkLinkToken(ctx.config, manage.split('/').pop(), 'manage', clock()).id, Number(sub.id));
      const prefs = await app.inject({ method: 'GET', url: pathOf(manage) });
      assert.equal(prefs.statusCode, 200);
      assert.ok(prefs.body.includes(to), 'the preferences page names the address');
      assert.equal(prefs.headers['referrer-policy'], 'no-referrer');
      assert.ok(links.includes(unsubscribeUrl), 'the visible unsubscribe link is the one in List-Unsubscribe');
    }
    // Carol asked for cs.CL papers about speech recognition: every paper she got matches.
    const carolMsg = messages.find((m) => (m.to as { text: string }).text.includes('carol'))!;
    assert.equal((carolMsg.text!.match(/^\d+\. /gm) ?? []).length, 3, 'the three cs.CL papers on speech recognition');
    assert.ok([...carolMsg.text!.matchAll(/^\d+\. (.*)$/gm)].every((x) => x[1].includes('speech recognition')));

    // Running again (a crashed cron job restarted, a second process): nothing is planned or sent twice.
    const again = await planDigests(deps, { period });
    assert.deepEqual([again.planned, again.alreadyPlanned], [0, 3]);
    assert.equal((await createDigestSender(deps, mailer).drain()).sent, 0);
    assert.equal(smtp.accepted.length, 3);

    // Alice switches to weekly: the week's digest leaves out the 5 papers she already had.
    await fx.db.query(`UPDATE subscriptions SET frequency = 'weekly' WHERE id = $1`, [ids[0]]);
    const week = await planDigests(deps, { period: digestPeriod('weekly', DAY), onlyEmail: 'alice@example.org', dryRun: true });
    const had = (await fx.db.query<{ paper_id: string }>('SELECT paper_id FROM digest_sent_papers WHERE subscription_id = $1', [ids[0]])).map((r) => r.paper_id);
    assert.equal(had.length, 5);
    assert.equal(week.previews[0].papers.length, 5);
    assert.ok(week.previews[0].papers.every((p) => !had.includes(p)), 'no paper twice to one subscriber');
    await mailer.close();
    void carol;
  });

  test('the one-click unsubscribe is a POST without cookies or CSRF token; queued digests are then cancelled', async () => {
    const [id] = await addSubscribers(fx.db, ['oneclick@example.org']);
    const plan = await planDigests({ db: fx.db, config: ctx.config, clock }, { period: digestPeriod('daily', '2025-07-03'), onlyEmail: 'oneclick@example.org' });
    assert.equal(plan.planned, 1);
    const row = (await fx.db.query<{ message: { headers: Record<string, string> } }>(`SELECT message FROM mail_outbox WHERE subscription_id = $1`, [id]))[0];
    const url = /<([^>]+)>/.exec(row.message.headers['List-Unsubscribe'])![1];
    // As Gmail and others send it (RFC 8058 3.1): urlencoded body, no cookie.
    const res = await app.inject({ method: 'POST', url: pathOf(url), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['set-cookie'], undefined, 'no cookie needed or set');
    assert.equal((await getSubscription(fx.db, id))?.status, 'unsubscribed');
    const status = (await fx.db.query<{ status: string }>(`SELECT status FROM mail_outbox WHERE subscription_id = $1`, [id]))[0].status;
    assert.equal(status, 'cancelled', 'the digest waiting in the outbox is not sent');
    assert.equal((await fx.db.query('SELECT 1 FROM digest_sent_papers WHERE subscription_id = $1', [id])).length, 0, 'its papers are given back');
    // Multipart bodies, and a repeated POST, work too.
    const again = await app.inject({ method: 'POST', url: pathOf(url), headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n' });
    assert.equal(again.statusCode, 200);
    // A tampered token changes nothing.
    const bad = await app.inject({ method: 'POST', url: pathOf(url).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) });
    assert.equal(bad.statusCode, 400);
  });

  test('4xx is retried with exponential backoff; 5xx fails at once, and after 3 the address is no longer mailed', async () => {
    const [temp] = await addSubscribers(fx.db, ['temp@example.org']);
    const [bounce] = await addSubscribers(fx.db, ['bounce@example.org']);
    const deps = { db: fx.db, config: ctx.config, clock };
    const mailer = createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
    const sender = createDigestSender(deps, mailer, { retryBaseMs: 60_000 });
    const before = smtp.accepted.length;
    tempRefusals = 2;
    const only = async (email: string, day: string) => planDigests(deps, { period: digestPeriod('daily', day), onlyEmail: email });
    await only('temp@example.org', '2025-07-01');
    await only('bounce@example.org', '2025-07-01');
    let s = await sender.drain();
    assert.deepEqual([s.sent, s.retried, s.failed], [0, 1, 1]);
    const row = async (sub: number) =>
      (await fx.db.query<{ status: string; attempts: number; next_attempt_at: Date; response: string }>(
        `SELECT status, attempts, next_attempt_at, response FROM mail_outbox WHERE subscription_id = $1 ORDER BY id DESC LIMIT 1`, [sub]))[0];
    let r = await row(temp);
    assert.equal(r.status, 'queued');
    assert.match(r.response, /451/);
    const delay1 = new Date(r.next_attempt_at).getTime() - clockMs;
    assert.ok(delay1 >= 48_000 && delay1 <= 72_000, `first retry after about a minute (${delay1} ms)`);
    assert.equal((await sender.drain()).sent, 0, 'not retried before it is due');
    clockMs += delay1;
    s = await sender.drain();
    r = await row(temp);
    const delay2 = new Date(r.next_attempt_at).getTime() - clockMs;
    assert.ok(delay2 >= 96_000 && delay2 <= 144_000, `the second retry waits twice as long (${delay2} ms)`);
    clockMs += delay2;
    s = await sender.drain();
    assert.equal(s.sent, 1);
    r = await row(temp);
    assert.deepEqual([r.status, r.attempts], ['sent', 3]);
    assert.equal(smtp.accepted.slice(before).filter((a) => a.to.includes('temp@example.org')).length, 1, 'delivered once');

    const b = await row(bounce);
    assert.equal(b.status, 'failed');
    assert.match(b.response, /550/);
    assert.equal((await getSubscription(fx.db, bounce))?.permanentFailures, 1);
    assert.equal((await fx.db.query('SELECT 1 FROM digest_sent_papers WHERE subscription_id = $1', [bounce])).length, 0, 'a failed digest gives its papers back');
    for (const day of [DAY, '2025-07-03']) {
      await only('bounce@example.org', day);
      await sender.drain();
    }
    const sub = await getSubscription(fx.db, bounce);
    assert.deepEqual([sub?.status, sub?.permanentFailures], ['bouncing', 3]);
    const next = await planDigests(deps, { period: digestPeriod('weekly', DAY), onlyEmail: 'bounce@example.org' });
    assert.equal(next.subscribers, 0, 'no more digests are planned for it');
    assert.equal(smtp.accepted.filter((a) => a.to.includes('bounce@example.org')).length, 0);
    const counts = await outboxCounts(fx.db);
    assert.equal(counts.claimed + counts.sending, 0, 'nothing left claimed');
    await mailer.close();
  });
});

test('SMTP transport: STARTTLS with authentication, implicit TLS, and a refused login kept for later', async () => {
  const auth = { user: 'pp user', pass: 'p@ss:w/rd' };
  const starttls = await SmtpCapture.start({ starttls: true, auth });
  const implicit = await SmtpCapture.start({ secure: true });
  try {
    const msg = { to: 'reader@example.org', subject: 'Hello', text: 'Hi', html: '<p>Hi</p>' };
    const a = createMailer({ smtpUrl: starttls.url('?requireTLS=true&tls.rejectUnauthorized=false'), dataDir: '/nonexistent', from: 'pp <pp@example.org>' });
    await a.send(msg);
    await a.close();
    assert.deepEqual(starttls.accepted[0].session, { secure: true, user: 'pp user' }, 'upgraded with STARTTLS, logged in with the percent-decoded credentials');
    const b = createMailer({ smtpUrl: implicit.url('?tls.rejectUnauthorized=false'), dataDir: '/nonexistent', from: 'pp <pp@example.org>' });
    await b.send(msg);
    await b.close();
    assert.equal(implicit.accepted[0].session.secure, true);
    const wrong = createMailer({ smtpUrl: starttls.url('?requireTLS=true&tls.rejectUnauthorized=false').replace('p%40ss', 'nope'), dataDir: '/nonexistent', from: 'pp <pp@example.org>' });
    await assert.rejects(wrong.send(msg), (err: Error & { temporary?: boolean }) => err.temporary === true, 'a bad login is the server configuration, not the recipient: temporary');
    await wrong.close();
  } finally {
    await starttls.close();
    await implicit.close();
  }
});

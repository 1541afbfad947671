// Subscribing through the pages (app.inject), with the embedded default transport (.eml files in
// <data dir>/outbox): double opt-in, nothing before confirmation, CSRF on every form, preferences,
// hostile input (line breaks, long text, bad addresses), rate limits per address and per client, and
// forgetting unconfirmed addresses after 7 days.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { planDigests } from '../../src/digest/digest.service.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { buildApp } from '../../src/http/app.ts';
import { deleteStalePending, getSubscriptionByEmail } from '../../src/subscriptions/subscriptions.repository.ts';
import { DAY, seedPapers } from './digest-helpers.ts';

const PUBLIC_URL = 'http://pp.test';
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', origin: PUBLIC_URL };

describe('subscribing through the pages', () => {
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let dataDir: string;
  let nowMs = new Date('2025-07-03T02:00:00Z').getTime();

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-subscribe-'));
    const config = loadConfig({
      env: { SECRET_KEY: 'q'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PUBLIC_URL, PAPERPULSE_HARVEST: 'false', MAIL_FROM: 'pp <digest@pp.test>' },
      ensureDataDir: false,
    });
    db = await openDb({ databaseUrl: null, pgliteDir: null });
    await migrate(db);
    await seedPapers(db, [DAY], 12);
    ctx = await createContext(config, { db, clock: () => new Date(nowMs) });
    app = await buildApp(ctx, { subscribe: { ipLimit: { limit: 15, windowMs: 10 * 60_000 } } });
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  /** The messages in the outbox directory for an address, parsed, oldest first. */
  async function mailTo(address: string) {
    const dir = path.join(dataDir, 'outbox');
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    } catch {
      return [];
    }
    const parsed = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(dir, f)))));
    return parsed.filter((m) => (m.to as { text: string } | undefined)?.text === address).sort((a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0));
  }

  const cookieOf = (res: LightMyRequestResponse) => String(res.headers['set-cookie'] ?? '').split(';')[0];
  const csrfIn = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
  const form = (fields: Record<string, string | string[]>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
    return p.toString();
  };
  const post = (url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form(fields) });

  test('every feed page has the subscribe box, posting to /subscribe', async () => {
    for (const url of ['/papers', `/papers/date/${DAY}`, '/papers/trending']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.body, /<form method="post" action="\/subscribe" class="search-form subscribe-form">/, url);
      assert.match(res.body, /<label for="subscribe-box-email" class="visually-hidden">Email address<\/label><input id="subscribe-box-email" type="email" name="email"/);
    }
  });

  test('subscribe, confirm from the emailed link (a GET changes nothing), change preferences, unsubscribe', async () => {
    // The box on a feed page: no token, accepted on the browser's same-origin headers.
    const res = await post('/subscribe', { email: ' Reader@Example.ORG ' }, SAME_ORIGIN);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.body, /Check your inbox/);
    assert.match(res.body, /reader@example\.org/);
    const sub = await getSubscriptionByEmail(db, 'reader@example.org');
    assert.equal(sub?.status, 'pending');

    // Nothing but the confirmation is sent before confirmation: a digest run leaves the address out.
    const plan = await planDigests({ db, config: ctx.config, clock: ctx.clock }, { period: digestPeriod('daily', DAY), dryRun: true });
    assert.equal(plan.previews.some((p) => p.email === 'reader@example.org'), false);

    const [confirmation] = await mailTo('reader@example.org');
    assert.ok(confirmation, 'a confirmation message in <data dir>/outbox');
    assert.equal(confirmation.subject, 'Confirm your paperpulse digest subscription');
    assert.ok(confirmation.text && typeof confirmation.html === 'string');
    const link = /http:\/\/pp\.test\/subscribe\/confirm\/\S+/.exec(confirmation.text!)![0];
    const page = await app.inject({ method: 'GET', url: link.slice(PUBLIC_URL.length) });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Confirm subscription/);
    assert.equal((await getSubscriptionByEmail(db, 'reader@example.org'))?.status, 'pending', 'opening the link (a mail scanner might) does not confirm');
    // A POST without the page's token (forged from elsewhere) is refused.
    const forged = await post(link.slice(PUBLIC_URL.length), {}, { origin: 'https://evil.example' });
    assert.equal(forged.statusCode, 403);
    const ok = await post(link.slice(PUBLIC_URL.length), { _csrf: csrfIn(page.body) }, { cookie: cookieOf(page) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match(ok.body, /is confirmed/);
    assert.equal((await getSubscriptionByEmail(db, 'reader@example.org'))?.status, 'confirmed');

    // Preferences, reached through the signed link on the confirmation page.
    const manage = /href="(\/subscription\/[^"]+)"/.exec(ok.body)![1];
    const prefs = await app.inject({ method: 'GET', url: manage });
    assert.equal(prefs.statusCode, 200);
    assert.equal(prefs.headers['cache-control'], 'no-store');
    assert.equal(prefs.headers['x-frame-options'], 'DENY');
    const token = csrfIn(prefs.body);
    const cookie = cookieOf(prefs);
    const bad = await post(manage, { _csrf: token, action: 'save', frequency: 'weekly', count: '500', keywords: 'x' }, { cookie });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /whole number from 1 to 50/);
    assert.match(bad.body, /aria-invalid="true"/);
    const saved = await post(
      manage,
      { _csrf: token, action: 'save', frequency: 'weekly', count: '7', categories: ['cs.CL'], other_categories: 'stat.ML', keywords: 'speech\r\nBcc: victim@example.org, "graph neural"' },
      { cookie },
    );
    assert.equal(saved.statusCode, 303);
    const after = await getSubscriptionByEmail(db, 'reader@example.org');
    assert.deepEqual(
      { frequency: after?.frequency, count: after?.paperCount, categories: after?.categories, keywords: after?.keywords },
      { frequency: 'weekly', count: 7, categories: ['cs.CL', 'stat.ML'], keywords: ['speech', 'Bcc: victim@example.org', 'graph neural'] },
      'line breaks separate keywords; nothing of them reaches a header',
    );
    const shown = await app.inject({ method: 'GET', url: saved.headers.location as string });
    assert.match(shown.body, /Your preferences are saved/);
    // Without the token (or with another visitor's), nothing changes.
    const noToken = await post(manage, { action: 'pause' }, { cookie, ...SAME_ORIGIN });
    assert.equal(noToken.statusCode, 403);
    assert.equal((await getSubscriptionByEmail(db, 'reader@example.org'))?.status, 'confirmed');
    const paused = await post(manage, { _csrf: token, action: 'pause' }, { cookie });
    assert.equal(paused.statusCode, 303);
    assert.equal((await getSubscriptionByEmail(db, 'reader@example.org'))?.status, 'paused');
    const left = await post(manage, { _csrf: token, action: 'unsubscribe' }, { cookie });
    assert.equal(left.statusCode, 303);
    assert.equal((await getSubscriptionByEmail(db, 'reader@example.org'))?.status, 'unsubscribed');
  });

  test('asking again for a subscribed address sends its preferences link, and the page says the same either way', async () => {
    await db.query(`INSERT INTO subscriptions (email, status, confirmed_at) VALUES ('known@example.org', 'confirmed', now())`);
    const a = await post('/subscribe', { email: 'known@example.org' }, SAME_ORIGIN);
    const b = await post('/subscribe', { email: 'unknown@example.org' }, SAME_ORIGIN);
    assert.equal(a.statusCode, 200);
    assert.equal(a.body.replace(/known@example\.org|unknown@example\.org/g, 'X'), b.body.replace(/known@example\.org|unknown@example\.org/g, 'X'));
    const [m] = await mailTo('known@example.org');
    assert.equal(m.subject, 'Your paperpulse digest preferences');
    assert.match(m.text!, /http:\/\/pp\.test\/subscription\/\S+/);
  });

  test('bad addresses get a clear message; hostile and long input never reaches a header or a 500', async () => {
    const cases: [string, RegExp][] = [
      ['not-an-address', /has no @/],
      ['victim@example.org\r\nBcc: everyone@example.org', /line breaks/],
      ['a@b', /not a mail domain/],
      ['"x" <x@example.org>', /just the address/],
      ['x'.repeat(4000), /too long/],
    ];
    for (const [email, message] of cases) {
      const res = await post('/subscribe', { email }, SAME_ORIGIN);
      assert.equal(res.statusCode, 400, email.slice(0, 40));
      assert.match(res.body, message);
      assert.match(res.body, /id="subscribe-email-error"/);
      assert.match(res.body, /aria-invalid="true"/);
    }
    const huge = await post('/subscribe', { email: 'x'.repeat(200_000) }, SAME_ORIGIN);
    assert.ok([400, 413].includes(huge.statusCode), `huge body: ${huge.statusCode}`);
    const json = await app.inject({ method: 'POST', url: '/subscribe', headers: { 'content-type': 'application/json', ...SAME_ORIGIN }, payload: '{"email": {"address": "a@example.org"}}' });
    assert.equal(json.statusCode, 400);
    const badToken = await app.inject({ method: 'GET', url: '/subscription/not.a.token' });
    assert.equal(badToken.statusCode, 400);
    assert.match(badToken.body, /link is not valid/);
    assert.equal((await db.query(`SELECT 1 FROM subscriptions WHERE email LIKE '%bcc%' OR email LIKE '%everyone%'`)).length, 0);
  });

  test('a form posted from another site is not acted on: the subscribe page asks again, with a token', async () => {
    const res = await post('/subscribe', { email: 'csrf@example.org' }, { origin: 'https://evil.example' });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /press Subscribe once more/);
    assert.equal(await getSubscriptionByEmail(db, 'csrf@example.org'), null);
    const again = await post('/subscribe', { email: 'csrf@example.org', _csrf: csrfIn(res.body) }, { cookie: cookieOf(res) });
    assert.equal(again.statusCode, 200);
    assert.equal((await getSubscriptionByEmail(db, 'csrf@example.org'))?.status, 'pending');
  });

  test('rate limits: per address (a clear 429 page with Retry-After), then per client address', async () => {
    const first = await post('/subscribe', { email: 'limited@example.org' }, SAME_ORIGIN);
    assert.equal(first.statusCode, 200);
    const second = await post('/subscribe', { email: 'limited@example.org' }, SAME_ORIGIN);
    assert.equal(second.statusCode, 429);
    assert.match(second.body, /Too many subscription requests/);
    assert.ok(Number(second.headers['retry-after']) > 0);
    assert.equal((await mailTo('limited@example.org')).length, 1, 'one message, not two');
    nowMs += 61_000;
    assert.equal((await post('/subscribe', { email: 'limited@example.org' }, SAME_ORIGIN)).statusCode, 200, 'allowed again a minute later');
    // The client limit (15 in ten minutes in this test) counts every request from one address.
    let status = 200;
    for (let i = 0; i < 10 && status !== 429; i++) status = (await post('/subscribe', { email: `flood${i}@example.org` }, SAME_ORIGIN)).statusCode;
    assert.equal(status, 429);
  });

  test('an address not confirmed within 7 days is forgotten, with its queued mail', async () => {
    const before = await getSubscriptionByEmail(db, 'csrf@example.org');
    assert.equal(before?.status, 'pending');
    assert.equal(await deleteStalePending(db, new Date(nowMs + 6 * 86_400_000)), 0);
    const n = await deleteStalePending(db, new Date(nowMs + 8 * 86_400_000));
    assert.ok(n >= 1);
    assert.equal(await getSubscriptionByEmail(db, 'csrf@example.org'), null);
    assert.equal((await db.query(`SELECT 1 FROM mail_outbox WHERE recipient = 'csrf@example.org'`)).length, 0);
    assert.ok(await getSubscriptionByEmail(db, 'known@example.org'), 'confirmed addresses stay');
  });
});

// The digest subscription in a real Chromium: subscribe from the box on a feed page, confirm through the
// link in the emailed .eml file, change preferences, pause, and unsubscribe through a digest's link;
// the pages pass axe-core (WCAG 2.1 A/AA). Skips with a reason when /usr/bin/chromium is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createDigestSender, planDigests } from '../../src/digest/digest.service.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { getSubscriptionByEmail } from '../../src/subscriptions/subscriptions.repository.ts';
import { axeViolations, DAYS, formatViolations, launchChromium, NOW, seedRecords, skipWithoutChromium } from '../helpers/browser.ts';

const EMAIL = 'reader@example.org';

describe('subscribing in Chromium', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-subscribe-browser-'));
    const config = loadConfig({
      env: { SECRET_KEY: 'b'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
      ensureDataDir: false,
    });
    db = await openDb({ databaseUrl: null, pgliteDir: null });
    await migrate(db);
    await db.transaction((tx) => writePapers(tx, seedRecords()));
    await db.query(`UPDATE papers SET upvotes = (right(id, 2)::int * 7) % 23, trending_score = (right(id, 2)::int * 7) % 23`);
    ctx = await createContext(config, { db, clock: () => NOW });
    app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // Links in mail are absolute, from PUBLIC_URL: the address the site really has in this test.
    ctx.config.publicUrl = base;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.close();
  });

  async function mailTo(address: string): Promise<ParsedMail[]> {
    const dir = path.join(dataDir, 'outbox');
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    const all = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(dir, f)))));
    return all.filter((m) => (m.to as { text: string }).text === address);
  }

  async function expectAxeClean(page: Page, what: string): Promise<void> {
    const v = await axeViolations(page);
    assert.equal(v.length, 0, `${what}:\n${formatViolations(v)}`);
  }

  test('subscribe from a feed page, confirm by email, change preferences, unsubscribe', async () => {
    const context = await browser.newContext({ reducedMotion: 'reduce' });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${base}/papers/date/${DAYS[1]}`);
      await expectAxeClean(page, 'feed page with the subscribe box');
      // A malformed address is refused with a message next to the field.
      await page.fill('#subscribe-box-email', 'not-an-address');
      await page.$eval('form.subscribe-form', (f) => (f as HTMLFormElement).noValidate = true);
      await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('form.subscribe-form button[type="submit"]')]);
      assert.match((await page.textContent('#subscribe-email-error')) ?? '', /has no @/);
      assert.equal(await page.getAttribute('#subscribe-email', 'aria-invalid'), 'true');
      await expectAxeClean(page, 'subscribe page with an error');

      await page.goto(`${base}/papers`);
      await page.fill('#subscribe-box-email', EMAIL);
      await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('form.subscribe-form button[type="submit"]')]);
      assert.match((await page.textContent('main h1')) ?? '', /Check your inbox/);
      assert.equal((await getSubscriptionByEmail(db, EMAIL))?.status, 'pending');

      const [confirmation] = await mailTo(EMAIL);
      const link = new RegExp(`${base.replace(/[.]/g, '\\.')}/subscribe/confirm/\\S+`).exec(confirmation.text ?? '')?.[0];
      assert.ok(link, `the confirmation message has the link:\n${confirmation.text}`);
      await page.goto(link);
      await expectAxeClean(page, 'confirmation page');
      await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Confirm subscription")')]);
      assert.match((await page.textContent('main')) ?? '', /is confirmed/);
      assert.equal((await getSubscriptionByEmail(db, EMAIL))?.status, 'confirmed');

      await Promise.all([page.waitForURL(/\/subscription\//), page.click('text=Choose how often')]);
      await expectAxeClean(page, 'preferences page');
      await page.check('input[name="frequency"][value="weekly"]');
      await page.fill('#pref-count', '5');
      await page.check('input[name="categories"][value="cs.CL"]');
      await page.fill('#pref-keywords', 'attention, sparse retrieval');
      await Promise.all([page.waitForURL(/done=saved/), page.click('button[value="save"]')]);
      assert.match((await page.textContent('main [role="status"]')) ?? '', /saved/);
      assert.equal(await page.isChecked('input[name="frequency"][value="weekly"]'), true, 'the page shows what was saved');
      const saved = await getSubscriptionByEmail(db, EMAIL);
      assert.deepEqual([saved?.frequency, saved?.paperCount, saved?.categories, saved?.keywords], ['weekly', 5, ['cs.CL'], ['attention', 'sparse retrieval']]);

      await Promise.all([page.waitForURL(/done=paused/), page.click('button[value="pause"]')]);
      assert.equal((await getSubscriptionByEmail(db, EMAIL))?.status, 'paused');
      await Promise.all([page.waitForURL(/done=resumed/), page.click('button[value="resume"]')]);
      assert.equal((await getSubscriptionByEmail(db, EMAIL))?.status, 'confirmed');
      await expectAxeClean(page, 'preferences page with a notice');

      // A weekly digest arrives (as an .eml file); its visible unsubscribe link leads to a one-button page.
      await db.query(`UPDATE subscriptions SET categories = '{}', keywords = '{}' WHERE email = $1`, [EMAIL]);
      const deps = { db, config: ctx.config, clock: ctx.clock };
      assert.equal((await planDigests(deps, { period: digestPeriod('weekly', DAYS[1]) })).planned, 1);
      const mailer = createMailer({ smtpUrl: null, dataDir, from: ctx.config.mailFrom });
      assert.equal((await createDigestSender(deps, mailer).drain()).sent, 1);
      const digest = (await mailTo(EMAIL)).find((m) => m.subject?.startsWith('Trending papers'));
      assert.ok(digest && typeof digest.html === 'string', 'a digest with an HTML part');
      const unsubscribe = /href="([^"]*\/unsubscribe\/[^"]+)"/.exec(digest.html as string)![1];
      await page.goto(unsubscribe);
      await expectAxeClean(page, 'unsubscribe page');
      await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Unsubscribe")')]);
      assert.match((await page.textContent('main h1')) ?? '', /You are unsubscribed/);
      assert.equal((await getSubscriptionByEmail(db, EMAIL))?.status, 'unsubscribed');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the subscribe box works too', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/papers/trending`);
      await page.fill('#subscribe-box-email', 'nojs@example.org');
      await Promise.all([page.waitForURL(`${base}/subscribe`), page.press('#subscribe-box-email', 'Enter')]);
      assert.match((await page.textContent('main h1')) ?? '', /Check your inbox/);
      assert.equal((await getSubscriptionByEmail(db, 'nojs@example.org'))?.status, 'pending');
    } finally {
      await context.close();
    }
  });
});

// Upvoting in a real Chromium: sign in by the emailed link (read from the outbox .eml), upvote a paper on a
// day's list without a page load (the count and aria-pressed change, the page stays the same document,
// the change is announced), reload and see the upvote kept, take it back with the keyboard; an anonymous
// visitor's press goes to sign in; the pages pass axe-core with a pressed button. Skips with a reason when
// /usr/bin/chromium is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { getPaperCounts } from '../../src/feed/votes.repository.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { axeViolations, DAYS, formatViolations, idsOfDay, launchChromium, NOW, seedRecords, skipWithoutChromium } from '../helpers/browser.ts';

const EMAIL = 'voter@example.org';
const DAY = DAYS[1];
const PAPER = idsOfDay(DAY)[2];

describe('upvoting in Chromium', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-votes-browser-'));
    const config = loadConfig({
      env: { SECRET_KEY: 'v'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
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

  async function signInLink(): Promise<string> {
    const dir = path.join(dataDir, 'outbox');
    const mails = await Promise.all(readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => simpleParser(readFileSync(path.join(dir, f)))));
    const text = mails.filter((m) => (m.to as { text: string }).text === EMAIL).map((m) => m.text ?? '').join('\n');
    const link = new RegExp(`${base.replace(/[.]/g, '\\.')}/signin/[A-Za-z0-9_-]+`).exec(text)?.[0];
    assert.ok(link, `the sign-in message has the link:\n${text}`);
    return link!;
  }

  /** The state of a paper's upvote button as the page shows it. */
  const state = (page: Page, id: string) =>
    page.$eval(`button.upvote-button[data-paper-id="${id}"]`, (b) => ({
      pressed: b.getAttribute('aria-pressed'),
      count: Number(b.querySelector('.upvote-count')?.textContent),
      text: (b.textContent ?? '').replace(/\s+/g, ' ').trim(),
      action: b.closest('form')?.getAttribute('action'),
    }));

  const announced = (page: Page, text: string) =>
    page.waitForFunction((t) => document.getElementById('live-announcer')?.textContent === t, text, { timeout: 5000 });

  test('sign in, upvote on the feed without a page load, reload to see it kept, take it back with the keyboard', async () => {
    const context = await browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    try {
      // Sign in by the emailed link, coming back to the day's list.
      await page.goto(`${base}/signin?next=${encodeURIComponent(`/papers/date/${DAY}`)}`);
      await page.fill('#signin-email', EMAIL);
      await Promise.all([page.waitForURL(`${base}/signin`), page.click('main form button[type="submit"]')]);
      await page.goto(await signInLink());
      await page.fill('#signup-username', 'voter');
      await Promise.all([page.waitForURL(`${base}/papers/date/${DAY}`), page.click('button:has-text("Create account")')]);
      assert.ok(await page.getAttribute('html', 'data-csrf'), 'the page carries the session token for the script');

      const before = await state(page, PAPER);
      const start = (await getPaperCounts(db, PAPER))!.upvotes;
      assert.deepEqual([before.pressed, before.count, before.action], ['false', start, `/papers/${PAPER}/upvote`]);
      assert.match(before.text, new RegExp(`^▲ Upvote, ${start} upvotes?$`));

      // Upvote: the same document stays (a marker survives, no navigation happens), the button changes.
      const navigations: string[] = [];
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations.push(f.url());
      });
      await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
      const voteResponse = page.waitForResponse((r) => r.url().endsWith(`/papers/${PAPER}/upvote`) && r.request().method() === 'POST');
      await page.click(`button.upvote-button[data-paper-id="${PAPER}"]`);
      assert.equal((await voteResponse).status(), 200);
      await page.waitForSelector(`button.upvote-button[data-paper-id="${PAPER}"][aria-pressed="true"]`);
      const up = await state(page, PAPER);
      assert.deepEqual([up.pressed, up.count, up.action], ['true', start + 1, `/papers/${PAPER}/unvote`]);
      await announced(page, `Upvoted. ${start + 1} upvotes.`);
      assert.equal(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage), true, 'no page load');
      assert.deepEqual(navigations, [], 'no navigation');
      assert.equal((await getPaperCounts(db, PAPER))!.upvotes, start + 1, 'counted in the database');

      // A pressed button passes axe-core too (contrast of the filled state, names, roles).
      const v = await axeViolations(page);
      assert.equal(v.length, 0, formatViolations(v));

      // Reload: the page is rendered for her and shows her upvote.
      await page.reload();
      const kept = await state(page, PAPER);
      assert.deepEqual([kept.pressed, kept.count], ['true', start + 1]);

      // Take it back with the keyboard: Tab from the card's title reaches the button, which shows its focus.
      await page.focus(`.paper-card[data-paper-id="${PAPER}"] .paper-title a`);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        const style = el ? getComputedStyle(el) : null;
        return { id: el?.dataset.paperId, isButton: el?.matches('button.upvote-button'), outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '' };
      });
      assert.deepEqual([focused.isButton, focused.id], [true, PAPER], 'Tab goes from the title to the upvote button');
      assert.equal(focused.outline, 'solid 3px', 'the focused button is outlined');
      await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
      navigations.length = 0;
      await page.keyboard.press('Enter');
      await page.waitForSelector(`button.upvote-button[data-paper-id="${PAPER}"][aria-pressed="false"]`);
      const down = await state(page, PAPER);
      assert.deepEqual([down.pressed, down.count, down.action], ['false', start, `/papers/${PAPER}/upvote`]);
      await announced(page, `Upvote removed. ${start} ${start === 1 ? 'upvote' : 'upvotes'}.`);
      assert.equal(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage), true, 'no page load');
      assert.deepEqual(navigations, []);
      assert.equal((await getPaperCounts(db, PAPER))!.upvotes, start);
      assert.equal(await page.evaluate(() => document.activeElement?.matches('button.upvote-button')), true, 'focus stays on the button');

      await page.reload();
      assert.equal((await state(page, PAPER)).pressed, 'false');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('an anonymous visitor who presses the button is taken to sign in, and back to the card', async () => {
    const context = await browser.newContext({ reducedMotion: 'reduce' });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    try {
      await page.goto(`${base}/papers/date/${DAY}`);
      assert.equal(await page.getAttribute('html', 'data-csrf'), null);
      await Promise.all([page.waitForURL(/\/signin\?next=/), page.click(`button.upvote-button[data-paper-id="${PAPER}"]`)]);
      assert.equal(new URL(page.url()).searchParams.get('next'), `/papers/date/${DAY}#paper-${PAPER}`);
      assert.ok(await page.isVisible('#signin-email'));
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the button is a form: the anonymous press also goes to sign in', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    try {
      await page.goto(`${base}/papers/date/${DAY}`);
      await Promise.all([page.waitForURL(/\/signin\?next=/), page.click(`button.upvote-button[data-paper-id="${PAPER}"]`)]);
      assert.equal(new URL(page.url()).searchParams.get('next'), `/papers/date/${DAY}#paper-${PAPER}`);
    } finally {
      await context.close();
    }
  });
});

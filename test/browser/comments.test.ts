// Comments in a real Chromium, under the site's own Content-Security-Policy: a member signs up from the
// paper page's "Sign in to comment" link (the link is read from the .eml file the embedded mail
// transport writes), comments in Markdown, replies; hostile text stays text; a moderator hides the reply
// with a reason, with JavaScript off (the controls are plain <details> and forms). The page passes
// axe-core (WCAG 2.1 A/AA). Skips with a reason when /usr/bin/chromium is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { axeViolations, formatViolations, idsOfDay, launchChromium, NOW, seedRecords, skipWithoutChromium } from '../helpers/browser.ts';

const PAPER = idsOfDay('2025-07-03')[0];

describe('comments in Chromium', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-comments-browser-'));
    const config = loadConfig({
      env: { SECRET_KEY: 'k'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
      ensureDataDir: false,
    });
    db = await openDb({ databaseUrl: null, pgliteDir: null });
    await migrate(db);
    await db.transaction((tx) => writePapers(tx, seedRecords()));
    ctx = await createContext(config, { db, clock: () => NOW });
    app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    ctx.config.publicUrl = base;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.close();
  });

  /** The sign-in link of the newest message to the address. */
  async function latestLink(email: string): Promise<string> {
    const dir = path.join(dataDir, 'outbox');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => ({ f, t: statSync(path.join(dir, f), { bigint: true }).mtimeNs }))
      .sort((a, b) => (a.t < b.t ? 1 : a.t > b.t ? -1 : 0));
    for (const { f } of files) {
      const mail = await simpleParser(readFileSync(path.join(dir, f)));
      if ((mail.to as { text: string }).text !== email) continue;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/signin\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '');
      if (m) return m[1];
    }
    throw new Error(`no sign-in link in the outbox for ${email}`);
  }

  /** Fails on page errors (a CSP violation included) and on any dialog (an alert() that ran). */
  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    return problems;
  }

  /** Creates an account from the sign-in form at its current page; ends back where `next` pointed. */
  async function signUpOn(page: Page, email: string, username: string, displayName: string): Promise<void> {
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('a sign-in link is on its way').waitFor();
    await page.goto(await latestLink(email));
    await page.getByLabel(/^Username/).fill(username);
    await page.getByLabel(/^Display name/).fill(displayName);
    await page.getByRole('button', { name: 'Create account' }).click();
  }

  test('sign in from the paper page, comment, reply; a moderator hides the reply without JavaScript', async () => {
    let member: BrowserContext | null = null;
    let moderator: BrowserContext | null = null;
    try {
      member = await browser.newContext();
      const page = await member.newPage();
      page.setDefaultTimeout(10_000);
      const problems = watch(page);

      await page.goto(`${base}/papers/${PAPER}`);
      await page.getByRole('link', { name: 'Sign in to comment' }).click();
      await page.waitForURL(/\/signin\?next=/);
      await signUpOn(page, 'ada@example.org', 'ada', 'Ada Lovelace');
      await page.waitForURL(`${base}/papers/${PAPER}#comments`);

      // A comment in Markdown, with a script that must stay text.
      await page.getByLabel('Add a comment').fill('**Great** results.\n\n<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">');
      await page.getByRole('button', { name: 'Post comment' }).click();
      await page.waitForURL(/#comment-\d+$/);
      const first = page.locator('.comment').first();
      assert.equal(await first.locator('.comment-body strong').textContent(), 'Great');
      assert.match((await first.locator('.comment-body').textContent()) ?? '', /<script>window\.__pwned = 1<\/script>/);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.equal(await page.locator('.comment-body img, .comment-body script').count(), 0);

      // Reply: opening it focuses the text box (the small client script), then post.
      await first.locator('summary', { hasText: 'Reply' }).click();
      const replyBox = first.getByLabel(/^Reply to Ada Lovelace/);
      await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA');
      await replyBox.fill('Answering myself: see https://example.org/appendix');
      await first.getByRole('button', { name: 'Post reply' }).click();
      await page.waitForURL(/#comment-\d+$/);
      const reply = page.locator('.comment-replies .comment').first();
      assert.match((await reply.textContent()) ?? '', /Answering myself/);
      assert.equal(await reply.locator('a[href="https://example.org/appendix"]').getAttribute('rel'), 'nofollow ugc noopener');
      assert.equal(await page.locator('#comments-title').textContent(), 'Comments (2 comments)');
      const replyId = await reply.getAttribute('data-comment-id');

      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], formatViolations(violations));
      assert.deepEqual(problems, []);

      // The moderator, with JavaScript off.
      moderator = await browser.newContext({ javaScriptEnabled: false });
      const mod = await moderator.newPage();
      mod.setDefaultTimeout(10_000);
      await mod.goto(`${base}/signin?next=${encodeURIComponent(`/papers/${PAPER}`)}`);
      await signUpOn(mod, 'mo@example.org', 'mo', 'Mo Derator');
      await mod.waitForURL(`${base}/papers/${PAPER}`);
      assert.equal(await mod.locator('.comment-hide').count(), 0, 'members get no Hide control');
      await db.query(`UPDATE users SET role = 'moderator' WHERE username = 'mo'`);
      await mod.reload();
      const target = mod.locator(`#comment-${replyId}`);
      await target.locator('summary', { hasText: 'Hide' }).click();
      await target.getByLabel(/^Reason/).fill('Off-topic <here>');
      await target.getByRole('button', { name: 'Hide comment' }).click();
      await mod.waitForURL(new RegExp(`#comment-${replyId}$`));
      assert.match((await mod.locator(`#comment-${replyId} .comment-hidden`).textContent()) ?? '', /^Hidden by a moderator: Off-topic <here>$/);

      // Everyone else sees the reason in place of the reply.
      await page.goto(`${base}/papers/${PAPER}`);
      const hidden = page.locator(`#comment-${replyId}`);
      assert.equal(await hidden.locator('.comment-hidden').textContent(), 'Hidden by a moderator: Off-topic <here>');
      assert.doesNotMatch((await hidden.textContent()) ?? '', /Answering myself/);
      assert.equal(await page.locator('#comments-title').textContent(), 'Comments (1 comment)');
      assert.deepEqual(problems, []);
    } finally {
      await member?.close();
      await moderator?.close();
    }
  });
});

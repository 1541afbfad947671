// Submitting a paper in a real Chromium: the header's Submit link sends a visitor to sign in (the link is
// read from the .eml file the embedded mail transport writes), back to the form, the paper goes onto
// today's list and shows there with the submitter and the note; a second try is refused with a link to
// the entry. The form passes axe-core (WCAG 2.1 A/AA). Skips with a reason when /usr/bin/chromium is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { axeViolations, formatViolations, launchChromium, NOW, OLDER_ID, seedRecords, skipWithoutChromium } from '../helpers/browser.ts';

const EMAIL = 'ada@example.org';
// NOW is Thursday 2025-07-03, 18:00 in New York: the current list is Thursday's, the last seeded day.
const TODAY = '2025-07-03';
const NOTE = 'Worth a second look <b>today</b>';

describe('submitting a paper in Chromium', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-submit-browser-'));
    const config = loadConfig({
      env: { SECRET_KEY: 's'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
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
  async function latestLink(): Promise<string> {
    const dir = path.join(dataDir, 'outbox');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => ({ f, t: statSync(path.join(dir, f), { bigint: true }).mtimeNs }))
      .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    for (const { f } of files.reverse()) {
      const mail = await simpleParser(readFileSync(path.join(dir, f)));
      if ((mail.to as { text: string }).text !== EMAIL) continue;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/signin\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '');
      if (m) return m[1];
    }
    throw new Error('no sign-in link in the outbox');
  }

  test('sign in from the Submit link, submit an older paper, see it on today’s list', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${base}/papers`);
      assert.equal(await page.locator(`[data-paper-id="${OLDER_ID}"]`).count(), 0, 'the older paper is not on today’s list yet');
      await page.locator('.site-header').getByRole('link', { name: 'Submit', exact: true }).click();
      await page.waitForURL(/\/signin\?next=%2Fsubmit$/);
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByLabel('Email address').press('Enter');
      await page.getByText('a sign-in link is on its way').waitFor();

      await page.goto(await latestLink());
      await page.getByLabel(/^Username/).fill('ada');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${base}/submit`);

      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], formatViolations(violations));
      await page.getByLabel('arXiv identifier or link').fill(`https://arxiv.org/abs/${OLDER_ID}v1`);
      await page.getByLabel(/^Note/).fill(NOTE);
      await page.getByRole('button', { name: 'Submit', exact: true }).click();
      await page.waitForURL(new RegExp(`/papers/${OLDER_ID.replace('.', '\\.')}\\?submitted=\\d+#submissions$`));
      const thanks = page.getByRole('status').filter({ hasText: 'Thank you' });
      await thanks.waitFor();

      // Today's list, from the thanks' link and as /papers (the latest day).
      await thanks.getByRole('link').click();
      await page.waitForURL(`${base}/papers/date/${TODAY}`);
      for (const url of [`${base}/papers/date/${TODAY}`, `${base}/papers`]) {
        await page.goto(url);
        const card = page.locator(`article.paper-card[data-paper-id="${OLDER_ID}"]`);
        assert.equal(await card.count(), 1, `${url} lists the submitted paper once`);
        const line = (await card.locator('.submitted-by').textContent())?.replace(/\s+/g, ' ').trim();
        // (The note is a <q>: its quotation marks come from CSS, not the text.)
        assert.equal(line, `Submitted by @ada: ${NOTE}`, url);
      }
      // The same paper again: refused, with a link to the entry.
      await page.goto(`${base}/submit`);
      await page.getByLabel('arXiv identifier or link').fill(OLDER_ID);
      await page.getByRole('button', { name: 'Submit', exact: true }).click();
      await page.getByRole('heading', { name: /Already on the list/ }).waitFor();
      await page.getByRole('link', { name: 'See the existing entry' }).click();
      await page.waitForURL(new RegExp(`/papers/${OLDER_ID.replace('.', '\\.')}#submissions$`));
      assert.ok((await page.locator('#submissions').textContent())?.includes('@ada'));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});

// Signing up, out and in with a one-time email link in a real Chromium: the link is read from the .eml
// file the embedded mail transport writes. The account pages pass axe-core (WCAG 2.1 A/AA) and work
// with the keyboard. Skips with a reason when /usr/bin/chromium is absent.
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
import { axeViolations, formatViolations, launchChromium, NOW, seedRecords, skipWithoutChromium } from '../helpers/browser.ts';

const EMAIL = 'grace@example.org';

describe('signing in with an email link in Chromium', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;
  let offsetMs = 0;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-signin-browser-'));
    const config = loadConfig({
      env: { SECRET_KEY: 'c'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
      ensureDataDir: false,
    });
    db = await openDb({ databaseUrl: null, pgliteDir: null });
    await migrate(db);
    await db.transaction((tx) => writePapers(tx, seedRecords()));
    ctx = await createContext(config, { db, clock: () => new Date(NOW.getTime() + offsetMs) });
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

  test('sign up from the header, sign out, sign in again, and a used link is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${base}/papers/trending`);
      await page.getByRole('link', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(/\/signin$/);
      const signinViolations = await axeViolations(page);
      assert.deepEqual(signinViolations, [], formatViolations(signinViolations));

      // Keyboard only: type the address and press Enter.
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByLabel('Email address').press('Enter');
      await page.getByText('a sign-in link is on its way').waitFor();

      const link = await latestLink();
      await page.goto(link);
      await page.getByRole('heading', { name: /Create your account/ }).waitFor();
      await page.getByLabel(/^Username/).fill('grace');
      await page.getByLabel(/^Display name/).fill('Grace Hopper');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(/\/settings$/);
      const settingsViolations = await axeViolations(page);
      assert.deepEqual(settingsViolations, [], formatViolations(settingsViolations));
      assert.equal(await page.locator('.site-header').getByRole('link', { name: '@grace' }).count(), 1, 'the header shows the member');

      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'pp_session');
      assert.ok(session, 'a session cookie');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(await page.evaluate(() => document.cookie.includes('pp_session')), false, 'scripts cannot read it');

      await page.goto(`${base}/papers/trending`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('.site-header').getByRole('link', { name: 'Sign in', exact: true }).count(), 1, 'signed out');

      // Signing in again (later: one link a minute per address): the link of an existing account asks
      // to confirm, then returns to the page.
      offsetMs += 5 * 60_000;
      await page.goto(`${base}/signin?next=%2Fpapers%2Ftrending`);
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('a sign-in link is on its way').waitFor();
      const second = await latestLink();
      assert.notEqual(second, link);
      await page.goto(second);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/papers/trending`);
      assert.equal(await page.locator('.site-header').getByRole('link', { name: '@grace' }).count(), 1);

      const replay = await page.goto(second);
      assert.equal(replay?.status(), 410);
      assert.ok((await page.textContent('main'))?.includes('already used'));
    } finally {
      await context.close();
    }
  });
});

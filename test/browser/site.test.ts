// The Daily Papers site in a real Chromium: keyboard navigation, theme, help dialog, copy button, the
// site without JavaScript, accessibility (axe-core, WCAG 2.1 A/AA, light and dark), the JavaScript
// budget, layout stability and screenshots at phone and desktop widths.
// Skips with a reason when /usr/bin/chromium is absent (.ci/run installs it).
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { clientScriptBytes } from '../../src/http/web/client-bundle.ts';
import {
  axeViolations,
  DAYS,
  formatViolations,
  HOSTILE_ID,
  HOSTILE_TITLE,
  idsOfDay,
  launchChromium,
  OLDER_ID,
  SEARCH_ID,
  SEARCH_WORD,
  skipWithoutChromium,
  startSite,
  type Site,
} from '../helpers/browser.ts';
import { projectRoot } from '../helpers/shared.ts';

const SCREENSHOT_DIR = path.join(projectRoot, 'test-artifacts', 'screenshots');
const JS_BUDGET_BYTES = 50 * 1024;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
// The policy the site is meant to run under later: scripts only from its own origin, nothing inline.
const CSP = "script-src 'self'; object-src 'none'";

const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

describe('the site in Chromium', { skip: skipWithoutChromium }, () => {
  let site: Site;
  let browser: Browser;

  before(async () => {
    [site, browser] = await Promise.all([startSite(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  /**
   * Runs fn with a page in a fresh browser context whose HTML responses carry a strict CSP. Fails the
   * test on any uncaught page error, CSP violation or alert/confirm dialog.
   */
  async function withPage(
    opts: BrowserContextOptions,
    fn: (page: Page, context: BrowserContext) => Promise<void>,
  ): Promise<void> {
    const context = await browser.newContext({ reducedMotion: 'reduce', viewport: DESKTOP, ...opts });
    const problems: string[] = [];
    let closing = false;
    try {
      await context.exposeBinding('__reportCsp', (_source, message: string) => problems.push(`CSP violation: ${message}`));
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const report = (window as unknown as { __reportCsp: (m: string) => void }).__reportCsp;
          report(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} (${e.sourceFile}:${e.lineNumber})`);
        });
      });
      await context.route(`${site.baseUrl}/**`, async (route) => {
        try {
          const res = await route.fetch({ maxRedirects: 0 });
          const headers = res.headers();
          // (axe-core is injected as an inline script: that context bypasses the policy.)
          if (!opts.bypassCSP && (headers['content-type'] ?? '').startsWith('text/html')) headers['content-security-policy'] = CSP;
          await route.fulfill({ response: res, headers });
        } catch {
          // The page moved on or closed while this request was in flight (a favicon after the test's
          // last step): nothing waits for it. Any other failure shows up as a page that did not load.
          if (!closing) await route.abort().catch(() => {});
        }
      });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (err) => problems.push(`uncaught error in the page: ${err.message}`));
      page.on('dialog', (d) => {
        problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
        void d.dismiss();
      });
      await fn(page, context);
      assert.deepEqual(problems, [], `problems in the page:\n${problems.join('\n')}`);
    } finally {
      closing = true;
      await context.close();
    }
  }

  const url = (p: string) => `${site.baseUrl}${p}`;

  const cardIds = (page: Page) =>
    page.$$eval('.paper-card', (els) => els.map((e) => (e as HTMLElement).dataset.paperId ?? ''));

  const cardTitles = (page: Page) =>
    page.$$eval('.paper-card .paper-title a', (els) => els.map((e) => e.textContent ?? ''));

  /** Which cards carry .is-current, which card's title link has focus, and what was announced. */
  const navState = (page: Page) =>
    page.evaluate(() => {
      const active = document.activeElement;
      const card = active?.closest<HTMLElement>('.paper-card');
      return {
        current: Array.from(document.querySelectorAll<HTMLElement>('.paper-card.is-current')).map((c) => c.dataset.paperId),
        focused: card && active?.matches('.paper-title a') ? card.dataset.paperId : null,
        announced: document.querySelector('[aria-live="polite"]')?.textContent ?? null,
      };
    });

  async function expectAnnounced(page: Page, text: string): Promise<void> {
    const ok = await page
      .waitForFunction((t) => document.querySelector('[aria-live="polite"]')?.textContent === t, text, { timeout: 3000 })
      .then(() => true, () => false);
    if (!ok) assert.equal((await navState(page)).announced, text, 'the polite live region should announce the move');
  }

  test('j/k move the current paper on a day page, focus its title and announce it', async () => {
    await withPage({}, async (page) => {
      const day = DAYS[1];
      await page.goto(url(`/papers/date/${day}`));
      assert.equal(await page.getAttribute('html', 'class').then((c) => /\bjs\b/.test(c ?? '') && !/\bno-js\b/.test(c ?? '')), true, 'html should swap no-js for js');
      const ids = await cardIds(page);
      const titles = (await cardTitles(page)).map(norm);
      assert.deepEqual([...ids].sort(), idsOfDay(day), 'the day page lists exactly the papers of that day');
      // The card markup the script relies on: ol.paper-list > li > article.paper-card; votes read as "N upvotes".
      const structure = await page.$$eval('.paper-card', (els) =>
        els.map((el) => {
          const votes = el.querySelector('.upvotes');
          return {
            inList: el.parentElement?.matches('ol.paper-list > li') ?? false,
            titleLink: el.querySelector('h2.paper-title > a[href^="/papers/"]') !== null,
            votes: votes ? (votes.textContent ?? '').replace(/\s+/g, ' ').trim() : null,
          };
        }),
      );
      for (const [i, c] of structure.entries()) {
        assert.ok(c.inList && c.titleLink, `card ${ids[i]} follows the markup contract: ${JSON.stringify(c)}`);
        // (The visible text may carry a decorative arrow beside the number.)
        assert.match(c.votes ?? '', /^\D*\d+ upvotes?$/, `card ${ids[i]}: the count reads as "N upvotes" (got ${c.votes})`);
      }
      const region = await page.$eval('[aria-live="polite"]', (e) => ({ role: e.getAttribute('role'), atomic: e.getAttribute('aria-atomic') }));
      assert.deepEqual(region, { role: 'status', atomic: 'true' });

      await page.keyboard.press('j');
      assert.deepEqual(await navState(page).then((s) => [s.current, s.focused]), [[ids[0]], ids[0]]);
      await expectAnnounced(page, `Paper 1 of ${ids.length}: ${titles[0]}`);

      await page.keyboard.press('j');
      await page.keyboard.press('j');
      assert.deepEqual(await navState(page).then((s) => [s.current, s.focused]), [[ids[2]], ids[2]]);
      await expectAnnounced(page, `Paper 3 of ${ids.length}: ${titles[2]}`);

      await page.keyboard.press('k');
      assert.deepEqual(await navState(page).then((s) => [s.current, s.focused]), [[ids[1]], ids[1]]);
      await page.keyboard.press('k');
      await page.keyboard.press('k'); // already at the top: stays there
      assert.deepEqual(await navState(page).then((s) => [s.current, s.focused]), [[ids[0]], ids[0]]);
      await expectAnnounced(page, `Paper 1 of ${ids.length}: ${titles[0]} (first paper)`);

      for (let i = 0; i < ids.length + 2; i++) await page.keyboard.press('j'); // past the end: no wrap
      const last = ids.length - 1;
      assert.deepEqual(await navState(page).then((s) => [s.current, s.focused]), [[ids[last]], ids[last]]);
      await expectAnnounced(page, `Paper ${ids.length} of ${ids.length}: ${titles[last]} (last paper)`);
      const inView = await page.$eval(`.paper-card[data-paper-id="${ids[last]}"]`, (el) => {
        const r = el.getBoundingClientRect();
        return r.top >= -1 && r.bottom <= window.innerHeight + 1; // sub-pixel layout
      });
      assert.ok(inView, 'the current card is scrolled into view');

      // Typing in the search box is not a shortcut.
      await page.click('#search-input');
      await page.keyboard.type('jk');
      assert.equal(await page.inputValue('#search-input'), 'jk');
      assert.deepEqual((await navState(page)).current, [ids[last]]);
      // Nor is a key with a modifier.
      await page.focus(`.paper-card[data-paper-id="${ids[last]}"] .paper-title a`);
      await page.keyboard.press('Control+k');
      await page.keyboard.press('Alt+k');
      assert.deepEqual((await navState(page)).current, [ids[last]], 'Ctrl+k and Alt+k are left to the browser');
    });
  });

  test('the skip link is the first stop and moves focus to main', async () => {
    await withPage({}, async (page) => {
      await page.goto(url('/papers'));
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.matches('a.skip-link[href="#main"]')), true);
      assert.ok(await page.isVisible('a.skip-link'), 'the skip link shows when focused');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.matches('main#main[tabindex="-1"]')), true);
    });
  });

  test('o opens the current paper', async () => {
    await withPage({}, async (page) => {
      await page.goto(url(`/papers/date/${DAYS[0]}`));
      const ids = await cardIds(page);
      const titles = (await cardTitles(page)).map(norm);
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await Promise.all([page.waitForURL(url(`/papers/${ids[1]}`)), page.keyboard.press('o')]);
      assert.equal(norm(await page.textContent('h1')), titles[1]);
    });
  });

  test('the theme toggles with the button and with t, and persists across reloads', async () => {
    await withPage({ colorScheme: 'light' }, async (page) => {
      await page.goto(url('/papers'));
      const theme = () => page.getAttribute('html', 'data-theme');
      const pressed = () => page.getAttribute('#theme-toggle', 'aria-pressed');
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.ok(await page.isVisible('#theme-toggle'), 'the theme toggle shows when JavaScript runs');
      assert.ok([null, 'light'].includes(await theme()));
      assert.equal(await pressed(), 'false');
      const lightBackground = await background();

      await page.click('#theme-toggle');
      assert.equal(await theme(), 'dark');
      assert.equal(await pressed(), 'true');
      assert.notEqual(await background(), lightBackground, 'data-theme="dark" changes the page colours');
      await page.reload();
      assert.equal(await theme(), 'dark', 'the choice survives a reload');
      assert.equal(await pressed(), 'true');

      await page.keyboard.press('t');
      assert.equal(await theme(), 'light');
      assert.equal(await pressed(), 'false');
      await page.reload();
      assert.equal(await theme(), 'light');
      assert.equal(await background(), lightBackground);
      assert.equal(await page.evaluate(() => localStorage.getItem('paperpulse-theme')), 'light');
    });
  });

  test('the period links step to the previous and next day, week and month', async () => {
    await withPage({}, async (page) => {
      await page.goto(url('/papers'));
      assert.deepEqual((await cardIds(page)).sort(), idsOfDay(DAYS[2]), '/papers shows the latest day');
      await Promise.all([page.waitForURL(url(`/papers/date/${DAYS[1]}`)), page.click('nav[aria-label="Periods"] a[rel="prev"]')]);
      assert.deepEqual((await cardIds(page)).sort(), idsOfDay(DAYS[1]));
      await Promise.all([page.waitForURL(url(`/papers/date/${DAYS[0]}`)), page.click('nav[aria-label="Periods"] a[rel="prev"]')]);
      assert.deepEqual((await cardIds(page)).sort(), idsOfDay(DAYS[0]));
      await Promise.all([page.waitForURL(url(`/papers/date/${DAYS[1]}`)), page.click('nav[aria-label="Periods"] a[rel="next"]')]);
      assert.deepEqual((await cardIds(page)).sort(), idsOfDay(DAYS[1]));
      // Weeks and months step the same way: 2025-07-01..03 fall in ISO week 27, the older paper in June.
      for (const [current, previous] of [['/papers/week/2025-W27', /\/papers\/week\/2025-W2[56]$/], ['/papers/month/2025-07', /\/papers\/month\/2025-06$/]] as const) {
        await page.goto(url(current));
        const ids = await cardIds(page);
        assert.ok(ids.includes(SEARCH_ID) && !ids.includes(OLDER_ID), `${current} lists its own papers: ${ids.join(' ')}`);
        await Promise.all([page.waitForURL(previous), page.click('nav[aria-label="Periods"] a[rel="prev"]')]);
        assert.deepEqual(await cardIds(page), [OLDER_ID], `the period before ${current}`);
        await Promise.all([page.waitForURL(url(current)), page.click('nav[aria-label="Periods"] a[rel="next"]')]);
      }
    });
  });

  test('/ focuses the search box; ? opens the help dialog, Esc closes it and focus returns', async () => {
    await withPage({}, async (page) => {
      await page.goto(url('/papers'));
      const active = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
      const dialogState = () =>
        page.$eval('#help-dialog', (d) => ({ open: (d as HTMLDialogElement).open, modal: d.matches(':modal') }));

      await page.keyboard.press('j');
      const first = (await navState(page)).focused;
      assert.ok(first);
      await page.keyboard.press('?');
      assert.deepEqual(await dialogState(), { open: true, modal: true });
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('#help-dialog')), true, 'focus moves into the dialog');
      await page.keyboard.press('j'); // shortcuts are off while the dialog is open
      await page.keyboard.press('Escape');
      assert.deepEqual(await dialogState(), { open: false, modal: false });
      assert.equal((await navState(page)).focused, first, 'focus returns to where it was');
      assert.deepEqual((await navState(page)).current, [first]);

      await page.click('#help-button');
      assert.deepEqual(await dialogState(), { open: true, modal: true });
      await page.keyboard.press('Escape');
      assert.equal(await active(), 'help-button', 'focus returns to the help button');

      await page.keyboard.press('/');
      assert.equal(await active(), 'search-input', `after /: ${JSON.stringify(await dialogState())}`);
      assert.equal(await page.inputValue('#search-input'), '', 'the slash is not typed into the box');
      await page.keyboard.type(SEARCH_WORD);
      await Promise.all([page.waitForURL(/\/papers\?q=/), page.keyboard.press('Enter')]);
      assert.ok((await cardIds(page)).includes(SEARCH_ID), `searching "${SEARCH_WORD}" finds ${SEARCH_ID}`);
    });
  });

  test('the copy button copies the BibTeX, or selects it when the clipboard is unavailable', async () => {
    await withPage({ permissions: ['clipboard-read', 'clipboard-write'] }, async (page) => {
      await page.goto(url(`/papers/${SEARCH_ID}`));
      const bibtex = await page.textContent('#bibtex');
      assert.ok(bibtex?.includes(SEARCH_ID) || bibtex?.includes(SEARCH_WORD), `#bibtex holds the entry: ${bibtex}`);
      await page.click('button[data-copy-target="bibtex"]');
      await expectAnnounced(page, 'Copied');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), bibtex);
    });
    await withPage({}, async (page, context) => {
      await context.addInitScript(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }));
      await page.goto(url(`/papers/${SEARCH_ID}`));
      const bibtex = await page.textContent('#bibtex');
      await page.click('button[data-copy-target="bibtex"]');
      await expectAnnounced(page, 'Selected: press Ctrl+C to copy');
      assert.equal(await page.evaluate(() => getSelection()?.toString()), bibtex);
    });
  });

  test('a hostile title is shown as text, never run', async () => {
    await withPage({}, async (page) => {
      await page.goto(url('/papers'));
      const title = await page.textContent(`.paper-card[data-paper-id="${HOSTILE_ID}"] .paper-title a`);
      assert.equal(norm(title), norm(HOSTILE_TITLE));
      await page.goto(url(`/papers/${HOSTILE_ID}`));
      assert.equal(norm(await page.textContent('h1')), norm(HOSTILE_TITLE));
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.equal(await page.$$eval('img[src="x"]', (els) => els.length), 0);
    });
  });

  test('without JavaScript the feed lists papers and the search form works', async () => {
    await withPage({ javaScriptEnabled: false }, async (page) => {
      await page.goto(url('/papers'));
      assert.equal(await page.getAttribute('html', 'class').then((c) => /\bno-js\b/.test(c ?? '')), true);
      assert.deepEqual((await cardIds(page)).sort(), idsOfDay(DAYS[2]));
      assert.equal(await page.isVisible('#theme-toggle'), false, '.js-only controls are hidden without JavaScript');
      assert.equal(await page.isVisible('#help-button'), false, '.js-only controls are hidden without JavaScript');
      await page.fill('#search-input', SEARCH_WORD);
      await Promise.all([page.waitForURL(url(`/papers?q=${SEARCH_WORD}`)), page.press('#search-input', 'Enter')]);
      assert.ok((await cardIds(page)).includes(SEARCH_ID), `searching "${SEARCH_WORD}" finds ${SEARCH_ID}`);
      assert.equal(await page.inputValue('#search-input'), SEARCH_WORD, 'the results page keeps the query in the box');
    });
  });

  test('axe-core finds no WCAG 2.1 A/AA violations on the feed, paper, author and trending pages, light and dark', async () => {
    const failures: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await withPage({ colorScheme: theme, bypassCSP: true }, async (page, context) => {
        await context.addInitScript((t) => localStorage.setItem('paperpulse-theme', t), theme);
        await page.goto(url(`/papers/${SEARCH_ID}`));
        const authorHref = await page.getAttribute('a[href^="/authors/"]', 'href');
        assert.ok(authorHref, 'the paper page links its authors to /authors/...');
        for (const [name, p] of [
          ['feed', '/papers'],
          ['paper', `/papers/${SEARCH_ID}`],
          ['author', authorHref],
          ['trending', '/papers/trending'],
        ] as const) {
          await page.goto(url(p));
          assert.equal(await page.getAttribute('html', 'data-theme'), theme);
          assert.ok((await page.$$('main h1')).length === 1, `${name} page (${p}) has one h1 in main`);
          const violations = await axeViolations(page);
          if (violations.length) failures.push(`${name} page ${p}, ${theme} theme:\n${formatViolations(violations)}`);
        }
      });
    }
    assert.equal(failures.length, 0, `axe-core violations:\n${failures.join('\n\n')}`);
  });

  test('the feed page loads less than 50 KB of JavaScript, and the script is cacheable', async () => {
    const bundled = await clientScriptBytes();
    assert.ok(bundled > 0 && bundled < JS_BUDGET_BYTES, `the minified client script is ${bundled} bytes`);
    await withPage({}, async (page) => {
      const scripts: Promise<{ url: string; bytes: number }>[] = [];
      page.on('response', (res) => {
        if (res.request().resourceType() === 'script') {
          scripts.push(res.body().then((b) => ({ url: res.url(), bytes: b.length })));
        }
      });
      await page.goto(url('/papers'), { waitUntil: 'load' });
      const loaded = await Promise.all(scripts);
      const total = loaded.reduce((n, s) => n + s.bytes, 0);
      assert.ok(loaded.some((s) => s.url === url('/assets/app.js')), `the page loads /assets/app.js (got ${loaded.map((s) => s.url).join(', ') || 'no scripts'})`);
      assert.ok(total < JS_BUDGET_BYTES, `the feed page loads ${total} bytes of JavaScript: ${JSON.stringify(loaded)}`);
      assert.equal(await page.$$eval('script:not([src])', (els) => els.length), 0, 'no inline scripts');
    });
    const first = await fetch(url('/assets/app.js'));
    assert.equal(first.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(Number(first.headers.get('content-length')), bundled);
    assert.match(first.headers.get('cache-control') ?? '', /max-age=\d+/);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/, 'a strong ETag');
    await first.arrayBuffer();
    const again = await fetch(url('/assets/app.js'), { headers: { 'If-None-Match': etag! } });
    assert.equal(again.status, 304);
  });

  test('no layout shift, no sideways scrolling on a phone; screenshots at phone and desktop widths', async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const [device, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      await withPage({ viewport, deviceScaleFactor: 1, isMobile: device === 'phone', hasTouch: device === 'phone' }, async (page) => {
        for (const [name, p] of [['feed', '/papers'], ['paper', `/papers/${SEARCH_ID}`]] as const) {
          await page.goto(url(p), { waitUntil: 'load' });
          // Sum of layout-shift scores without recent input, as CLS counts them, from the page's start.
          const { cls, shifted } = await page.evaluate(
            () =>
              new Promise<{ cls: number; shifted: string[] }>((resolve) => {
                type Shift = { value: number; hadRecentInput: boolean; sources?: { node?: Node | null }[] };
                let cls = 0;
                const shifted: string[] = [];
                // (No named helper functions in here: tsx's keepNames would reference a __name the page lacks.)
                new PerformanceObserver((list) => {
                  for (const e of list.getEntries() as unknown as Shift[]) {
                    if (e.hadRecentInput) continue;
                    cls += e.value;
                    const moved = (e.sources ?? []).map(({ node: n }) =>
                      n instanceof Element
                        ? `${n.tagName.toLowerCase()}${n.id ? `#${n.id}` : ''}${n.classList.length ? `.${[...n.classList].join('.')}` : ''}`
                        : String(n?.nodeName),
                    );
                    shifted.push(`${e.value.toFixed(4)}: ${moved.join(', ')}`);
                  }
                }).observe({ type: 'layout-shift', buffered: true });
                void document.fonts.ready.then(() => setTimeout(() => resolve({ cls, shifted }), 300));
              }),
          );
          assert.ok(cls < 0.01, `${name} page at ${device} width: cumulative layout shift ${cls}; shifts (score: moved elements):\n${shifted.join('\n')}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name} page at ${device} width scrolls sideways by ${overflow}px`);
          const file = path.join(SCREENSHOT_DIR, `${name}-${device}.png`);
          await page.screenshot({ path: file, fullPage: true });
          assert.ok(statSync(file).size > 1000, `${file} is a real screenshot`);
        }
      });
    }
  });
});

// Search in a real Chromium, under the site's own Content-Security-Policy: search-as-you-type in the header box
// (an ARIA 1.2 combobox: type a few letters of a known title, pick it with the keyboard or the mouse, land on
// the paper; Escape closes; Enter with nothing picked still searches; titles are text, never markup; axe-core
// finds nothing with the list open), and the search page's filters (category, author, date range).
// Skips with a reason when /usr/bin/chromium is absent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  axeViolations,
  DAYS,
  formatViolations,
  HOSTILE_TITLE,
  launchChromium,
  SEARCH_ID,
  SEARCH_WORD,
  seedRecords,
  skipWithoutChromium,
  startSite,
  type Site,
} from '../helpers/browser.ts';

const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const SEARCH_TITLE = `${SEARCH_WORD} Attention for Sparse Retrieval`;

describe('search in Chromium', { skip: skipWithoutChromium }, () => {
  let site: Site;
  let browser: Browser;

  before(async () => {
    [site, browser] = await Promise.all([startSite(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  const url = (p: string) => `${site.baseUrl}${p}`;

  /** Runs fn with a fresh page; fails on uncaught errors, CSP violations and dialogs. */
  async function withPage(fn: (page: Page, context: BrowserContext) => Promise<void>, javaScriptEnabled = true): Promise<void> {
    const context = await browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1280, height: 900 }, javaScriptEnabled });
    const problems: string[] = [];
    try {
      await context.exposeBinding('__reportCsp', (_source, message: string) => problems.push(`CSP violation: ${message}`));
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          (window as unknown as { __reportCsp: (m: string) => void }).__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
        });
      });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (err) => problems.push(`uncaught error in the page: ${err.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
      });
      page.on('dialog', (d) => {
        problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
        void d.dismiss();
      });
      await fn(page, context);
      assert.deepEqual(problems, [], `problems in the page:\n${problems.join('\n')}`);
    } finally {
      await context.close();
    }
  }

  /** The combobox's state as assistive technology sees it. */
  const combo = (page: Page) =>
    page.evaluate(() => {
      const input = document.getElementById('search-input') as HTMLInputElement;
      const list = document.getElementById(input.getAttribute('aria-controls') ?? '');
      const options = Array.from(list?.querySelectorAll('[role="option"]') ?? []);
      return {
        role: input.getAttribute('role'),
        expanded: input.getAttribute('aria-expanded'),
        autocomplete: input.getAttribute('aria-autocomplete'),
        activedescendant: input.getAttribute('aria-activedescendant'),
        listRole: list?.getAttribute('role') ?? null,
        listVisible: !!list && !list.hidden && list.getBoundingClientRect().height > 0,
        options: options.map((o) => ({ id: o.id, text: o.textContent ?? '', selected: o.getAttribute('aria-selected') })),
        focused: document.activeElement === input,
        value: input.value,
      };
    });

  const waitForOptions = (page: Page) =>
    page.waitForFunction(() => {
      const list = document.getElementById('search-suggestions');
      return !!list && !list.hidden && list.querySelectorAll('[role="option"]').length > 0;
    });

  test('type a few letters of a title, pick it with the keyboard, land on the paper', async () => {
    await withPage(async (page) => {
      await page.goto(url('/papers'));
      const before = await combo(page);
      assert.deepEqual(
        { role: before.role, expanded: before.expanded, autocomplete: before.autocomplete, listRole: before.listRole, listVisible: before.listVisible },
        { role: 'combobox', expanded: 'false', autocomplete: 'list', listRole: 'listbox', listVisible: false },
      );
      const requests: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/suggest')) requests.push(r.url());
      });
      await page.click('#search-input');
      await page.keyboard.type('zeph', { delay: 30 });
      await waitForOptions(page);
      let s = await combo(page);
      assert.equal(s.expanded, 'true');
      assert.equal(s.listVisible, true);
      assert.deepEqual(s.options.map((o) => norm(o.text)), [SEARCH_TITLE]);
      assert.equal(s.activedescendant, null, 'nothing is highlighted until the arrow keys move');
      assert.ok(requests.length >= 1 && requests.length <= 2, `typing is debounced: ${requests.length} requests for 4 letters`);

      await page.keyboard.press('ArrowDown');
      s = await combo(page);
      assert.equal(s.activedescendant, s.options[0].id);
      assert.equal(s.options[0].selected, 'true');
      assert.equal(s.focused, true, 'focus stays in the box');
      await Promise.all([page.waitForURL(url(`/papers/${SEARCH_ID}`)), page.keyboard.press('Enter')]);
      assert.equal(norm(await page.textContent('h1')), SEARCH_TITLE);
    });
  });

  test('arrow keys move through several suggestions; Escape closes; Enter with none picked searches', async () => {
    await withPage(async (page) => {
      await page.goto(url('/papers'));
      await page.click('#search-input');
      await page.keyboard.type('sparse attention');
      await waitForOptions(page);
      let s = await combo(page);
      // Three titles start with "Sparse Attention"; the Zephyrine paper has both words further apart.
      assert.equal(s.options.length, 4, JSON.stringify(s.options));
      for (const o of s.options.slice(0, 3)) assert.match(norm(o.text), /^Sparse Attention at Scale/);
      assert.equal(norm(s.options[3].text), SEARCH_TITLE);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      s = await combo(page);
      assert.equal(s.activedescendant, s.options[1].id);
      assert.deepEqual(s.options.map((o) => o.selected), s.options.map((_, i) => String(i === 1)));
      await page.keyboard.press('ArrowUp');
      assert.equal((await combo(page)).activedescendant, s.options[0].id);
      await page.keyboard.press('ArrowUp'); // from the first: wraps to the last
      assert.equal((await combo(page)).activedescendant, s.options[s.options.length - 1].id);

      await page.keyboard.press('Escape');
      s = await combo(page);
      assert.deepEqual([s.expanded, s.listVisible, s.activedescendant, s.value], ['false', false, null, 'sparse attention']);
      await page.keyboard.press('ArrowDown'); // opens again
      assert.equal((await combo(page)).expanded, 'true');
      await page.keyboard.press('Escape');

      await Promise.all([page.waitForURL(/\/papers\?q=sparse\+attention$/), page.keyboard.press('Enter')]);
      assert.ok((await page.$$('.paper-card')).length > 0, 'the search page lists papers');
    });
  });

  test('a click on a suggestion opens the paper; a hostile title is shown as text', async () => {
    await withPage(async (page) => {
      await page.goto(url('/papers'));
      await page.click('#search-input');
      await page.keyboard.type('window pwn');
      await waitForOptions(page);
      const s = await combo(page);
      assert.deepEqual(s.options.map((o) => norm(o.text)), [norm(HOSTILE_TITLE)]);
      assert.equal(await page.$$eval('#search-suggestions img, #search-suggestions script', (els) => els.length), 0);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);

      await page.fill('#search-input', '');
      await page.keyboard.type('zephyrine att');
      await waitForOptions(page);
      await Promise.all([page.waitForURL(url(`/papers/${SEARCH_ID}`)), page.click('#search-suggestions [role="option"]')]);
    });
  });

  test('axe-core finds no violations with the suggestions open', async () => {
    await withPage(async (page) => {
      await page.goto(url('/papers'));
      await page.click('#search-input');
      await page.keyboard.type('attention');
      await waitForOptions(page);
      await page.keyboard.press('ArrowDown');
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, formatViolations(violations));
    });
  });

  test('the search page filters by category, author and listing days', async () => {
    const records = new Map(seedRecords().map((r) => [r.id, r]));
    const cardIds = (page: Page) => page.$$eval('.paper-card', (els) => els.map((e) => (e as HTMLElement).dataset.paperId ?? ''));
    await withPage(async (page) => {
      await page.goto(url('/papers?q=scale'));
      const all = await cardIds(page);
      assert.ok(all.length >= 20, `${all.length} results for "scale"`);
      const filters = 'form.search-filters';

      await page.fill(`${filters} input[name="cat"]`, 'cs.CL');
      await Promise.all([page.waitForURL(/cat=cs\.CL/), page.click(`${filters} button[type="submit"]`)]);
      const cl = await cardIds(page);
      assert.ok(cl.length > 0 && cl.length < all.length, `${cl.length} of ${all.length} in cs.CL`);
      for (const id of cl) assert.ok(records.get(id)!.categories.includes('cs.CL'), `${id} is in cs.CL`);
      assert.equal(await page.inputValue(`${filters} input[name="cat"]`), 'cs.CL', 'the filter stays filled in');

      await page.fill(`${filters} input[name="cat"]`, '');
      await page.fill(`${filters} input[name="author"]`, 'grace hopper');
      await Promise.all([page.waitForURL(/author=grace\+hopper/), page.click(`${filters} button[type="submit"]`)]);
      const grace = await cardIds(page);
      assert.ok(grace.length > 0 && grace.length < all.length);
      for (const id of grace) assert.ok(records.get(id)!.authors.includes('Grace Hopper'), `${id} is by Grace Hopper`);

      await page.fill(`${filters} input[name="author"]`, '');
      await page.fill(`${filters} input[name="from"]`, DAYS[1]);
      await page.fill(`${filters} input[name="to"]`, DAYS[1]);
      await Promise.all([page.waitForURL(/from=2025-07-02&to=2025-07-02/), page.click(`${filters} button[type="submit"]`)]);
      const day = await cardIds(page);
      assert.ok(day.length > 0 && day.length < all.length);
      for (const id of day) assert.equal(records.get(id)!.firstListed, DAYS[1], `${id} is listed on ${DAYS[1]}`);

      // Nothing matches: the page says so and suggests loosening the filters.
      await page.goto(url('/papers?q=scale&cat=math.AG'));
      assert.equal(await page.$$eval('.paper-card', (els) => els.length), 0);
      assert.match(norm(await page.textContent('.empty-state')), /loosening the filters/);
    });
  });

  test('without JavaScript the box is a plain search field and the filters still work', async () => {
    await withPage(async (page) => {
      await page.goto(url('/papers'));
      assert.equal(await page.getAttribute('#search-input', 'role'), null);
      assert.equal(await page.$('#search-suggestions'), null);
      await page.fill('#search-input', 'attention');
      await Promise.all([page.waitForURL(/q=attention/), page.press('#search-input', 'Enter')]);
      await page.fill('form.search-filters input[name="cat"]', 'cs.CL');
      await Promise.all([page.waitForURL(/cat=cs\.CL/), page.click('form.search-filters button[type="submit"]')]);
      assert.ok((await page.$$('.paper-card')).length > 0);
    }, false);
  });
});

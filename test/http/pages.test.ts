// The server-rendered pages through app.inject, on each database: routes, status codes, redirects,
// ordering, navigation, paging, the "new" badge, caching and escaping of hostile text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { PageCache } from '../../src/http/web/page-cache.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const config = loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false });
/** The site's "now": Thursday 2025-07-03, evening UTC. */
const NOW = new Date('2025-07-03T22:00:00Z');

const SCRIPT = '<script>alert(1)</script>';
const ATTR = '"onmouseover=alert(1)';
const RLO = '\u202E';
const HOSTILE_ID = '2507.00666';
const HOSTILE_TITLE = `${SCRIPT} ${ATTR} ${RLO}fdp.exe`;
const HOSTILE_AUTHOR = `${ATTR} ${SCRIPT}`;
const RLO_AUTHOR = `${RLO}Evil Name`;

const BIG_DAY = '2025-06-10';
const BIG_DAY_PAPERS = 120;

function v1(day: string, hour: number) {
  return [{ version: 1, date: `${day}T${String(hour).padStart(2, '0')}:00:00Z` }];
}

function seed(): PaperRecord[] {
  const out: PaperRecord[] = [
    // Tuesday 2025-07-01, Wednesday 2025-07-02, Thursday 2025-07-03 (the latest day).
    record({ id: '2507.00101', title: 'Alpha One', firstListed: '2025-07-01', versions: v1('2025-06-30', 10) }),
    record({ id: '2507.00102', title: 'Alpha Two', firstListed: '2025-07-01', versions: v1('2025-06-30', 11) }),
    record({ id: '2507.00201', title: 'Beta One', firstListed: '2025-07-02', versions: v1('2025-07-01', 10), authors: ['Grace Hopper', 'José Müller'] }),
    record({ id: '2507.00202', title: 'Zephyr Winds of Change', firstListed: '2025-07-02', versions: v1('2025-07-01', 11) }),
    record({ id: '2507.00203', title: 'Reaching 100% Accuracy', firstListed: '2025-07-02', versions: v1('2025-07-01', 12) }),
    record({ id: '2507.00204', title: 'The snake_case Paper', firstListed: '2025-07-02', versions: v1('2025-07-01', 13) }),
    record({ id: '2507.00301', title: 'Gamma One', firstListed: '2025-07-03', versions: v1('2025-07-02', 9) }),
    record({ id: '2507.00302', title: 'Gamma Two', firstListed: '2025-07-03', versions: v1('2025-07-02', 10), organization: 'Example Lab' }),
    record({ id: '2507.00303', title: 'Gamma Three', firstListed: '2025-07-03', versions: v1('2025-07-02', 11) }),
    record({
      id: HOSTILE_ID,
      title: HOSTILE_TITLE,
      abstract: `Abstract with ${SCRIPT} and ${ATTR} and ${RLO}reversed text.`,
      authors: [HOSTILE_AUTHOR, RLO_AUTHOR],
      comment: `Comment ${SCRIPT}`,
      firstListed: '2025-07-02',
      versions: v1('2025-07-01', 14),
    }),
    // Week 2025-W25 (nothing in W26), so the week before W27 with papers is W25.
    record({ id: '2506.00001', title: 'Delta in June', firstListed: '2025-06-20', versions: v1('2025-06-19', 10), authors: ['Grace Hopper'] }),
    // An old-style id with every field a paper page shows.
    record({
      id: 'hep-th/9901001',
      version: 2,
      title: 'Strings Old and New',
      abstract: `${'A long abstract sentence about strings. '.repeat(20)}The very end of the abstract.`,
      authors: ['Edward Witten', 'Grace Hopper'],
      categories: ['hep-th', 'math-ph'],
      comment: '12 pages, 3 figures',
      journalRef: 'Nucl. Phys. B 550 (1999) 1',
      doi: '10.1016/S0550-3213(99)00001-1',
      githubRepo: 'https://github.com/example/strings',
      projectPage: 'https://example.org/strings',
      versions: [
        { version: 1, date: '1999-01-03T12:00:00Z' },
        { version: 2, date: '1999-03-01T12:00:00Z' },
      ],
      firstListed: '1999-01-04',
    }),
  ];
  for (let i = 1; i <= BIG_DAY_PAPERS; i++) {
    out.push(
      record({
        id: `2506.${String(10000 + i)}`,
        title: `Bulk paper ${i}`,
        firstListed: BIG_DAY,
        versions: [{ version: 1, date: new Date(Date.UTC(2025, 5, 9, 0, i)).toISOString() }],
      }),
    );
  }
  return out;
}

/** Ids of the paper cards, in page order. */
function cardIds(body: string): string[] {
  return [...body.matchAll(/<article class="paper-card" data-paper-id="([^"]+)"/g)].map((m) => m[1]);
}

/** The card of one paper (its <article> element). */
function card(body: string, id: string): string {
  const start = body.indexOf(`<article class="paper-card" data-paper-id="${id}"`);
  assert.ok(start >= 0, `no card for ${id}`);
  return body.slice(start, body.indexOf('</article>', start));
}

/** href of the rel=prev / rel=next link in the Periods navigation, or null. */
function periodLink(body: string, rel: 'prev' | 'next'): string | null {
  const nav = /<nav class="period-nav" aria-label="Periods">([\s\S]*?)<\/nav>/.exec(body);
  assert.ok(nav, 'no Periods navigation');
  return new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(nav[1])?.[1] ?? null;
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

forEachDatabase('web pages', (fx) => {
  let app: FastifyInstance;
  let ctx: Context;
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    // Trending order on Thursday: 00302 (score 5), 00303 (3), 00301 (1); newest order: 00303, 00302, 00301.
    await fx.db.query(
      `UPDATE papers SET trending_score = CASE id WHEN '2507.00302' THEN 5 WHEN '2507.00303' THEN 3
         WHEN '2507.00301' THEN 1 WHEN '2507.00101' THEN 9 WHEN '2507.00201' THEN 4 ELSE 0 END,
       upvotes = CASE id WHEN '2507.00302' THEN 12 WHEN '2507.00303' THEN 7 WHEN '2507.00101' THEN 3
         WHEN '2507.00102' THEN 3 WHEN '2506.00001' THEN 99 ELSE 0 END`,
    );
    ctx = await createContext(config, { db: fx.db, clock: () => NOW });
    app = await buildApp(ctx);
  });
  after(async () => {
    await app?.close();
  });

  test('/ and /papers show the latest day, trending first, in the page shell the client script expects', async () => {
    for (const url of ['/', '/papers']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      const body = res.body;
      assert.match(body, /<title>Daily Papers: Thursday, July 3, 2025 · paperpulse<\/title>/);
      assert.deepEqual(cardIds(body), ['2507.00302', '2507.00303', '2507.00301']);
      assert.equal(count(body, '<h1'), 1);
      assert.ok(body.startsWith('<!doctype html>\n<html lang="en" class="no-js">'));
      assert.ok(body.includes('<a class="skip-link" href="#main">Skip to content</a>'));
      assert.ok(body.includes('<main id="main" tabindex="-1"'));
      assert.ok(body.includes('<form role="search" action="/papers" method="get"'));
      assert.ok(body.includes('<label for="search-input" class="visually-hidden">Search papers</label><input id="search-input" type="search" name="q"'));
      assert.ok(body.includes('<button id="theme-toggle" type="button" class="js-only" aria-pressed="false">Dark theme</button>'));
      assert.ok(body.includes('<button id="help-button" type="button" class="js-only" aria-haspopup="dialog">Keyboard shortcuts (?)</button>'));
      assert.ok(body.includes('<dialog id="help-dialog" aria-labelledby="help-title">'));
      for (const key of ['j', 'k', 'o', 'Enter', '/', '?', 't', 'Esc']) assert.ok(body.includes(`<kbd>${key}</kbd>`), key);
      // The only script is the external client script: no inline script anywhere.
      assert.equal(count(body, '<script'), 1);
      assert.ok(body.includes('<script src="/assets/app.js" defer></script>'));
      assert.match(body, /<link rel="stylesheet" href="\/assets\/app\.[\w]+\.css">/);
      assert.ok(body.includes('<ol class="paper-list">'));
      assert.ok(body.includes('<h2 class="paper-title"><a href="/papers/2507.00302" dir="auto">Gamma Two</a></h2>'));
      assert.ok(body.includes('<span class="upvote-count">12</span><span class="visually-hidden"> upvotes</span>'));
      for (const landmark of ['<header class="site-header">', '<nav class="site-nav" aria-label="Main">', '<footer class="site-footer">']) {
        assert.ok(body.includes(landmark), landmark);
      }
    }
  });

  test('?sort=newest orders a day by submission time, newest first', async () => {
    const res = await get('/papers?sort=newest');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(cardIds(res.body), ['2507.00303', '2507.00302', '2507.00301']);
    assert.ok(res.body.includes('<a href="/papers?sort=newest" aria-current="true">Newest</a>'));
    const day = await get('/papers/date/2025-07-03?sort=trending');
    assert.deepEqual(cardIds(day.body), ['2507.00302', '2507.00303', '2507.00301']);
  });

  test('a card shows title, excerpt, authors or organization, date, category, votes and links', async () => {
    const body = (await get('/papers')).body;
    const c = card(body, '2507.00302');
    assert.ok(c.includes('Example Lab'), 'organization instead of the author count');
    assert.ok(!c.includes('2 authors'));
    assert.ok(card(body, '2507.00301').includes('2 authors'));
    assert.ok(c.includes('<time datetime="2025-07-03">Jul 3, 2025</time>'));
    assert.ok(c.includes('<span class="category">cs.CL</span>'));
    assert.ok(c.includes('href="https://arxiv.org/abs/2507.00302"'));
    assert.ok(c.includes('href="https://arxiv.org/pdf/2507.00302"'));
    const old = card((await get('/papers/date/1999-01-04')).body, 'hep-th/9901001');
    assert.ok(old.includes('<a href="https://github.com/example/strings">Code</a>'));
    assert.ok(old.includes('<a href="/papers/hep-th/9901001" dir="auto">Strings Old and New</a>'));
    // The abstract excerpt: cut on a word, about 300 characters, never the end of a long abstract.
    const abstract = /<p class="paper-abstract" dir="auto">([^<]*)<\/p>/.exec(old)![1];
    assert.ok(abstract.endsWith('…') && !abstract.includes('The very end'), abstract.slice(-30));
    assert.ok(!/\s…$/.test(abstract) && abstract.slice(0, -1).endsWith(abstract.slice(0, -1).split(' ').pop()!));
    assert.ok(abstract.length <= 301 && abstract.length > 250, `${abstract.length}`);
  });

  test('the "new" badge marks papers listed today or yesterday (by ctx.clock)', async () => {
    const week = (await get('/papers/week/2025-W27')).body;
    for (const id of ['2507.00301', '2507.00302', '2507.00201', '2507.00202']) {
      assert.ok(card(week, id).includes('badge-new'), `${id} is new`);
    }
    for (const id of ['2507.00101', '2507.00102']) assert.ok(!card(week, id).includes('badge-new'), `${id} is not new`);
  });

  test('a day links to the previous and next days that have papers', async () => {
    const body = (await get('/papers/date/2025-07-02')).body;
    assert.equal(periodLink(body, 'prev'), '/papers/date/2025-07-01');
    assert.equal(periodLink(body, 'next'), '/papers/date/2025-07-03');
    assert.deepEqual(new Set(cardIds(body)), new Set(['2507.00201', '2507.00202', '2507.00203', '2507.00204', HOSTILE_ID]));
    // Navigation skips the days without papers, and keeps the sort order.
    const prev = (await get('/papers/date/2025-07-01?sort=newest')).body;
    assert.equal(periodLink(prev, 'prev'), '/papers/date/2025-06-20?sort=newest');
    // The latest day has no next link.
    const latest = (await get('/papers/date/2025-07-03')).body;
    assert.equal(periodLink(latest, 'next'), null);
    assert.ok(latest.includes('No later papers'));
    // The date picker: a GET form to /papers/date.
    assert.ok(body.includes('<form class="date-picker" method="get" action="/papers/date">'));
    assert.match(body, /<input id="date-input" type="date" name="date" value="2025-07-02" min="1999-01-04" max="2025-07-03" required>/);
  });

  test('weeks and months list their papers and link to the nearest weeks and months with papers', async () => {
    const week = await get('/papers/week/2025-W27');
    assert.equal(week.statusCode, 200);
    assert.match(week.body, /Week 27, 2025 \(Jun 30 – Jul 6, 2025\)/);
    assert.equal(cardIds(week.body).length, 10);
    assert.equal(cardIds(week.body)[0], '2507.00101'); // trending score 9
    assert.equal(periodLink(week.body, 'prev'), '/papers/week/2025-W25'); // W26 has no papers
    assert.equal(periodLink(week.body, 'next'), null);
    const w25 = await get('/papers/week/2025-W25');
    assert.deepEqual(cardIds(w25.body), ['2506.00001']);
    assert.equal(periodLink(w25.body, 'prev'), '/papers/week/2025-W24');
    assert.equal(periodLink(w25.body, 'next'), '/papers/week/2025-W27');

    const month = await get('/papers/month/2025-07?sort=newest');
    assert.equal(month.statusCode, 200);
    assert.match(month.body, /<h1><span class="kicker">Monthly Papers<\/span> July 2025<\/h1>/);
    assert.equal(cardIds(month.body)[0], '2507.00303');
    assert.equal(periodLink(month.body, 'prev'), '/papers/month/2025-06?sort=newest');
    const june = await get('/papers/month/2025-06');
    assert.equal(periodLink(june.body, 'prev'), '/papers/month/1999-01');
    assert.equal(periodLink(june.body, 'next'), '/papers/month/2025-07');
  });

  test('a period without papers says so and links to the nearest one that has some', async () => {
    const saturday = await get('/papers/date/2025-07-05');
    assert.equal(saturday.statusCode, 200);
    assert.ok(saturday.body.includes('No papers on Saturday, July 5, 2025'));
    assert.ok(saturday.body.includes('The nearest day with papers is <a href="/papers/date/2025-07-03">Thursday, July 3, 2025</a>'));
    // 2025-06-25 is 5 days after 06-20 and 6 days before 07-01.
    const gap = await get('/papers/date/2025-06-25');
    assert.ok(gap.body.includes('The nearest day with papers is <a href="/papers/date/2025-06-20">'));
    const w26 = await get('/papers/week/2025-W26');
    assert.ok(w26.body.includes('The nearest week with papers is <a href="/papers/week/2025-W27">'));
    assert.deepEqual(cardIds(w26.body), []);
  });

  test('long days are paged, 50 papers a page, without repeats or gaps', async () => {
    const seen: string[] = [];
    for (const p of [1, 2, 3]) {
      const res = await get(`/papers/date/${BIG_DAY}?sort=newest${p > 1 ? `&p=${p}` : ''}`);
      assert.equal(res.statusCode, 200);
      assert.ok(res.body.includes(`Page ${p} of 3`));
      const ids = cardIds(res.body);
      assert.equal(ids.length, p < 3 ? 50 : 20);
      seen.push(...ids);
      if (p < 3) assert.ok(res.body.includes(`href="/papers/date/${BIG_DAY}?sort=newest&amp;p=${p + 1}"`), `next page link on ${p}`);
    }
    assert.equal(new Set(seen).size, BIG_DAY_PAPERS);
    assert.equal(seen[0], '2506.10120'); // newest submission first
    const past = await get(`/papers/date/${BIG_DAY}?p=4`);
    assert.equal(past.statusCode, 400);
    assert.ok(past.body.includes('There is no page 4 here: this list has 3 pages.'));
    assert.ok(past.body.includes(`href="/papers/date/${BIG_DAY}?p=3"`));
    // One page: no paging links at all.
    assert.ok(!(await get('/papers')).body.includes('aria-label="Pages"'));
  });

  test('bad dates, weeks, months, sorts and page numbers get a 400 page that says what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['/papers/date/2025-13-40', /no month 13/],
      ['/papers/date/2025-02-30', /February 2025 has days 01 to 28/],
      ['/papers/date/yesterday', /is not a date: write it as YYYY-MM-DD/],
      ['/papers/week/2025-W60', /2025 has ISO weeks W01 to W52/],
      ['/papers/week/2025-60', /write it as YYYY-Www/],
      ['/papers/month/2025-00', /months run from 01 to 12/],
      ['/papers/month/2025-7', /write it as YYYY-MM/],
      ['/papers/date?date=2025-13-01', /no month 13/],
      ['/papers?sort=best', /sorted by “trending” or “newest”/],
      ['/papers?p=0', /page number .* must be a whole number/],
      ['/papers?p=two', /page number .* must be a whole number/],
      ['/papers/trending?p=-1', /page number .* must be a whole number/],
      [`/papers?q=${'x'.repeat(400)}`, /search text is too long/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', url);
      assert.match(res.body, message, url);
      assert.equal(count(res.body, '<h1'), 1, url);
    }
  });

  test('the date picker redirects to the day, keeping the sort', async () => {
    let res = await get('/papers/date?date=2025-07-01');
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/papers/date/2025-07-01');
    res = await get('/papers/date?date=2025-07-01&sort=newest');
    assert.equal(res.headers.location, '/papers/date/2025-07-01?sort=newest');
    res = await get('/papers/date?date=');
    assert.equal(res.headers.location, '/papers');
    res = await get('/papers/week');
    assert.equal(res.headers.location, '/papers/week/2025-W27');
    res = await get('/papers/month');
    assert.equal(res.headers.location, '/papers/month/2025-07');
  });

  test('the paper page shows everything known about the paper', async () => {
    const res = await get('/papers/hep-th/9901001');
    assert.equal(res.statusCode, 200);
    const body = res.body;
    assert.match(body, /<title>Strings Old and New · paperpulse<\/title>/);
    assert.equal(count(body, '<h1'), 1);
    assert.ok(body.includes('The very end of the abstract.'), 'the full abstract');
    assert.ok(body.includes('<a href="/authors/Edward%20Witten"><bdi>Edward Witten</bdi></a>'));
    assert.ok(body.includes('<a href="/authors/Grace%20Hopper"><bdi>Grace Hopper</bdi></a>'));
    assert.ok(body.includes('<li>hep-th (primary)</li><li>math-ph</li>'));
    assert.ok(body.includes('<dt>Listed</dt><dd><time datetime="1999-01-04">Jan 4, 1999</time></dd>'));
    assert.ok(body.includes('<dt>Submitted (v1)</dt><dd><time datetime="1999-01-03T12:00:00.000Z">Jan 3, 1999</time></dd>'));
    assert.ok(body.includes('<dt>Updated</dt><dd><time datetime="1999-03-01T12:00:00.000Z">Mar 1, 1999</time></dd>'));
    assert.ok(body.includes('<li>v1: <time datetime="1999-01-03T12:00:00.000Z">Jan 3, 1999</time></li><li>v2: '));
    assert.ok(body.includes('12 pages, 3 figures'));
    assert.ok(body.includes('Nucl. Phys. B 550 (1999) 1'));
    assert.ok(body.includes('<a href="https://doi.org/10.1016/S0550-3213(99)00001-1">10.1016/S0550-3213(99)00001-1</a>'));
    for (const href of [
      'https://arxiv.org/abs/hep-th/9901001',
      'https://arxiv.org/pdf/hep-th/9901001',
      'https://arxiv.org/html/hep-th/9901001',
      'https://github.com/example/strings',
      'https://example.org/strings',
    ]) {
      assert.ok(body.includes(`href="${href}"`), href);
    }
    assert.ok(body.includes('<span class="upvote-count">0</span><span class="visually-hidden"> upvotes</span>'));
    assert.ok(body.includes('<pre id="bibtex" class="bibtex">@misc{witten1999strings,'));
    assert.match(body, /eprint\s+= \{hep-th\/9901001\}/);
    assert.ok(body.includes('<button type="button" class="js-only copy-button" data-copy-target="bibtex">Copy</button>'));
    assert.ok(body.includes('<section id="comments"'));
    assert.ok(body.includes('No comments yet.'));
    assert.ok(body.includes('<section id="similar"'));
    assert.ok(!/coming soon/i.test(body));
  });

  test('versioned and prefixed ids redirect permanently to the bare id', async () => {
    for (const [url, location] of [
      ['/papers/2507.00301v2', '/papers/2507.00301'],
      ['/papers/arXiv:2507.00301', '/papers/2507.00301'],
      ['/papers/hep-th/9901001v2', '/papers/hep-th/9901001'],
      ['/papers/math.GT/0309136', '/papers/math/0309136'],
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 301, url);
      assert.equal(res.headers.location, location, url);
    }
    assert.equal((await get('/papers/2507.00301')).statusCode, 200);
  });

  test('an id that is not here gets a helpful 404; text that is not an id gets a 404', async () => {
    const res = await get('/papers/2507.99999');
    assert.equal(res.statusCode, 404);
    assert.ok(res.body.includes('This paper is not in this paperpulse yet'));
    assert.ok(res.body.includes('href="https://arxiv.org/abs/2507.99999"'));
    assert.ok(res.body.includes('paperpulse ingest arxiv --ids 2507.99999'));
    const old = await get('/papers/astro-ph/0601001');
    assert.equal(old.statusCode, 404);
    assert.ok(old.body.includes('paperpulse ingest arxiv --ids astro-ph/0601001'));
    for (const url of ['/papers/not-a-paper', '/papers/2513.00001', '/papers/a/b', '/papers/a/b/c', '/papers/trending/2']) {
      const bad = await get(url);
      assert.equal(bad.statusCode, 404, url);
      assert.equal(bad.headers['content-type'], 'text/html; charset=utf-8', url);
    }
  });

  test('trending lists the last 7 listing days by trending score, then upvotes, then newest', async () => {
    const res = await get('/papers/trending');
    assert.equal(res.statusCode, 200);
    const ids = cardIds(res.body);
    assert.deepEqual(ids.slice(0, 5), ['2507.00101', '2507.00302', '2507.00201', '2507.00303', '2507.00301']);
    // Score 0: 00102 has 3 upvotes, then the rest newest day first, then the higher id.
    assert.equal(ids[5], '2507.00102');
    assert.deepEqual(ids.slice(6), [HOSTILE_ID, '2507.00204', '2507.00203', '2507.00202']);
    assert.ok(!ids.includes('2506.00001'), 'a paper listed 13 days before the latest day is not trending');
    assert.ok(res.body.includes('<a href="/papers/trending" aria-current="page">Trending</a>'));
  });

  test('an author page lists the papers of that author, newest first, whatever the accents and case', async () => {
    const res = await get('/authors/Grace%20Hopper');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(cardIds(res.body), ['2507.00201', '2506.00001', 'hep-th/9901001']);
    assert.match(res.body, /<title>Grace Hopper · paperpulse<\/title>/);
    assert.deepEqual(cardIds((await get('/authors/grace%20HOPPER')).body), cardIds(res.body));
    const jose = await get('/authors/Jose%20Muller');
    assert.equal(jose.statusCode, 200);
    assert.deepEqual(cardIds(jose.body), ['2507.00201']);
    assert.ok(jose.body.includes('<bdi>José Müller</bdi></h1>'), 'the name as the paper writes it');
    const nobody = await get('/authors/Nobody%20Atall');
    assert.equal(nobody.statusCode, 404);
    assert.ok(nobody.body.includes('No paper in this paperpulse lists <bdi>Nobody Atall</bdi> as an author.'));
  });

  test('?q= searches titles case-insensitively, newest first, and shows the query back', async () => {
    const res = await get('/papers?q=zEPHYR');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(cardIds(res.body), ['2507.00202']);
    assert.ok(res.body.includes('name="q" value="zEPHYR"'));
    assert.deepEqual(cardIds((await get('/papers?q=one')).body), ['2507.00301', '2507.00201', '2507.00101']);
    // LIKE wildcards in the query are literal.
    assert.deepEqual(cardIds((await get('/papers?q=%25')).body), ['2507.00203']);
    assert.deepEqual(cardIds((await get('/papers?q=_')).body), ['2507.00204']);
    const none = await get('/papers?q=nothing%20like%20this');
    assert.equal(none.statusCode, 200);
    assert.ok(none.body.includes('No titles match'));
    // A blank query is the latest day.
    assert.deepEqual(cardIds((await get('/papers?q=%20')).body), ['2507.00302', '2507.00303', '2507.00301']);
  });

  test('hostile titles, abstracts and author names are escaped everywhere', async () => {
    const pages = [
      await get(`/papers/${HOSTILE_ID}`),
      await get('/papers/date/2025-07-02'),
      await get('/papers/trending'),
      await get('/papers?q=alert'),
      await get(`/authors/${encodeURIComponent(HOSTILE_AUTHOR)}`),
      await get(`/authors/${encodeURIComponent(RLO_AUTHOR)}`),
      await get(`/papers?q=${encodeURIComponent(SCRIPT)}`),
      await get(`/authors/${encodeURIComponent(`${SCRIPT}nobody`)}`),
    ];
    for (const res of pages) {
      assert.ok(res.statusCode < 500, res.body.slice(0, 200));
      assert.ok(!res.body.includes(SCRIPT), 'raw <script> in the page');
      assert.ok(!res.body.includes(ATTR), 'raw attribute break-out in the page');
      // (The search page marks the matched word: <mark>alert</mark> inside the escaped text.)
      assert.ok(res.body.replace(/<\/?mark>/g, '').includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped form is shown');
      assert.equal(count(res.body, '<script'), 1);
    }
    const paper = pages[0].body;
    assert.ok(paper.includes('&quot;onmouseover=alert(1)'));
    // The title is isolated (dir=auto) so a right-to-left override cannot reorder the text around it,
    // author names sit in <bdi>, and the browser tab title drops the override (markup cannot isolate there).
    assert.ok(paper.includes(`<h1 dir="auto">&lt;script&gt;alert(1)&lt;/script&gt; &quot;onmouseover=alert(1) ${RLO}fdp.exe</h1>`));
    assert.ok(paper.includes(`<bdi>${RLO}Evil Name</bdi>`));
    assert.ok(paper.includes(`href="/authors/${encodeURIComponent(RLO_AUTHOR)}"`));
    assert.ok(paper.includes(`Abstract with &lt;script&gt;alert(1)&lt;/script&gt; and &quot;onmouseover=alert(1) and ${RLO}reversed text.`));
    const title = /<title>([^<]*)<\/title>/.exec(paper)![1];
    assert.ok(!title.includes(RLO));
    assert.ok(title.includes('&lt;script&gt;'));
    for (const res of pages) {
      // Every U+202E shown as text is inside an isolating element: <bdi>, or dir="auto" on the enclosing
      // element. In attributes it only stays in the search box's value (an input is isolated by itself).
      for (const m of res.body.matchAll(new RegExp(RLO, 'g'))) {
        // Search highlighting (<mark>) sits inside the isolating element: look past it.
        const before = res.body.slice(0, m.index).replace(/<\/?mark>/g, '');
        const open = before.lastIndexOf('<');
        const close = before.indexOf('>', open);
        if (close < 0) {
          assert.match(before.slice(open), /^<input id="search-input" [^>]*value="[^"]*$/, 'U+202E in an attribute');
          continue;
        }
        const tag = before.slice(open, close + 1);
        assert.ok(/^<bdi>$|dir="auto"/.test(tag), `U+202E not isolated, inside ${tag}`);
      }
    }
  });

  test('pages carry an ETag; a matching If-None-Match gets a 304', async () => {
    const first = await get('/papers/date/2025-07-02');
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[\w-]+"$/);
    assert.equal(first.headers['cache-control'], 'no-cache');
    const again = await get('/papers/date/2025-07-02', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const other = await get('/papers/date/2025-07-02', { 'if-none-match': '"something-else"' });
    assert.equal(other.statusCode, 200);
    assert.equal((await app.inject({ method: 'HEAD', url: '/papers' })).statusCode, 200);
  });

  test('rendered pages are cached until papers change', async () => {
    const url = '/papers/2507.00303';
    assert.ok((await get(url)).body.includes('<span class="upvote-count">7</span>'));
    await fx.db.query(`UPDATE papers SET upvotes = 8 WHERE id = '2507.00303'`);
    assert.ok((await get(url)).body.includes('<span class="upvote-count">7</span>'), 'served from the cache');
    ctx.events.emit('papers-changed', { paperIds: ['2507.00303'] });
    assert.ok((await get(url)).body.includes('<span class="upvote-count">8</span>'), 'rendered again after the change');
    await fx.db.query(`UPDATE papers SET upvotes = 7 WHERE id = '2507.00303'`);
    ctx.events.emit('papers-changed', {});
  });

  test('the theme chosen with the toggle (its cookie) is rendered by the server', async () => {
    const dark = await get('/papers', { cookie: 'other=1; paperpulse-theme=dark' });
    assert.ok(dark.body.startsWith('<!doctype html>\n<html lang="en" class="no-js" data-theme="dark">'));
    assert.ok(dark.body.includes('id="theme-toggle" type="button" class="js-only" aria-pressed="true"'));
    const plain = await get('/papers');
    assert.notEqual(dark.headers.etag, plain.headers.etag);
    assert.equal(plain.headers.vary, 'Cookie');
    const junk = await get('/papers', { cookie: 'paperpulse-theme="><script>' });
    assert.ok(junk.body.startsWith('<!doctype html>\n<html lang="en" class="no-js">\n'));
  });

  test('the stylesheet is served under a content-hashed URL with long caching', async () => {
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec((await get('/papers')).body)![1];
    const css = await get(href);
    assert.equal(css.statusCode, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.match(css.headers['cache-control'] as string, /max-age=31536000, immutable/);
    assert.ok(css.body.includes('prefers-color-scheme: dark'));
    assert.equal((await get(href, { 'if-none-match': css.headers.etag as string })).statusCode, 304);
    assert.equal((await get('/assets/app.css')).statusCode, 200);
    assert.equal((await get('/assets/app.0000.css')).statusCode, 404);
    const js = await get('/assets/app.js');
    assert.equal(js.statusCode, 200);
  });

  test('odd and malformed addresses never produce a 500', async () => {
    const urls = [
      '/papers/%E0%A4%A',
      '/papers/date/%00',
      '/papers/date/2025-07-02%00',
      '/papers/week/%F0%9F%92%A9',
      '/authors/%2F..%2F..',
      '/authors/%E0%A4%A',
      '/authors/%20',
      '/papers/..%2F..%2Fetc%2Fpasswd',
      '/papers?p=99999999999999999999',
      '/papers?p=1&p=2',
      '/papers?q=%00',
      '/papers?sort[]=x',
      '/papers/date/9999-12-31',
      '/papers/date/1000-01-01',
      '/papers/week/9999-W52',
      '/papers/week/2999-W52',
      '/papers/week/1900-W01',
      '/papers/month/2999-12',
      `/papers/${'9'.repeat(2000)}`,
    ];
    for (const url of urls) {
      const res = await get(url);
      assert.ok(res.statusCode < 500, `${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    }
  });
});

forEachDatabase('web pages on an empty database', (fx) => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildApp(await createContext(config, { db: fx.db, clock: () => NOW }));
  });
  after(async () => {
    await app?.close();
  });

  test('tell the user how to add papers', async () => {
    for (const url of ['/', '/papers', '/papers/trending', '/papers/date/2025-07-01', '/papers/week/2025-W27', '/papers/month/2025-07']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.ok(res.body.includes('No papers yet'), url);
      assert.ok(res.body.includes('paperpulse import FILE'), url);
      assert.ok(res.body.includes('paperpulse ingest arxiv --help'), url);
      assert.equal((res.body.match(/<h1/g) ?? []).length, 1, url);
    }
    const week = await app.inject({ method: 'GET', url: '/papers/week' });
    assert.equal(week.statusCode, 302);
    assert.equal(week.headers.location, '/papers');
    assert.equal((await app.inject({ method: 'GET', url: '/papers/2507.00001' })).statusCode, 404);
  });
});

describe('PageCache', () => {
  function counted(body: string) {
    const render = async () => {
      render.calls++;
      return { status: 200, body };
    };
    render.calls = 0;
    return render;
  }

  test('keeps the most recently used pages and drops the least recently used', async () => {
    const cache = new PageCache({ maxEntries: 2, ttlMs: 60_000 });
    const [a, b, c] = [counted('a'), counted('b'), counted('c')];
    await cache.get('a', a);
    await cache.get('b', b);
    await cache.get('a', a); // a is now the most recently used
    await cache.get('c', c); // evicts b
    await cache.get('a', a);
    await cache.get('b', b);
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 2, 1]);
    assert.equal(cache.size, 2);
    assert.equal((await cache.get('a', a)).body.toString(), 'a');
  });

  test('renders a page again once its time is up', async () => {
    let now = 0;
    const cache = new PageCache({ maxEntries: 10, ttlMs: 30_000, now: () => now });
    const r = counted('x');
    await cache.get('k', r);
    now = 29_999;
    await cache.get('k', r);
    assert.equal(r.calls, 1);
    now = 30_000;
    await cache.get('k', r);
    assert.equal(r.calls, 2);
  });

  test('renders once for concurrent requests, and an ETag names the body', async () => {
    const cache = new PageCache({ maxEntries: 10, ttlMs: 60_000 });
    const r = counted('same');
    const pages = await Promise.all([cache.get('k', r), cache.get('k', r), cache.get('k', r)]);
    assert.equal(r.calls, 1);
    assert.equal(new Set(pages.map((p) => p.etag)).size, 1);
    const other = await cache.get('other', counted('different'));
    assert.notEqual(other.etag, pages[0].etag);
  });

  test('a render that started before clear() is answered but not kept', async () => {
    const cache = new PageCache({ maxEntries: 10, ttlMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slow = async () => {
      calls++;
      await gate;
      return { status: 200, body: `render ${calls}` };
    };
    const pending = cache.get('k', slow);
    cache.clear(); // the data changed while the page was being rendered
    release();
    assert.equal((await pending).body.toString(), 'render 1');
    assert.equal((await cache.get('k', slow)).body.toString(), 'render 2');
    assert.equal((await cache.get('k', slow)).body.toString(), 'render 2');
  });

  test('a failed render is not cached', async () => {
    const cache = new PageCache({ maxEntries: 10, ttlMs: 60_000 });
    let fail = true;
    const render = async () => {
      if (fail) throw new Error('database down');
      return { status: 200, body: 'ok' };
    };
    await assert.rejects(cache.get('k', render), /database down/);
    fail = false;
    assert.equal((await cache.get('k', render)).body.toString(), 'ok');
  });
});

forEachDatabase('unknown addresses', (fx) => {
  test('an unknown page is an HTML 404, an unknown API route a JSON one', async () => {
    const app = await buildApp(await createContext(loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false }), { db: fx.db }));
    const page = await app.inject({ method: 'GET', url: '/no/such/<page>' });
    assert.equal(page.statusCode, 404);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.ok(page.body.includes('There is no page at /no/such/&lt;page&gt;'));
    const api = await app.inject({ method: 'GET', url: '/api/nothing' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error.code, 'NOT_FOUND');
    await app.close();
  });
});

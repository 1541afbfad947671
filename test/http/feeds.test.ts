// RSS 2.0 and Atom 1.0 feeds through app.inject, on each database, read by a real feed parser (rss-parser)
// and checked for well-formed XML (fast-xml-parser's validator): every kind of feed, absolute links,
// GUIDs that are paper URLs and stay the same across renders and feeds, listing-time dates, hostile
// titles and bidi overrides, caching headers, errors, and the autodiscovery links on the pages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import Parser from 'rss-parser';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { ensureUser } from '../../src/feed/votes.repository.ts';
import { upvote } from '../../src/feed/votes.service.ts';
import { buildApp } from '../../src/http/app.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const BASE = 'https://papers.example.org';
const config = loadConfig({
  env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: BASE },
  ensureDataDir: false,
});

const RLO = '\u202E';
const HOSTILE_ID = '2507.00666';
const HOSTILE_TITLE = `<script>alert(1)</script> & "quotes" ${RLO}fdp.exe ]]> <![CDATA[ x`;
/** What a reader must show: the same text, the bidi override dropped. */
const HOSTILE_SHOWN = '<script>alert(1)</script> & "quotes" fdp.exe ]]> <![CDATA[ x';
const HOSTILE_AUTHOR = `${RLO}Evil & <b>Name</b>`;

const v1 = (day: string, hour: number) => [{ version: 1, date: `${day}T${String(hour).padStart(2, '0')}:00:00Z` }];

function seed(): PaperRecord[] {
  return [
    record({ id: '2507.00101', title: 'Alpha One', firstListed: '2025-07-01', versions: v1('2025-06-30', 10), categories: ['cs.LG'] }),
    record({ id: '2507.00201', title: 'Beta One', firstListed: '2025-07-02', versions: v1('2025-07-01', 10), authors: ['Grace Hopper'] }),
    record({ id: '2507.00202', title: 'Beta Two', firstListed: '2025-07-02', versions: v1('2025-07-01', 11), categories: ['cs.LG', 'cs.CL'] }),
    record({
      id: HOSTILE_ID,
      title: HOSTILE_TITLE,
      abstract: `An abstract with <script>alert(2)</script> & ${RLO}reversed text.`,
      authors: [HOSTILE_AUTHOR, 'Grace Hopper'],
      firstListed: '2025-07-02',
      versions: v1('2025-07-01', 12),
    }),
    record({ id: '2507.00301', title: 'Gamma One', firstListed: '2025-07-03', versions: v1('2025-07-02', 9) }),
    record({ id: '2507.00302', title: 'Gamma Two', firstListed: '2025-07-03', versions: v1('2025-07-02', 10), categories: ['cs.LG'] }),
    record({ id: '2506.00001', title: 'Delta in June', firstListed: '2025-06-20', versions: v1('2025-06-19', 10), authors: ['Grace Hopper'] }),
    record({ id: 'hep-th/9901001', title: 'Strings Old and New', firstListed: '1999-01-04', versions: v1('1999-01-03', 12), categories: ['hep-th'] }),
  ];
}

const LISTED: Record<string, string> = Object.fromEntries(seed().map((r) => [r.id, r.firstListed]));

/** Every kind of feed, its path without extension and query, and the papers it must hold. */
const FEEDS: { name: string; path: string; query?: string; ids: string[]; ordered?: boolean }[] = [
  { name: 'latest day', path: '/feeds/latest', ids: ['2507.00301', '2507.00302'] },
  { name: 'a day', path: '/feeds/date/2025-07-02', ids: ['2507.00201', '2507.00202', HOSTILE_ID] },
  { name: 'a week', path: '/feeds/week/2025-W27', ids: ['2507.00101', '2507.00201', '2507.00202', HOSTILE_ID, '2507.00301', '2507.00302'] },
  { name: 'a month', path: '/feeds/month/2025-06', ids: ['2506.00001'] },
  { name: 'trending', path: '/feeds/trending', ids: ['2507.00101', '2507.00201', '2507.00202', HOSTILE_ID, '2507.00301', '2507.00302'] },
  { name: 'a category', path: '/feeds/category/cs.LG', ids: ['2507.00302', '2507.00202', '2507.00101'], ordered: true },
  { name: 'an author', path: '/feeds/author/grace%20hopper', ids: [HOSTILE_ID, '2507.00201', '2506.00001'], ordered: true },
  { name: 'a search', path: '/feeds/search', query: 'q=gamma', ids: ['2507.00302', '2507.00301'], ordered: true },
];

const paperUrl = (id: string) => `${BASE}/papers/${id}`;
const parser = new Parser();

forEachDatabase('RSS and Atom feeds', (fx) => {
  let app: FastifyInstance;
  let ctx: Context;
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  /** Fetches a feed, checks the XML and the media type, and parses it. */
  async function feed(url: string, format: 'rss' | 'atom') {
    const res = await get(url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
    assert.equal(res.headers['content-type'], `application/${format}+xml; charset=utf-8`, url);
    assert.equal(XMLValidator.validate(res.body), true, `${url} is well-formed XML`);
    assert.ok(res.body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n'), url);
    if (format === 'rss') assert.match(res.body, /^<rss version="2\.0"/m, url);
    else assert.match(res.body, /^<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom"/m, url);
    return { res, parsed: await parser.parseString(res.body) };
  }

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    ctx = await createContext(config, { db: fx.db });
    app = await buildApp(ctx);
  });
  after(async () => {
    await app?.close();
  });

  test('every kind of feed, in RSS and Atom, parses and holds its list with absolute links, paper-URL GUIDs and listing dates', async () => {
    for (const f of FEEDS) {
      for (const format of ['rss', 'atom'] as const) {
        const url = `${f.path}.${format === 'rss' ? 'xml' : 'atom'}${f.query ? `?${f.query}` : ''}`;
        const { parsed } = await feed(url, format);
        const what = `${f.name} (${url})`;
        assert.ok(parsed.title?.startsWith('paperpulse: '), what);
        assert.ok(parsed.link?.startsWith(`${BASE}/`), `${what}: channel link ${parsed.link}`);
        assert.equal(parsed.feedUrl, BASE + url, `${what}: self link`);
        const ids = parsed.items.map((item) => {
          assert.ok(item.link?.startsWith(`${BASE}/papers/`), `${what}: item link ${item.link}`);
          return item.link!.slice(`${BASE}/papers/`.length);
        });
        if (f.ordered) assert.deepEqual(ids, f.ids, what);
        else assert.deepEqual([...ids].sort(), [...f.ids].sort(), what);
        for (const [i, item] of parsed.items.entries()) {
          const id = ids[i];
          // The GUID (RSS) or id (Atom) is the paper's page, the same as its link.
          assert.equal(format === 'rss' ? item.guid : (item as { id?: string }).id, paperUrl(id), `${what}: GUID of ${id}`);
          // The date is when the paper went onto its day's list.
          assert.equal(item.isoDate, `${LISTED[id]}T00:00:00.000Z`, `${what}: date of ${id}`);
          assert.ok(item.title, `${what}: title of ${id}`);
        }
      }
    }
  });

  test('a hostile title, abstract and author are escaped: readers get the text, never markup or a bidi override', async () => {
    for (const format of ['rss', 'atom'] as const) {
      const { res, parsed } = await feed(`/feeds/date/2025-07-02.${format === 'rss' ? 'xml' : 'atom'}`, format);
      assert.ok(!res.body.includes('<script'), 'no raw markup in the XML');
      assert.ok(!res.body.includes('<b>'), 'no raw markup in the XML');
      assert.ok(!res.body.includes(RLO), 'no bidi override anywhere');
      const item = parsed.items.find((i) => i.link === paperUrl(HOSTILE_ID))!;
      assert.equal(item.title, HOSTILE_SHOWN);
      if (format === 'rss') {
        // The description is HTML: the abstract's text is escaped in it, so a reader shows "<script>" as text.
        assert.ok(item.content?.includes('An abstract with &lt;script&gt;alert(2)&lt;/script&gt; &amp; reversed text.'), item.content);
        assert.ok(!item.content?.includes('<script'), item.content);
        assert.ok(item.content?.includes('Evil &amp; &lt;b&gt;Name&lt;/b&gt;'), item.content);
        assert.equal((item as { creator?: string }).creator, 'Evil & <b>Name</b>, Grace Hopper');
      } else {
        // Atom text constructs are plain text: the reader gets the characters themselves.
        assert.equal((item as { summary?: string }).summary, 'An abstract with <script>alert(2)</script> & reversed text.');
        assert.match(res.body, /<title type="text">&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot; fdp\.exe \]\]&gt; &lt;!\[CDATA\[ x<\/title>/);
        assert.ok(res.body.includes('<author><name>Evil &amp; &lt;b&gt;Name&lt;/b&gt;</name></author>'));
      }
    }
  });

  test('GUIDs and bytes are stable across renders; a vote reorders trending but no GUID changes', async () => {
    const first = await get('/feeds/trending.xml');
    const again = await get('/feeds/trending.xml');
    assert.equal(again.body, first.body, 'the same list renders the same bytes');
    assert.equal(again.headers.etag, first.headers.etag);
    const before = (await parser.parseString(first.body)).items.map((i) => ({ link: i.link, guid: i.guid }));

    const voters = await Promise.all(['ann', 'bob', 'cat'].map((u) => ensureUser(fx.db, u)));
    // Within the latest day, three votes put 2507.00301 before 2507.00302 (equal scores order by id DESC).
    for (const { id } of voters) await upvote(ctx, { userId: id, paperId: '2507.00301' });
    const after = (await parser.parseString((await get('/feeds/trending.xml')).body)).items.map((i) => ({ link: i.link, guid: i.guid }));
    assert.notDeepEqual(after.map((i) => i.link), before.map((i) => i.link), 'the votes moved a paper up');
    assert.deepEqual(before.slice(0, 2).map((i) => i.link), [paperUrl('2507.00302'), paperUrl('2507.00301')]);
    assert.deepEqual(after.slice(0, 2).map((i) => i.link), [paperUrl('2507.00301'), paperUrl('2507.00302')]);
    const guidOf = new Map(before.map((i) => [i.link, i.guid]));
    for (const i of after) assert.equal(i.guid, guidOf.get(i.link), `${i.link}: same GUID`);
    // The same paper has the same GUID in every feed.
    const author = await parser.parseString((await get('/feeds/author/Grace%20Hopper.xml')).body);
    const day = await parser.parseString((await get('/feeds/date/2025-07-02.xml')).body);
    assert.equal(author.items.find((i) => i.link === paperUrl('2507.00201'))!.guid, day.items.find((i) => i.link === paperUrl('2507.00201'))!.guid);
  });

  test('feeds carry ETag, Last-Modified and Cache-Control, and answer 304 to conditional requests', async () => {
    const res = await get('/feeds/date/2025-07-02.atom');
    assert.equal(res.headers['cache-control'], 'public, max-age=300');
    assert.match(res.headers.etag as string, /^"[\w-]+"$/);
    assert.ok(res.headers['last-modified']);
    const cached = await get('/feeds/date/2025-07-02.atom', { 'if-none-match': res.headers.etag as string });
    assert.equal(cached.statusCode, 304);
    assert.equal(cached.body, '');
    const since = await get('/feeds/date/2025-07-02.atom', { 'if-modified-since': res.headers['last-modified'] as string });
    assert.equal(since.statusCode, 304);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    // The feed's own date is its newest item's, not the time of the request.
    const parsed = await parser.parseString(res.body);
    assert.equal(parsed.lastBuildDate, '2025-07-02T00:00:00Z');
    const empty = await feed('/feeds/date/2025-07-05.xml', 'rss');
    assert.equal(empty.parsed.items.length, 0, 'a day without papers is an empty feed');
    assert.equal(empty.parsed.lastBuildDate, 'Sat, 05 Jul 2025 00:00:00 GMT');
  });

  test('bad feed addresses are JSON errors naming what is wrong', async () => {
    const cases: [string, number, string, string?][] = [
      ['/feeds/date/2025-13-40.xml', 400, 'INVALID_PARAMETER', 'date'],
      ['/feeds/week/2025-W60.atom', 400, 'INVALID_PARAMETER', 'week'],
      ['/feeds/month/2025-7.xml', 400, 'INVALID_PARAMETER', 'month'],
      ['/feeds/category/not%20a%20category.xml', 400, 'INVALID_PARAMETER', 'category'],
      ['/feeds/search.xml', 400, 'INVALID_PARAMETER', 'q'],
      ['/feeds/search.atom?q=%20', 400, 'INVALID_PARAMETER', 'q'],
      ['/feeds/date/2025-07-02.json', 404, 'NOT_FOUND'],
      ['/feeds/date/2025-07-02', 404, 'NOT_FOUND'],
      ['/feeds/author/Nobody%20Here.xml', 404, 'AUTHOR_NOT_FOUND'],
      ['/feeds/unknown.xml', 404, 'NOT_FOUND'],
    ];
    for (const [url, status, code, parameter] of cases) {
      const res = await get(url);
      assert.equal(res.statusCode, status, url);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', url);
      const body = res.json() as { error: { code: string; parameter?: string } };
      assert.equal(body.error.code, code, url);
      assert.equal(body.error.parameter, parameter, url);
    }
  });

  test('every page with a list announces its RSS and Atom feeds and shows an RSS link', async () => {
    const pages: [string, string][] = [
      ['/papers', '/feeds/latest'],
      ['/', '/feeds/latest'],
      ['/papers/date/2025-07-02', '/feeds/date/2025-07-02'],
      ['/papers/week/2025-W27', '/feeds/week/2025-W27'],
      ['/papers/month/2025-07', '/feeds/month/2025-07'],
      ['/papers/trending', '/feeds/trending'],
      ['/authors/Grace%20Hopper', '/feeds/author/Grace%20Hopper'],
    ];
    for (const [page, feedPath] of pages) {
      const body = (await get(page)).body;
      const rss = new RegExp(`<link rel="alternate" type="application/rss\\+xml" title="[^"]+" href="${escapeRe(feedPath)}\\.xml">`);
      const atom = new RegExp(`<link rel="alternate" type="application/atom\\+xml" title="[^"]+" href="${escapeRe(feedPath)}\\.atom">`);
      assert.match(body, rss, page);
      assert.match(body, atom, page);
      assert.ok(body.includes(`<a class="feed-link" href="${feedPath}.xml" type="application/rss+xml">RSS</a>`), `${page}: visible RSS link`);
      // The announced feed exists and names itself with the same address.
      const { parsed } = await feed(`${feedPath}.xml`, 'rss');
      assert.equal(parsed.feedUrl, `${BASE}${feedPath}.xml`);
    }
    const search = (await get('/papers?q=gamma')).body;
    assert.ok(search.includes('<link rel="alternate" type="application/rss+xml" title="Search: gamma (RSS)" href="/feeds/search.xml?q=gamma">'), 'search page');
    assert.ok(search.includes('<a class="feed-link" href="/feeds/search.xml?q=gamma" type="application/rss+xml">RSS</a>'));
    const noMatch = (await get('/papers?q=zzzz')).body;
    assert.ok(noMatch.includes('href="/feeds/search.xml?q=zzzz"'), 'a search with no match yet still has its feed');
    // A hostile author: the link title has no bidi control and is escaped.
    const hostileAuthor = (await get(`/authors/${encodeURIComponent(HOSTILE_AUTHOR)}`)).body;
    assert.ok(hostileAuthor.includes('title="Papers by Evil &amp; &lt;b&gt;Name&lt;/b&gt; (RSS)"'), 'escaped title');
    // Pages without a list have no feed.
    for (const page of [`/papers/${HOSTILE_ID}`, '/nothing-here', '/authors/Nobody%20Here']) {
      assert.ok(!(await get(page)).body.includes('rel="alternate"'), page);
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

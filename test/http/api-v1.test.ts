// paperpulse's own API (/api/v1) through app.inject, on each database: the shapes, paging by links,
// conditional GETs (ETag / Last-Modified, 304), CORS, the one error shape; the OpenAPI document (validated
// by an OpenAPI validator; every registered /api/v1 route in it); and the curl examples of docs/api.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { apiPaperSchema } from '../../src/api/v1-shape.ts';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { ERROR_CODES, isErrorCode } from '../../src/errors.ts';
import { ensureUser } from '../../src/feed/votes.repository.ts';
import { upvote } from '../../src/feed/votes.service.ts';
import { Validators } from '../../src/http/api/conditional.ts';
import { buildApp } from '../../src/http/app.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';
import { projectRoot } from '../helpers/shared.ts';

const BASE = 'https://papers.example.org';
const config = loadConfig({
  env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: BASE },
  ensureDataDir: false,
});

const v1 = (day: string, hour: number) => [{ version: 1, date: `${day}T${String(hour).padStart(2, '0')}:00:00Z` }];

/** 2024-08-01 has five papers; the examples in docs/api.md use these ids, days and names. */
const AUG_1 = ['2407.21783', '2407.21001', '2407.21002', '2407.21003', '2407.21004'];

function seed(): PaperRecord[] {
  return [
    record({
      id: '2407.21783',
      version: 3,
      title: 'The Llama 3 Herd of Models',
      authors: ['Abhimanyu Dubey', 'Abhinav Jauhri'],
      categories: ['cs.AI', 'cs.CL'],
      firstListed: '2024-08-01',
      versions: [
        { version: 1, date: '2024-07-31T17:54:27Z' },
        { version: 3, date: '2024-11-23T19:35:33Z' },
      ],
      githubRepo: 'https://github.com/meta-llama/llama3',
    }),
    ...AUG_1.slice(1).map((id, i) =>
      record({ id, title: `August paper ${i + 1}`, categories: ['cs.LG'], firstListed: '2024-08-01', versions: v1('2024-07-31', 10 + i) }),
    ),
    record({ id: '2408.00010', title: 'The day after', authors: ['José Álvarez'], firstListed: '2024-08-02', versions: v1('2024-08-01', 10) }),
    record({ id: 'hep-th/9901001', version: 2, title: 'Strings Old and New', categories: ['hep-th'], firstListed: '1999-01-04', versions: v1('1999-01-03', 12) }),
  ];
}

type Json = Record<string, any>;
const local = (url: string) => {
  assert.ok(url.startsWith(`${BASE}/`), `absolute URL on PUBLIC_URL: ${url}`);
  return url.slice(BASE.length);
};

forEachDatabase('API v1', (fx) => {
  let app: FastifyInstance;
  let ctx: Context;
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const json = async (url: string, status = 200) => {
    const res = await get(url);
    assert.equal(res.statusCode, status, `${url}: ${res.body.slice(0, 300)}`);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', url);
    return res.json() as Json;
  };

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    // Trending order of 2024-08-01: 21002 (3), 21783 (2), 21004 (1), then 21003 and 21001 (0) by id DESC.
    await fx.db.query(
      `UPDATE papers SET trending_score = CASE id WHEN '2407.21002' THEN 3 WHEN '2407.21783' THEN 2
         WHEN '2407.21004' THEN 1 ELSE 0 END,
       upvotes = CASE id WHEN '2407.21783' THEN 12 ELSE 0 END`,
    );
    ctx = await createContext(config, { db: fx.db });
    app = await buildApp(ctx);
  });
  after(async () => {
    await app?.close();
  });

  test('a paper: every field of the schema, absolute links, any form of its id', async () => {
    const p = await json('/api/v1/papers/2407.21783');
    for (const key of apiPaperSchema.required) assert.ok(key in p, key);
    assert.equal(p.id, '2407.21783');
    assert.equal(p.version, 3);
    assert.equal(p.title, 'The Llama 3 Herd of Models');
    assert.deepEqual(p.authors[0], {
      name: 'Abhimanyu Dubey',
      url: `${BASE}/authors/Abhimanyu%20Dubey`,
      api: `${BASE}/api/v1/authors/Abhimanyu%20Dubey`,
    });
    assert.deepEqual(p.categories, ['cs.AI', 'cs.CL']);
    assert.equal(p.primaryCategory, 'cs.AI');
    assert.equal(p.listedOn, '2024-08-01');
    assert.equal(p.listedAt, '2024-08-01T00:00:00.000Z');
    assert.equal(p.publishedAt, '2024-07-31T17:54:27.000Z');
    assert.deepEqual(p.versions.map((v: Json) => v.version), [1, 3]);
    assert.equal(p.githubRepo, 'https://github.com/meta-llama/llama3');
    assert.equal(p.doi, null, 'unknown fields are null, not missing');
    assert.equal(p.upvotes, 12);
    assert.equal(typeof p.trendingScore, 'number');
    assert.deepEqual(p.links, {
      self: `${BASE}/api/v1/papers/2407.21783`,
      html: `${BASE}/papers/2407.21783`,
      abs: 'https://arxiv.org/abs/2407.21783',
      pdf: 'https://arxiv.org/pdf/2407.21783',
    });
    assert.deepEqual(await json('/api/v1/papers/2407.21783v2'), p);
    assert.deepEqual(await json('/api/v1/papers/arXiv:2407.21783'), p);
    assert.equal((await json('/api/v1/papers/hep-th/9901001')).links.self, `${BASE}/api/v1/papers/hep-th/9901001`);
    assert.equal((await json('/api/v1/papers/1234.56789', 404)).error.code, 'PAPER_NOT_FOUND');
  });

  test('a day pages through its papers by links.next, and the Link header agrees', async () => {
    let url: string | null = '/api/v1/feeds/day/2024-08-01?sort=newest&limit=2';
    const seen: string[] = [];
    const selves: string[] = [];
    let pages = 0;
    while (url && pages++ < 10) {
      const res = await get(url);
      assert.equal(res.statusCode, 200);
      const body = res.json() as Json;
      assert.deepEqual(body.pagination, { page: pages, limit: 2, total: 5, pages: 3, hasMore: pages < 3 });
      assert.equal(local(body.links.self), url);
      assert.equal(local(body.links.first), '/api/v1/feeds/day/2024-08-01?sort=newest&limit=2');
      assert.equal(local(body.links.last), '/api/v1/feeds/day/2024-08-01?sort=newest&page=3&limit=2');
      if (pages === 1) assert.equal(body.links.prev, null);
      else assert.equal(body.links.prev, `${BASE}${selves.at(-1)}`);
      const link = res.headers.link as string;
      if (body.links.next) assert.ok(link.includes(`<${body.links.next}>; rel="next"`), link);
      else assert.ok(!link.includes('rel="next"'), link);
      seen.push(...body.papers.map((p: Json) => p.id));
      selves.push(url);
      url = body.links.next ? local(body.links.next) : null;
    }
    assert.equal(pages, 3);
    // Newest first: the later v1 submission first, the Llama paper (17:54) before the 10:00-13:00 ones.
    assert.deepEqual(seen, ['2407.21783', '2407.21004', '2407.21003', '2407.21002', '2407.21001']);

    const past = await json('/api/v1/feeds/day/2024-08-01?sort=newest&limit=2&page=9');
    assert.deepEqual(past.papers, []);
    assert.equal(past.links.next, null);
    assert.equal(local(past.links.prev), '/api/v1/feeds/day/2024-08-01?sort=newest&page=3&limit=2', 'back to the last page');
  });

  test('period lists: trending order by default, the neighbours that have papers, HTML and feed links', async () => {
    const day = await json('/api/v1/feeds/day/2024-08-01');
    assert.equal(day.sort, 'trending');
    assert.deepEqual(day.papers.map((p: Json) => p.id), ['2407.21002', '2407.21783', '2407.21004', '2407.21003', '2407.21001']);
    assert.equal(day.period.key, '2024-08-01');
    assert.equal(day.period.prev.key, '1999-01-04');
    assert.equal(day.period.next.key, '2024-08-02');
    assert.equal(local(day.period.next.url), '/api/v1/feeds/day/2024-08-02');
    assert.equal(day.links.html, `${BASE}/papers/date/2024-08-01`);
    assert.equal(day.links.rss, `${BASE}/feeds/date/2024-08-01.xml`);
    assert.equal(day.links.atom, `${BASE}/feeds/date/2024-08-01.atom`);
    assert.equal(day.links.prev, null);
    assert.equal(day.links.next, null);
    const week = await json('/api/v1/feeds/week/2024-W31');
    assert.equal(week.period.start, '2024-07-29');
    assert.equal(week.papers.length, 6);
    const month = await json('/api/v1/feeds/month/2024-08?sort=newest');
    assert.equal(month.papers[0].id, '2408.00010');
    assert.equal(local(month.links.self), '/api/v1/feeds/month/2024-08?sort=newest');
    const latest = await json('/api/v1/feeds/latest');
    assert.equal(latest.period.key, '2024-08-02');
    assert.equal(latest.links.html, `${BASE}/papers`);
    assert.equal(latest.links.rss, `${BASE}/feeds/latest.xml`);
  });

  test('trending, a category, an author, search', async () => {
    const trending = await json('/api/v1/feeds/trending');
    assert.deepEqual(trending.window, { start: '2024-07-27', end: '2024-08-02' });
    assert.equal(trending.papers[0].id, '2407.21002');
    assert.ok(!trending.papers.some((p: Json) => p.id === 'hep-th/9901001'));

    const cat = await json('/api/v1/feeds/category/cs.CL');
    assert.equal(cat.category, 'cs.CL');
    assert.deepEqual(cat.papers.map((p: Json) => p.id), ['2408.00010', '2407.21783'], 'primary or cross-listed, newest first');
    assert.equal(cat.links.rss, `${BASE}/feeds/category/cs.CL.xml`);
    assert.equal(cat.links.html, null);

    const author = await json('/api/v1/authors/jose%20alvarez');
    assert.deepEqual(author.author, { name: 'José Álvarez', key: 'jose alvarez', url: `${BASE}/authors/Jos%C3%A9%20%C3%81lvarez` });
    assert.deepEqual(author.papers.map((p: Json) => p.id), ['2408.00010']);
    assert.equal((await json('/api/v1/authors/Nobody%20Here', 404)).error.code, 'AUTHOR_NOT_FOUND');

    const search = await json('/api/v1/search?q=llama');
    assert.equal(search.query, 'llama');
    assert.equal(search.papers[0].id, '2407.21783');
    assert.deepEqual(search.pagination, { page: 1, limit: 50, total: null, pages: null, hasMore: false });
    assert.equal(search.links.rss, `${BASE}/feeds/search.xml?q=llama`);
    assert.equal(search.links.html, `${BASE}/papers?q=llama`);
    const paged = await json('/api/v1/search?q=august&limit=3');
    assert.equal(paged.papers.length, 3);
    assert.equal(local(paged.links.next), '/api/v1/search?q=august&page=2&limit=3');
    assert.equal((await json(local(paged.links.next))).papers.length, 1);
  });

  test('every error has the one shape, a registered code and its status', async () => {
    const cases: [string, string, string?][] = [
      ['/api/v1/papers/1234.56789', 'PAPER_NOT_FOUND'],
      ['/api/v1/papers/not-an-id', 'PAPER_NOT_FOUND'],
      ['/api/v1/authors/Nobody', 'AUTHOR_NOT_FOUND'],
      ['/api/v1/feeds/day/2025-13-40', 'INVALID_PARAMETER', 'date'],
      ['/api/v1/feeds/week/2025-W60', 'INVALID_PARAMETER', 'week'],
      ['/api/v1/feeds/month/2025-00', 'INVALID_PARAMETER', 'month'],
      ['/api/v1/feeds/day/2024-08-01?page=0', 'INVALID_PARAMETER', 'page'],
      ['/api/v1/feeds/day/2024-08-01?limit=101', 'INVALID_PARAMETER', 'limit'],
      ['/api/v1/feeds/day/2024-08-01?sort=best', 'INVALID_PARAMETER', 'sort'],
      ['/api/v1/feeds/category/not%20a%20category', 'INVALID_PARAMETER', 'category'],
      ['/api/v1/search', 'INVALID_PARAMETER', 'q'],
      ['/api/v1/search?q=%20%20', 'INVALID_PARAMETER', 'q'],
      ['/api/v1/nothing', 'NOT_FOUND'],
      ['/api/v2/papers/2407.21783', 'NOT_FOUND'],
    ];
    for (const [url, code, parameter] of cases) {
      const res = await get(url);
      const body = res.json() as Json;
      assert.deepEqual(Object.keys(body), ['error'], url);
      assert.ok(isErrorCode(body.error.code), url);
      assert.equal(body.error.code, code, url);
      assert.equal(res.statusCode, ERROR_CODES[code as keyof typeof ERROR_CODES].status, url);
      assert.equal(typeof body.error.message, 'string');
      assert.ok(body.error.message.length > 5);
      assert.equal(body.error.parameter, parameter, url);
      assert.deepEqual(Object.keys(body.error).sort(), parameter ? ['code', 'message', 'parameter'] : ['code', 'message'], url);
      assert.equal(res.headers['access-control-allow-origin'], '*', `${url}: errors are readable cross-origin too`);
    }
  });

  test('ETag and Last-Modified: 304 while unchanged, the new body after a vote', async () => {
    const url = '/api/v1/papers/2407.21001';
    const first = await get(url);
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;
    assert.match(etag, /^"[\w-]+"$/);
    assert.ok(!Number.isNaN(Date.parse(lastModified)));
    assert.equal(first.headers['cache-control'], 'no-cache');
    assert.equal((await get(url)).headers.etag, etag, 'the same bytes, the same ETag');

    const notModified = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 304);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, etag);
    };
    notModified(await get(url, { 'if-none-match': etag }));
    notModified(await get(url, { 'if-none-match': `"other", W/${etag}` }));
    notModified(await get(url, { 'if-none-match': '*' }));
    notModified(await get(url, { 'if-modified-since': lastModified }));
    const head = await app.inject({ method: 'HEAD', url, headers: { 'if-none-match': etag } });
    assert.equal(head.statusCode, 304);
    assert.equal((await get(url, { 'if-none-match': '"other"' })).statusCode, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110).
    assert.equal((await get(url, { 'if-none-match': '"other"', 'if-modified-since': lastModified })).statusCode, 200);
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    assert.equal((await get(url, { 'if-modified-since': older })).statusCode, 200);

    const { id: userId } = await ensureUser(fx.db, 'reader');
    await upvote(ctx, { userId, paperId: '2407.21001' });
    const changed = await get(url, { 'if-none-match': etag });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal((changed.json() as Json).upvotes, 1);
    assert.equal((await get(url, { 'if-modified-since': lastModified })).statusCode, 200, 'changed since that date');
    assert.equal((await get('/api/v1/feeds/day/2024-08-01', { 'if-none-match': etag })).statusCode, 200, 'ETags are per address');
  });

  test('CORS: any origin may GET the API and the feeds; preflights are answered; pages are not opened', async () => {
    for (const url of ['/api/v1/papers/2407.21783', '/api/daily_papers', '/api/openapi.json', '/feeds/latest.xml']) {
      const res = await get(url, { origin: 'https://elsewhere.example' });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['access-control-allow-origin'], '*', url);
      assert.match(res.headers['access-control-expose-headers'] as string, /ETag/, url);
    }
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/search?q=x',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    assert.equal(pre.headers['access-control-allow-headers'], 'if-none-match');
    const page = await get('/papers', { origin: 'https://elsewhere.example' });
    assert.equal(page.headers['access-control-allow-origin'], undefined, 'HTML pages stay same-origin');
  });

  test('the OpenAPI document is valid OpenAPI 3.1 and lists every /api/v1 route; page routes stay out', async () => {
    const doc = await json('/api/openapi.json');
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));

    const normalise = (p: string) => p.replace(/\{[^}]+\}/g, '{}');
    const documented = new Set(Object.entries(doc.paths as Json).filter(([, item]) => item.get).map(([p]) => normalise(p)));
    const registered = registeredGetRoutes(app);
    const v1Routes = registered.filter((r) => r.startsWith('/api/v1/'));
    assert.ok(v1Routes.length >= 10, v1Routes.join(' '));
    for (const route of v1Routes) assert.ok(documented.has(route), `${route} is registered but not in /api/openapi.json`);
    for (const route of registered.filter((r) => r.startsWith('/api/') && !r.startsWith('/api/v1/'))) {
      if (route === '/api/openapi.json' || route === '/api/docs') continue;
      assert.ok(documented.has(route), `${route} (Hugging Face-compatible) is not documented`);
    }
    for (const route of registered.filter((r) => r.startsWith('/feeds/'))) assert.ok(documented.has(route), `${route} is not documented`);
    for (const p of Object.keys(doc.paths)) {
      assert.ok(p.startsWith('/api/') || p.startsWith('/feeds/'), `${p}: pages are hidden from the API document`);
      assert.ok(registered.includes(normalise(p)), `${p} is documented but not registered`);
    }
    // Every documented operation says what it answers, with a schema for its JSON.
    for (const [p, item] of Object.entries(doc.paths as Json)) {
      const ok = item.get.responses['200'];
      assert.ok(ok?.content, `${p}: 200 has content`);
    }
    for (const name of ['ApiPaper', 'ApiLinks', 'ApiPagination', 'ApiError', 'HfDailyItem', 'HfPaperInfo']) {
      assert.ok(doc.components.schemas[name], name);
    }
    assert.equal(doc.servers[0].url, BASE);
  });

  test('/api/docs renders the document as a page of the site, without scripts of its own', async () => {
    const res = await get('/api/docs');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const body = res.body;
    const doc = await json('/api/openapi.json');
    for (const p of Object.keys(doc.paths)) assert.ok(body.includes(`GET ${p}`), p);
    for (const code of Object.keys(ERROR_CODES)) assert.ok(body.includes(`<code>${code}</code>`), code);
    assert.equal(body.split('<script').length - 1, 1, 'only the site script');
    assert.ok(!/https?:\/\/(?!127\.0\.0\.1|papers\.example\.org|arxiv\.org)[^"' <]*\.(?:js|css)/.test(body), 'no third-party assets');
    assert.ok(body.includes('<main id="main"'));
  });

  test('the curl examples in docs/api.md work', async () => {
    const doc = readFileSync(path.join(projectRoot, 'docs/api.md'), 'utf8');
    const examples = [...doc.matchAll(/^curl [^\n]*'http:\/\/127\.0\.0\.1:3000([^']*)'(?:\s+#\s*(\d{3}))?$/gm)];
    assert.ok(examples.length >= 20, `${examples.length} examples`);
    for (const [line, url, expected] of examples) {
      if (line.includes('<')) continue; // a placeholder to fill in (the ETag example)
      const headers = Object.fromEntries([...line.matchAll(/-H '([^:]+): ([^']*)'/g)].map((m) => [m[1].toLowerCase(), m[2]]));
      const res = await get(url, headers);
      assert.equal(res.statusCode, Number(expected ?? 200), `${line}\n${res.body.slice(0, 300)}`);
      if (res.statusCode >= 400) assert.ok(isErrorCode((res.json() as Json).error.code), line);
    }
  });
});

test('Last-Modified is when the bytes were first sent, never shared by two versions within a second', () => {
  let now = Date.UTC(2025, 6, 2, 10, 0, 0, 250);
  const v = new Validators(2, () => now);
  const t0 = Date.UTC(2025, 6, 2, 10, 0, 0);
  assert.equal(v.lastModified('/a', '"1"'), t0, 'whole seconds');
  now += 5_000;
  assert.equal(v.lastModified('/a', '"1"'), t0, 'unchanged bytes keep their date');
  assert.equal(v.lastModified('/a', '"2"'), t0 + 5_000, 'new bytes: now');
  now += 100;
  // A second change within the same second gets the next second, and no date until that second comes,
  // so that a client holding the previous version's date never gets a 304 for this one.
  assert.equal(v.lastModified('/a', '"3"'), null);
  now += 1_000;
  assert.equal(v.lastModified('/a', '"3"'), t0 + 6_000);
  // At most maxEntries addresses are remembered; a forgotten one starts again from now.
  v.lastModified('/b', '"1"');
  v.lastModified('/c', '"1"');
  now += 3_000;
  assert.equal(v.lastModified('/a', '"3"'), Math.floor(now / 1000) * 1000);
});

/**
 * The GET routes the app has registered, from Fastify's own route tree (printRoutes), with parameter
 * names replaced by {} so that they compare with OpenAPI paths.
 */
function registeredGetRoutes(app: FastifyInstance): string[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n').filter(Boolean);
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of lines) {
    const at = line.indexOf('── ');
    assert.ok(at >= 0, line);
    const depth = (at - 1) / 4;
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3))!;
    const full = (depth > 0 ? stack[depth - 1] : '') + m[1];
    stack[depth] = full;
    stack.length = depth + 1;
    if (m[2]?.split(', ').includes('GET')) routes.push(full.replace(/:[\w]+(?:\|:[\w]+)*/g, '{}'));
  }
  return routes;
}

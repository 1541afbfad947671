// The Hugging Face-compatible API through app.inject, on each database. Contract: every field the
// official `huggingface_hub` client reads (the table in ../shared/docs/hf-papers-api.md, read here and
// replayed the way the client reads it) is present with the right type and nesting, and the JSON has the
// nesting and types of the real response excerpt. Then paging, filters, sorting, and JSON errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { ERROR_CODES } from '../../src/errors.ts';
import { buildApp } from '../../src/http/app.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';
import { sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const config = loadConfig({
  env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: 'https://papers.example.org' },
  ensureDataDir: false,
});

const v1 = (day: string, hour: number) => [{ version: 1, date: `${day}T${String(hour).padStart(2, '0')}:00:00Z` }];
const HOSTILE_TITLE = '<script>alert(1)</script> & "quotes" \u202Efdp.exe';

/** 2025-07-02 (a Wednesday, week 2025-W27) has five papers, for paging. */
const JULY_2 = ['2507.00201', '2507.00202', '2507.00203', '2507.00204', '2507.00205'];

function seed(): PaperRecord[] {
  return [
    record({ id: '2507.00101', title: 'Alpha One', firstListed: '2025-07-01', versions: v1('2025-06-30', 10) }),
    record({ id: '2507.00102', title: 'Alpha Two', firstListed: '2025-07-01', versions: v1('2025-06-30', 11) }),
    ...JULY_2.map((id, i) =>
      record({
        id,
        title: `Beta ${i + 1}`,
        firstListed: '2025-07-02',
        versions: v1('2025-07-01', 10 + i),
        ...(i === 0
          ? { githubRepo: 'https://github.com/example/beta', projectPage: 'https://example.org/beta', organization: 'Example Lab' }
          : {}),
      }),
    ),
    record({ id: '2507.00301', title: HOSTILE_TITLE, firstListed: '2025-07-03', versions: v1('2025-07-02', 9), authors: ['\u202EEvil Name', 'Grace Hopper'] }),
    record({ id: '2506.00001', title: 'Delta in June', firstListed: '2025-06-20', versions: v1('2025-06-19', 10) }),
    // Search: the exact title, a longer title that starts with it, a title with the word, an abstract with it.
    record({ id: '2407.21783', version: 3, title: 'The Llama 3 Herd of Models', firstListed: '2024-08-01', versions: v1('2024-07-31', 17), categories: ['cs.AI', 'cs.CL'] }),
    record({ id: '2408.00001', title: 'The Llama 3 Herd of Models Revisited', firstListed: '2024-08-02', versions: v1('2024-08-01', 10) }),
    record({ id: '2408.00002', title: 'Guarding Llama Conversations', firstListed: '2024-08-02', versions: v1('2024-08-01', 11) }),
    record({ id: '2408.00003', title: 'Efficient Inference', abstract: 'We speed up llama models.', firstListed: '2024-08-02', versions: v1('2024-08-01', 12) }),
    record({ id: 'hep-th/9901001', version: 2, title: 'Strings Old and New', firstListed: '1999-01-04', versions: v1('1999-01-03', 12), categories: ['hep-th'] }),
  ];
}

// Trending order of 2025-07-02: 00203 (score 9), 00201 (5), 00205 (3), then 00202 and 00204 (0) by id DESC.
const TRENDING_JULY_2 = ['2507.00203', '2507.00201', '2507.00205', '2507.00204', '2507.00202'];
// Newest order of 2025-07-02: the later submission first.
const NEWEST_JULY_2 = [...JULY_2].reverse();

type Json = Record<string, unknown>;

// ---- The client, as ../shared/docs/hf-papers-api.md describes it -------------------------------------

interface ClientRow {
  attribute: string;
  /** Keys in the order the client tries them; "paper.x" reads the nested object. */
  keys: string[];
}

/** The PaperInfo table of the shared doc: which attribute the client fills from which keys. */
function clientTable(): ClientRow[] {
  const doc = readFileSync(sharedPath('docs/hf-papers-api.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## `PaperInfo`'), doc.indexOf('### `PaperAuthor`'));
  const rows: ClientRow[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split('|').map((c) => c.trim());
    const attribute = cells[1].replace(/`/g, '');
    const keys = [...cells[2].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    rows.push({ attribute, keys });
  }
  assert.ok(rows.length >= 20, `the table of the shared doc has ${rows.length} rows`);
  return rows;
}

/**
 * What PaperInfo(**element) ends up with: it takes `paper` out, then for each attribute tries the keys in
 * order, taking top-level keys out of the element as it reads them (a key used once is gone), and keeps the
 * first truthy value.
 */
function asClientReads(element: Json, table: ClientRow[]): Record<string, unknown> {
  const top: Json = { ...element };
  const paper = (top.paper ?? {}) as Json;
  delete top.paper;
  const out: Record<string, unknown> = {};
  for (const row of table) {
    let value: unknown = undefined;
    for (const key of row.keys) {
      if (key.startsWith('paper.')) value = paper[key.slice(6)];
      else {
        value = top[key];
        delete top[key];
      }
      if (value) break;
    }
    out[row.attribute] = value ?? (row.attribute === 'comments' ? 0 : undefined);
  }
  return out;
}

const isDate = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/**
 * What each attribute must be. `optional` attributes may be absent (None in the client) when paperpulse
 * has no such data; a new row in the shared table fails the test until it is decided here.
 */
const EXPECT: Record<string, { check: (v: unknown) => boolean; optional?: 'always' | 'daily' }> = {
  id: { check: (v) => typeof v === 'string' && /^\d{4}\.\d{4,5}$|\//.test(v) },
  authors: { check: (v) => Array.isArray(v) && v.length > 0 && v.every((a) => typeof (a as Json).name === 'string' && (a as Json).name !== '') },
  published_at: { check: isDate },
  title: { check: (v) => typeof v === 'string' && v.length > 0 },
  source: { check: (v) => typeof v === 'string', optional: 'always' },
  summary: { check: (v) => typeof v === 'string' && v.length > 0 },
  upvotes: { check: isCount },
  discussion_id: { check: (v) => typeof v === 'string' && v.length > 0 },
  comments: { check: isCount },
  submitted_at: { check: isDate },
  submitted_by: { check: (v) => typeof (v as Json)?.user === 'string' && (v as Json).user !== '' },
  ai_summary: { check: (v) => typeof v === 'string', optional: 'always' },
  ai_keywords: { check: Array.isArray, optional: 'always' },
  organization: { check: (v) => typeof (v as Json)?.name === 'string', optional: 'always' },
  project_page: { check: (v) => typeof v === 'string', optional: 'always' },
  github_repo: { check: (v) => typeof v === 'string', optional: 'always' },
  github_stars: { check: isCount, optional: 'always' },
  linked_models: { check: Array.isArray, optional: 'daily' },
  num_total_models: { check: Number.isInteger, optional: 'daily' },
  linked_datasets: { check: Array.isArray, optional: 'daily' },
  num_total_datasets: { check: Number.isInteger, optional: 'daily' },
  linked_spaces: { check: Array.isArray, optional: 'daily' },
};

function assertClientReads(element: Json, kind: 'daily' | 'info', table: ClientRow[]): Record<string, unknown> {
  const read = asClientReads(element, table);
  for (const row of table) {
    const expect = EXPECT[row.attribute];
    assert.ok(expect, `the client reads ${row.attribute}: decide what paperpulse sends for it`);
    const value = read[row.attribute];
    // The client turns an empty list or 0 into None too, so "absent" means undefined here.
    if (value === undefined && (expect.optional === 'always' || (expect.optional === 'daily' && kind === 'daily'))) continue;
    assert.ok(value !== undefined, `${kind}: the client finds no ${row.attribute} (keys ${row.keys.join(', ')})`);
    assert.ok(expect.check(value), `${kind}: ${row.attribute} = ${JSON.stringify(value)}`);
  }
  return read;
}

forEachDatabase('Hugging Face-compatible API', (fx) => {
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ method: 'GET', url });
  const json = async (url: string, status = 200) => {
    const res = await get(url);
    assert.equal(res.statusCode, status, `${url}: ${res.body.slice(0, 300)}`);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', url);
    return res.json();
  };
  const ids = (items: Json[]) => items.map((i) => (i.paper as Json).id);

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    await fx.db.query(
      `UPDATE papers SET
         trending_score = CASE id WHEN '2507.00203' THEN 9 WHEN '2507.00201' THEN 5 WHEN '2507.00205' THEN 3
           WHEN '2507.00301' THEN 20 WHEN '2408.00002' THEN 8 WHEN '2408.00003' THEN 50 ELSE 0 END,
         upvotes = CASE id WHEN '2507.00203' THEN 12 WHEN '2507.00201' THEN 7 WHEN '2407.21783' THEN 4 ELSE 0 END,
         num_comments = CASE id WHEN '2507.00201' THEN 3 ELSE 0 END`,
    );
    app = await buildApp(await createContext(config, { db: fx.db }));
  });
  after(async () => {
    await app?.close();
  });

  test('daily items and paper objects carry every field the client reads, as it reads them', { skip: skipWithoutShared }, async () => {
    const table = clientTable();
    const items: Json[] = await json('/api/daily_papers?date=2025-07-02');
    assert.equal(items.length, 5);
    for (const item of items) {
      const read = assertClientReads(item, 'daily', table);
      // Daily items: submitted_at is when the paper went onto the list, published_at arXiv's time.
      assert.equal(read.submitted_at, '2025-07-02T00:00:00.000Z');
      assert.equal(read.published_at, new Date(`2025-07-01T${String(10 + JULY_2.indexOf(read.id as string)).padStart(2, '0')}:00:00Z`).toISOString());
    }
    const withLinks = asClientReads(items.find((i) => (i.paper as Json).id === '2507.00201')!, table);
    assert.equal(withLinks.github_repo, 'https://github.com/example/beta');
    assert.equal(withLinks.project_page, 'https://example.org/beta');
    assert.equal((withLinks.organization as Json).fullname, 'Example Lab');
    assert.equal(withLinks.comments, 3);
    assert.equal(withLinks.upvotes, 7);
    assert.equal((withLinks.submitted_by as Json).user, 'arxiv');

    const search: Json[] = await json('/api/papers/search?q=llama');
    for (const item of search) assertClientReads(item, 'daily', table);

    const info: Json = await json('/api/papers/2407.21783');
    const read = assertClientReads(info, 'info', table);
    // The flat object: publishedAt is arXiv's time, and submitted_at falls back to submittedOnDailyAt.
    assert.equal(read.published_at, '2024-07-31T17:00:00.000Z');
    assert.equal(read.submitted_at, '2024-08-01T00:00:00.000Z');
    assert.equal(read.title, 'The Llama 3 Herd of Models');
    assert.deepEqual(read.linked_models, []);
    assert.equal(read.num_total_models, 0);
  });

  test('a daily item has the nesting and types of the real response', { skip: skipWithoutShared }, async () => {
    const real: Json[] = JSON.parse(readFileSync(sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'utf8'));
    const ours: Json = (await json('/api/daily_papers?date=2025-07-02&limit=1'))[0];
    const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
    for (const element of real) {
      // Every top-level and paper-level key both have carries the same type; the keys the client reads are all here.
      for (const [key, value] of Object.entries(element)) {
        if (key in ours) assert.equal(typeOf(ours[key]), typeOf(value), `top-level ${key}`);
      }
      for (const [key, value] of Object.entries(element.paper as Json)) {
        const mine = (ours.paper as Json)[key];
        if (mine !== undefined) assert.equal(typeOf(mine), typeOf(value), `paper.${key}`);
      }
    }
    for (const key of ['publishedAt', 'title', 'numComments', 'submittedBy', 'thumbnail']) assert.ok(key in ours, key);
    for (const key of ['id', 'authors', 'publishedAt', 'title', 'summary', 'upvotes', 'discussionId']) assert.ok(key in (ours.paper as Json), `paper.${key}`);
    const realAuthor = (real[0].paper as { authors: Json[] }).authors[1];
    const ourAuthor = (ours.paper as { authors: Json[] }).authors[0];
    for (const key of ['_id', 'name', 'hidden']) assert.equal(typeOf(ourAuthor[key]), typeOf(realAuthor[key]), `author.${key}`);
    for (const key of ['avatarUrl', 'fullname', 'type', 'isPro']) {
      assert.equal(typeOf((ours.submittedBy as Json)[key]), typeOf((real[0].submittedBy as Json)[key]), `submittedBy.${key}`);
    }
    // Dates as the real response writes them: ISO 8601 with milliseconds and Z.
    assert.match(ours.publishedAt as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.match((real[0] as Json).publishedAt as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('the answers are bare arrays and objects; hostile text is just JSON text', async () => {
    const items: Json[] = await json('/api/daily_papers?date=2025-07-03');
    assert.ok(Array.isArray(items));
    assert.equal(items[0].title, HOSTILE_TITLE);
    assert.equal((items[0].paper as Json).title, HOSTILE_TITLE);
    const res = await get('/api/daily_papers?date=2025-07-03');
    assert.ok(!res.body.includes('<script>') || res.body.includes('"<script>alert(1)</script>'), 'only inside a JSON string');
  });

  test('p and limit page through a list without gaps or repeats', async () => {
    const pages: unknown[][] = [];
    for (let p = 0; p < 4; p++) pages.push(ids(await json(`/api/daily_papers?date=2025-07-02&limit=2&p=${p}`)));
    assert.deepEqual(pages, [NEWEST_JULY_2.slice(0, 2), NEWEST_JULY_2.slice(2, 4), NEWEST_JULY_2.slice(4), []]);
    assert.equal((await json('/api/daily_papers?date=2025-07-02&limit=100')).length, 5);
    // Defaults: p=0, limit=50, every day newest first.
    const all: Json[] = await json('/api/daily_papers');
    assert.equal(all.length, seed().length);
    assert.equal((all[0].paper as Json).id, '2507.00301');
    assert.equal((all.at(-1)!.paper as Json).id, 'hep-th/9901001');
    const days = all.map((i) => (i.publishedAt as string).slice(0, 10));
    assert.deepEqual(days, [...days].sort().reverse(), 'newest listing first');
    assert.deepEqual(ids(await json('/api/daily_papers?limit=3&p=1')), ids(all).slice(3, 6));
  });

  test('date, week and month filter by listing day; sort=trending orders by trending score', async () => {
    assert.deepEqual(ids(await json('/api/daily_papers?date=2025-07-02')), NEWEST_JULY_2);
    assert.deepEqual(ids(await json('/api/daily_papers?date=2025-07-02&sort=publishedAt')), NEWEST_JULY_2);
    assert.deepEqual(ids(await json('/api/daily_papers?date=2025-07-02&sort=trending')), TRENDING_JULY_2);
    const week = ids(await json('/api/daily_papers?week=2025-W27'));
    assert.deepEqual(new Set(week), new Set(['2507.00101', '2507.00102', ...JULY_2, '2507.00301']));
    assert.deepEqual(ids(await json('/api/daily_papers?week=2025-W25')), ['2506.00001']);
    assert.deepEqual(ids(await json('/api/daily_papers?week=2025-W26')), []);
    const month = ids(await json('/api/daily_papers?month=2025-07&sort=trending'));
    assert.deepEqual(month.slice(0, 3), ['2507.00301', '2507.00203', '2507.00201']);
    assert.equal(month.length, 8);
    assert.deepEqual(ids(await json('/api/daily_papers?date=2025-07-05')), [], 'a weekend: an empty list, not an error');
    // No period with sort=trending: the trending window (the 7 listing days up to the latest one).
    const trending = ids(await json('/api/daily_papers?sort=trending'));
    assert.deepEqual(trending.slice(0, 3), ['2507.00301', '2507.00203', '2507.00201']);
    assert.ok(!trending.includes('2506.00001') && !trending.includes('2407.21783'), 'outside the window');
  });

  test('submitter: arxiv submitted every paper; nobody else has submitted any yet', async () => {
    assert.deepEqual(ids(await json('/api/daily_papers?date=2025-07-02&submitter=arxiv')), NEWEST_JULY_2);
    assert.deepEqual(await json('/api/daily_papers?date=2025-07-02&submitter=akhaliq'), []);
    assert.deepEqual(await json('/api/daily_papers?submitter=someone'), []);
  });

  test('invalid parameters are a 400 JSON error naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/api/daily_papers?date=2025-13-40', 'date'],
      ['/api/daily_papers?date=2025-02-30', 'date'],
      ['/api/daily_papers?date=yesterday', 'date'],
      ['/api/daily_papers?limit=-1', 'limit'],
      ['/api/daily_papers?limit=0', 'limit'],
      ['/api/daily_papers?limit=101', 'limit'],
      ['/api/daily_papers?limit=ten', 'limit'],
      ['/api/daily_papers?week=2025-W60', 'week'],
      ['/api/daily_papers?week=2025-27', 'week'],
      ['/api/daily_papers?month=2025-13', 'month'],
      ['/api/daily_papers?p=-1', 'p'],
      ['/api/daily_papers?p=1.5', 'p'],
      ['/api/daily_papers?sort=votes', 'sort'],
      ['/api/daily_papers?date=2025-07-02&week=2025-W27', 'week'],
      ['/api/papers/search?q=llama&limit=-1', 'limit'],
      ['/api/papers/search?q=llama&limit=500', 'limit'],
    ];
    for (const [url, parameter] of cases) {
      const body = await json(url, 400);
      assert.equal(body.error.code, 'INVALID_PARAMETER', url);
      assert.equal(body.error.parameter, parameter, url);
      assert.ok(body.error.message.includes(parameter), `${url}: ${body.error.message}`);
    }
  });

  test('GET /api/papers/{id}: one flat object; versioned and old-style ids; 404 JSON for unknown ones', async () => {
    const info = await json('/api/papers/2407.21783');
    assert.equal(info.id, '2407.21783');
    assert.ok(!('paper' in info), 'flat');
    assert.equal(info.title, 'The Llama 3 Herd of Models');
    assert.equal(info.upvotes, 4);
    assert.deepEqual(info.authors.map((a: Json) => a.name), ['Ada Lovelace', 'Alan Turing']);
    assert.deepEqual(await json('/api/papers/2407.21783v2'), info, 'a versioned id gives the paper');
    assert.deepEqual(await json('/api/papers/arXiv:2407.21783'), info);
    assert.equal((await json('/api/papers/hep-th/9901001')).id, 'hep-th/9901001');
    for (const url of ['/api/papers/1234.56789', '/api/papers/2501.99999', '/api/papers/not-an-id', '/api/papers/hep-th/0000000']) {
      const body = await json(url, 404);
      assert.equal(body.error.code, 'PAPER_NOT_FOUND', url);
      assert.equal(typeof body.error.message, 'string');
    }
  });

  test('search: best first, an exact title first; limit caps the list; no q gives the newest', async () => {
    const titles = (items: Json[]) => items.map((i) => i.title);
    const llama: Json[] = await json('/api/papers/search?q=llama');
    // Titles containing the word, by trending score (00002 has 8) then newest; then the abstract match,
    // though its trending score (50) is the highest.
    assert.deepEqual(titles(llama), [
      'Guarding Llama Conversations',
      'The Llama 3 Herd of Models Revisited',
      'The Llama 3 Herd of Models',
      'Efficient Inference',
    ]);
    assert.equal(llama.at(-1)!.title, 'Efficient Inference', 'an abstract match comes after title matches');
    // The same ranking pages without gaps across the title and abstract matches (through /api/v1/search).
    const paged: unknown[] = [];
    for (let page = 1; page <= 5; page++) {
      const body = await json(`/api/v1/search?q=llama&limit=1&page=${page}`);
      paged.push(...body.papers.map((p: Json) => p.title));
      assert.equal(body.pagination.hasMore, page < 4, `page ${page}`);
    }
    assert.deepEqual(paged, titles(llama));
    const exact: Json[] = await json('/api/papers/search?q=the%20llama%203%20herd%20of%20models');
    assert.equal(exact[0].title, 'The Llama 3 Herd of Models', 'the exact title first, though another is newer');
    assert.equal(exact[1].title, 'The Llama 3 Herd of Models Revisited');
    assert.equal((await json('/api/papers/search?q=llama&limit=2')).length, 2);
    assert.deepEqual(await json('/api/papers/search?q=nothing%20matches%20this'), []);
    assert.deepEqual(await json('/api/papers/search?q=100%25'), [], 'LIKE wildcards match literally');
    const newest: Json[] = await json('/api/papers/search?limit=3');
    assert.deepEqual(ids(newest), ['2507.00301', ...NEWEST_JULY_2.slice(0, 2)]);
  });

  test('unknown addresses under /api are JSON 404s in the one error shape', async () => {
    const body = await json('/api/nothing/here', 404);
    assert.equal(body.error.code, 'NOT_FOUND');
    assert.equal(ERROR_CODES.NOT_FOUND.status, 404);
  });
});

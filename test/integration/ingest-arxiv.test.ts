import { EventEmitter } from 'node:events';
// Harvesting from arXiv against a local server that replays recorded arXiv responses
// (../shared/fixtures): id lookups, paged searches, OAI-PMH resumption chains, arXiv's error answers,
// busy servers, cut-off bodies, unreachable hosts, and the `ingest arxiv` command itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Config } from '../../src/config.ts';
import type { Context } from '../../src/context.ts';
import type { Db } from '../../src/db/client.ts';
import {
  ArxivApiError,
  ArxivClient,
  ArxivHttpError,
  ArxivOaiError,
  ArxivResponseError,
  ArxivUnreachableError,
  parseRetryAfter,
  type ArxivClientOptions,
  type RetryInfo,
} from '../../src/ingest/arxiv-client.ts';
import { harvestIds, harvestOai, harvestQuery, harvestRecent, type HarvestProgress } from '../../src/ingest/harvest.service.ts';
import { parseArxivAtom } from '../../src/ingest/parse-atom.ts';
import { parseOaiPmh } from '../../src/ingest/parse-oai.ts';
import { silentLogger } from '../../src/log.ts';
import { countPapers, getPaper } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import {
  addRecordedRoutes,
  closedPort,
  loadRecordedFixtures,
  ReplayServer,
  unavailableThen,
  type RecordedFixture,
} from '../helpers/replay-server.ts';
import { projectRoot, sharedDir, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const INTERVAL_MS = 20;
const USER_AGENT = 'paperpulse-test/0.0.0 (+http://paperpulse.test)';
const skip = skipWithoutShared;

const fixtures: RecordedFixture[] = sharedDir ? loadRecordedFixtures(sharedPath('fixtures', 'arxiv-api', 'recorded')) : [];
const oaiFixture = (name: string) => readFileSync(sharedPath('fixtures', 'arxiv-oai-pmh', name), 'utf8');

/** The recorded response whose file name starts with `prefix` (e.g. "id_1605.08386_"). */
function fixture(prefix: string): RecordedFixture {
  const found = fixtures.filter((f) => f.file.startsWith(prefix));
  assert.equal(found.length, 1, `exactly one recorded fixture starts with ${prefix}`);
  return found[0];
}

/** The papers (id -> title) a recorded Atom body carries, as the parser reads them. */
function papersIn(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of parseArxivAtom(body, 'fixture').items) if (item.ok) out.set(item.record.id, item.record.title);
  return out;
}

function ctxFor(db: Db): Context {
  return {
    config: {} as Config, // the harvest services only use the database
    db,
    log: silentLogger,
    clock: () => new Date(),
    events: new EventEmitter() as Context['events'],
    close: async () => {},
  };
}

let server: ReplayServer;
before(async () => {
  server = await ReplayServer.start();
});
after(async () => {
  await server?.close();
});

function client(extra: Partial<ArxivClientOptions> = {}): ArxivClient {
  return new ArxivClient({
    apiUrl: server.apiUrl,
    oaiUrl: server.oaiUrl,
    intervalMs: INTERVAL_MS,
    userAgent: USER_AGENT,
    backoffBaseMs: 20,
    maxRetries: 2,
    ...extra,
  });
}

/** One request at a time, and at least the interval between the end of one and the start of the next. */
function assertPolite(): void {
  assert.equal(server.maxConcurrent, 1, 'never two requests in flight at once');
  // 1 ms of slack for timer rounding.
  assert.ok(server.minGapMs() >= INTERVAL_MS - 1, `gap between requests ${server.minGapMs().toFixed(1)} ms < ${INTERVAL_MS} ms`);
}

const starts = () => server.requests.map((r) => Number(r.params.get('start')));

forEachDatabase('ingest arxiv', (fx) => {
  beforeEach(async () => {
    server.reset();
    await fx.db.exec('DELETE FROM papers');
  });

  test('--ids: a known paper is fetched and stored with its arXiv title', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const expected = papersIn(fixture('id_1605.08386_').body);
    assert.equal(expected.get('1605.08386'), 'Heat-bath random walks with Markov bases');

    const result = await harvestIds(ctxFor(fx.db), client(), ['1605.08386']);
    assert.deepEqual(
      { read: result.read, inserted: result.inserted, rejected: result.rejected, notFound: result.notFound, requests: result.requests },
      { read: 1, inserted: 1, rejected: 0, notFound: [], requests: 1 },
    );
    const paper = await getPaper(fx.db, '1605.08386');
    assert.equal(paper?.title, expected.get('1605.08386'));
    assert.equal(paper?.source, 'arxiv-api');
    assert.equal(server.requests[0].params.get('id_list'), '1605.08386');
    assert.equal(server.requests[0].userAgent, USER_AGENT, 'identifies itself to arXiv');
  });

  test('--ids: two ids go in one request; the one arXiv does not know is reported as not found', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const expected = papersIn(fixture('id_0808.05394_1707.08567_').body);
    const result = await harvestIds(ctxFor(fx.db), client(), ['0808.05394', '1707.08567']);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].params.get('id_list'), '0808.05394,1707.08567');
    assert.equal(result.inserted, 1);
    assert.deepEqual(result.notFound, ['0808.05394']);
    assert.equal((await getPaper(fx.db, '1707.08567'))?.title, expected.get('1707.08567'));
    assert.equal(await countPapers(fx.db), 1);
  });

  test('--ids: an unknown id (0 entries) inserts nothing and is reported as not found', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const result = await harvestIds(ctxFor(fx.db), client(), ['0000.0000']);
    assert.equal(result.read, 0);
    assert.equal(result.inserted, 0);
    assert.deepEqual(result.notFound, ['0000.0000']);
    assert.equal(await countPapers(fx.db), 0);
  });

  test('--ids: the invalid id "abc" (HTTP 400 + error entry) fails with arXiv\'s own error text, without retrying', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    await assert.rejects(harvestIds(ctxFor(fx.db), client(), ['abc']), (err: unknown) => {
      assert.ok(err instanceof ArxivApiError, `expected ArxivApiError, got ${String(err)}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /incorrect id format for abc/);
      assert.match(err.message, /HTTP 400/);
      return true;
    });
    assert.equal(server.requests.length, 1, 'a 400 is not retried');
  });

  test('--ids: more than 100 ids are fetched 100 per request', { skip }, async () => {
    const empty = fixture('id_0000.0000_');
    server.route('any id list', { id_list: /./ }, { body: empty.body });
    const ids = Array.from({ length: 150 }, (_, i) => `2501.${String(i + 1).padStart(5, '0')}`);
    const result = await harvestIds(ctxFor(fx.db), client(), ids);
    assert.deepEqual(
      server.requests.map((r) => r.params.get('id_list')!.split(',').length),
      [100, 50],
    );
    assert.equal(result.notFound.length, 150);
    assertPolite();
  });

  test('--query: pages through the recorded search, storing every distinct paper served', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const progress: HarvestProgress[] = [];
    const result = await harvestQuery(ctxFor(fx.db), client(), 'testing', {
      pageSize: 10,
      maxResults: 60,
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(server.unmatched.map((r) => r.url), [], 'every request hit a recorded response');
    assert.deepEqual(starts(), [0, 10, 20, 30, 40, 50]);
    assert.ok(server.requests.every((r) => r.params.get('search_query') === 'testing' && r.params.get('max_results') === '10'));

    const served = new Set<string>();
    for (const r of server.requests) {
      const fx2 = fixtures.find((f) => f.file === r.route)!;
      for (const id of papersIn(fx2.body).keys()) served.add(id);
    }
    assert.equal(served.size, 60);
    assert.equal(await countPapers(fx.db), served.size);
    for (const id of served) assert.ok(await getPaper(fx.db, id), `${id} stored`);
    assert.equal(result.inserted, served.size);
    assert.equal(result.read, 60);
    assert.equal(result.pages, 6);
    assert.equal(result.stopReason, 'max-results');
    // Progress is reported page by page with running counts.
    assert.deepEqual(progress.map((p) => p.pages), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(progress.map((p) => p.summary.read), [10, 20, 30, 40, 50, 60]);
    assertPolite();
  });

  test('re-running a harvest is idempotent, and a re-run search stops after 3 pages with nothing new', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const ctx = ctxFor(fx.db);
    const first = await harvestQuery(ctx, client(), 'testing', { pageSize: 10, maxResults: 60 });
    const stored = await countPapers(fx.db);
    assert.equal(first.inserted, stored);

    server.requests.length = 0;
    const again = await harvestQuery(ctx, client(), 'testing', { pageSize: 10, maxResults: 60, stopAfterUnchangedPages: 0 });
    assert.deepEqual(
      { inserted: again.inserted, updated: again.updated, unchanged: again.unchanged, rejected: again.rejected },
      { inserted: 0, updated: 0, unchanged: 60, rejected: 0 },
    );
    assert.equal(await countPapers(fx.db), stored);

    server.requests.length = 0;
    const third = await harvestQuery(ctx, client(), 'testing', { pageSize: 10, maxResults: 60 });
    assert.deepEqual(starts(), [0, 10, 20]);
    assert.equal(third.stopReason, 'unchanged-pages');
    assert.equal(third.inserted, 0);
    assert.equal(third.unchanged, 30);

    server.requests.length = 0;
    const ids = await harvestIds(ctx, client(), ['1605.08386']);
    const idsAgain = await harvestIds(ctx, client(), ['1605.08386']);
    assert.equal(ids.inserted, 1);
    assert.deepEqual({ inserted: idsAgain.inserted, unchanged: idsAgain.unchanged }, { inserted: 0, unchanged: 1 });
  });

  test('503 + Retry-After: 1 twice, then success: waits at least a second each time and gets the paper', { skip }, async () => {
    const fx1605 = fixture('id_1605.08386_');
    server.route('busy twice', { id_list: '1605.08386' }, unavailableThen(2, '1', { body: fx1605.body }));
    const retries: RetryInfo[] = [];
    const result = await harvestIds(ctxFor(fx.db), client({ maxRetries: 5, onRetry: (r) => retries.push(r) }), ['1605.08386']);
    assert.equal(result.inserted, 1);
    assert.equal(result.requests, 3);
    assert.equal(server.requests.length, 3);
    for (let i = 1; i < 3; i++) {
      const gap = server.requests[i].startedAt - server.requests[i - 1].endedAt!;
      assert.ok(gap >= 995, `waited ${gap.toFixed(0)} ms after a 503 with Retry-After: 1`);
    }
    assert.deepEqual(retries.map((r) => [r.reason, r.waitMs]), [['HTTP 503', 1000], ['HTTP 503', 1000]]);
    assertPolite();
  });

  test('a server that stays busy: gives up after the retries with a clear HTTP error', { skip }, async () => {
    server.route('always busy', { id_list: '1605.08386' }, unavailableThen(1, '0', { status: 503, body: 'still busy' }));
    await assert.rejects(harvestIds(ctxFor(fx.db), client({ maxRetries: 2 }), ['1605.08386']), (err: unknown) => {
      assert.ok(err instanceof ArxivHttpError, String(err));
      assert.equal(err.status, 503);
      assert.match(err.message, /HTTP 503/);
      assert.match(err.message, /gave up after 3 attempts/);
      return true;
    });
    assert.equal(server.requests.length, 3);
    assertPolite();
  });

  test('a body cut short: clear error, earlier pages kept, nothing from the broken page written', { skip }, async () => {
    const page2 = fixture('q_testing_s10_m10_');
    server.route('cut page 2', { start: '10' }, { body: page2.body, truncateAt: 4000 }, { path: '/api/query' });
    addRecordedRoutes(server, fixtures);
    await assert.rejects(
      harvestQuery(ctxFor(fx.db), client({ maxRetries: 1 }), 'testing', { pageSize: 10, maxResults: 30 }),
      (err: unknown) => {
        assert.ok(err instanceof ArxivResponseError, String(err));
        assert.match(err.message, /truncated or malformed response/);
        assert.match(err.message, /start=10/, 'names the request');
        return true;
      },
    );
    assert.deepEqual(starts(), [0, 10, 10], 'page 2 retried once, page 3 never asked for');
    const page1 = papersIn(fixture('q_testing_s0_m10_').body);
    assert.equal(await countPapers(fx.db), page1.size);
    for (const id of papersIn(page2.body).keys()) assert.equal(await getPaper(fx.db, id), null, `${id} not written`);
  });

  test('a complete answer with broken XML: clear "truncated or malformed" error, nothing written', { skip }, async () => {
    const body = fixture('id_1605.08386_').body;
    server.route('broken xml', { id_list: '1605.08386' }, { body: body.slice(0, Math.floor(body.length / 2)) });
    await assert.rejects(harvestIds(ctxFor(fx.db), client(), ['1605.08386']), (err: unknown) => {
      assert.ok(err instanceof ArxivResponseError, String(err));
      assert.match(err.message, /truncated or malformed response/);
      return true;
    });
    assert.equal(await countPapers(fx.db), 0);
  });

  test('OAI-PMH: follows the resumptionToken chain, sending only verb and token after the first page', { skip }, async () => {
    const first = oaiFixture('ListRecordsResponse.xml');
    const token = '726959|1001';
    assert.ok(first.includes(`>${token}</resumptionToken>`));
    // Page 2: a real ListRecords response given the empty token that ends a list.
    const second = oaiFixture('arxiv-physics-hep-th.xml').replace(
      '</ListRecords>',
      '<resumptionToken cursor="6" completeListSize="9"/>\n</ListRecords>',
    );
    server.route('first page', { verb: 'ListRecords', resumptionToken: null }, { body: first, headers: { 'content-type': 'text/xml' } }, { path: '/oai' });
    server.route('second page', { resumptionToken: token }, { body: second, headers: { 'content-type': 'text/xml' } }, { path: '/oai' });

    const result = await harvestOai(ctxFor(fx.db), client(), { from: '2014-10-01' });
    assert.equal(server.requests.length, 2);
    assert.deepEqual(Object.fromEntries(server.requests[0].params), { verb: 'ListRecords', metadataPrefix: 'arXiv', from: '2014-10-01' });
    assert.deepEqual([...server.requests[1].params.entries()], [['verb', 'ListRecords'], ['resumptionToken', token]]);

    const expected = [...parseOaiPmh(first, 'p1').items, ...parseOaiPmh(second, 'p2').items];
    const expectedIds = expected.filter((i) => i.ok).map((i) => (i.ok ? i.record.id : ''));
    assert.equal(expectedIds.length, 9);
    assert.equal(result.read, 9);
    assert.equal(result.inserted, 9);
    assert.equal(result.pages, 2);
    assert.equal(result.stopReason, 'complete');
    for (const id of expectedIds) assert.ok(await getPaper(fx.db, id), `${id} stored`);
    assertPolite();
  });

  test('OAI-PMH: a badResumptionToken answer fails with that code, keeping the pages already written', { skip }, async () => {
    server.route('first page', { resumptionToken: null }, { body: oaiFixture('ListRecordsResponse.xml') }, { path: '/oai' });
    server.route('bad token', { resumptionToken: /./ }, { body: oaiFixture('ErrorResponseBadResumptionToken.xml') }, { path: '/oai' });
    await assert.rejects(harvestOai(ctxFor(fx.db), client(), { from: '2014-10-01' }), (err: unknown) => {
      assert.ok(err instanceof ArxivOaiError, String(err));
      assert.equal(err.code, 'badResumptionToken');
      assert.match(err.message, /badResumptionToken/);
      assert.match(err.message, /The resumptionToken supplied is illegal/);
      return true;
    });
    assert.equal(server.requests.length, 2, 'an OAI error is not retried');
    assert.equal(await countPapers(fx.db), 6);
  });

  test('OAI-PMH: noRecordsMatch is an empty harvest, not a failure', { skip }, async () => {
    server.route('nothing', { set: 'moo' }, { body: oaiFixture('ErrorResponseNoRecordsMatch.xml') }, { path: '/oai' });
    const result = await harvestOai(ctxFor(fx.db), client(), { set: 'moo', from: '2015-06-01' });
    assert.deepEqual(
      { read: result.read, inserted: result.inserted, rejected: result.rejected, requests: result.requests },
      { read: 0, inserted: 0, rejected: 0, requests: 1 },
    );
    assert.equal(server.requests[0].params.get('set'), 'moo');
  });

  test('recent papers: asks for the categories and the submittedDate window, newest first, and pages to the end', { skip }, async () => {
    server.route('recent page 1', { search_query: /submittedDate/, start: '0' }, { body: fixture('q_testing_s0_m10_').body }, { path: '/api/query' });
    server.route('recent end', { search_query: /submittedDate/ }, { body: fixture('id_0000.0000_').body }, { path: '/api/query' });
    const result = await harvestRecent(ctxFor(fx.db), client(), {
      categories: ['cs.AI', 'cs.CL'],
      days: 2,
      now: new Date('2025-01-08T12:00:00Z'),
      pageSize: 10,
    });
    const q = server.requests[0].params;
    assert.equal(q.get('search_query'), '(cat:cs.AI OR cat:cs.CL) AND submittedDate:[202501061200 TO 202501081200]');
    assert.equal(q.get('sortBy'), 'submittedDate');
    assert.equal(q.get('sortOrder'), 'descending');
    assert.deepEqual(starts(), [0, 10]);
    assert.equal(result.inserted, 10);
    assert.equal(result.stopReason, 'empty-page');
  });
});

describe('arXiv client', () => {
  beforeEach(() => server.reset());

  test('an unreachable server (closed port) gives ArxivUnreachableError naming the URL', async () => {
    const port = await closedPort();
    const c = client({ apiUrl: `http://127.0.0.1:${port}/api/query`, maxRetries: 1, backoffBaseMs: 10 });
    await assert.rejects(c.queryApi({ idList: ['1605.08386'], start: 0, maxResults: 100 }), (err: unknown) => {
      assert.ok(err instanceof ArxivUnreachableError, String(err));
      assert.match(err.message, new RegExp(`cannot reach arXiv at http://127\\.0\\.0\\.1:${port}/api/query`));
      assert.match(err.message, /connection refused/);
      assert.equal(err.attempts, 2);
      return true;
    });
  });

  test('a server that does not answer in time gives ArxivUnreachableError (timeout)', async () => {
    server.route('slow', {}, { body: '<feed/>', delayMs: 1000 });
    const c = client({ timeoutMs: 100, maxRetries: 0 });
    await assert.rejects(c.queryApi({ searchQuery: 'slow', start: 0, maxResults: 1 }), (err: unknown) => {
      assert.ok(err instanceof ArxivUnreachableError, String(err));
      assert.match(err.message, /timeout/);
      return true;
    });
  });

  test('requests made at the same time still go one at a time, with the pause in between', async () => {
    server.route('feed', {}, { body: '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', delayMs: 10 });
    const c = client();
    await Promise.all([1, 2, 3, 4].map((i) => c.queryApi({ searchQuery: `q${i}`, start: 0, maxResults: 1 })));
    assert.equal(server.requests.length, 4);
    assertPolite();
  });

  test('an abort (server shutdown) ends a Retry-After wait with the abort reason, without another request', async () => {
    server.route('busy', {}, unavailableThen(5, '30', { body: '<feed/>' }));
    const abort = new AbortController();
    const c = client({ signal: abort.signal, maxRetries: 5 });
    const pending = c.queryApi({ searchQuery: 'x', start: 0, maxResults: 1 });
    setTimeout(() => abort.abort(new Error('shutting down')), 100);
    await assert.rejects(pending, /shutting down/);
    assert.equal(server.requests.length, 1);
  });

  test('Retry-After as seconds or an HTTP date; a huge Retry-After is capped', async () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon'), null);

    server.route('busy for an hour', {}, unavailableThen(1, '3600', { body: '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>' }));
    const waits: number[] = [];
    const c = client({
      maxWaitMs: 50,
      sleep: async (ms) => {
        waits.push(ms);
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    await c.queryApi({ searchQuery: 'x', start: 0, maxResults: 1 });
    assert.ok(waits.includes(50), `waited ${waits.join(', ')} ms; the 1 h Retry-After should be capped at 50 ms`);
    assert.equal(server.requests.length, 2);
  });
});

describe('paperpulse ingest arxiv (command line)', () => {
  const bin = path.join(projectRoot, 'bin', 'paperpulse.js');
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-ingest-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  beforeEach(() => server.reset());

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ARXIV_API_URL: server.apiUrl, ARXIV_OAI_URL: server.oaiUrl, ARXIV_REQUEST_INTERVAL: `${INTERVAL_MS}ms` };
      delete env.DATABASE_URL;
      delete env.PAPERPULSE_DATA_DIR;
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(process.execPath, [bin, 'ingest', 'arxiv', ...args], { cwd: projectRoot, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('--ids <abs URL> --json fetches the paper into the data dir and prints the counts; a second run changes nothing', { skip }, async () => {
    addRecordedRoutes(server, fixtures);
    const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

    const first = await run(['--ids', 'https://arxiv.org/abs/2104.12255v1', '--json', '--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { read: out.read, inserted: out.inserted, updated: out.updated, unchanged: out.unchanged, rejected: out.rejected },
      { read: 1, inserted: 1, updated: 0, unchanged: 0, rejected: 0 },
    );
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].params.get('id_list'), '2104.12255v1');
    assert.ok(server.requests[0].userAgent?.startsWith(`paperpulse/${version} (+`), `User-Agent was ${server.requests[0].userAgent}`);

    const second = await run(['--ids', '2104.12255v1', '--json', '--data-dir', dataDir]);
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as Record<string, unknown>;
    assert.deepEqual({ inserted: again.inserted, unchanged: again.unchanged }, { inserted: 0, unchanged: 1 });
  });

  test('wrong options are usage errors (exit 2) that say what is wrong, and nothing is fetched', async () => {
    const bad = await run(['--ids', '2501.00001,abc', '--data-dir', dataDir]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /not arXiv ids: "abc"/);

    const none = await run(['--data-dir', dataDir]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /choose what to fetch/);

    const dates = await run(['--from', '2025-02-30', '--data-dir', dataDir]);
    assert.equal(dates.code, 2, dates.stderr);
    assert.match(dates.stderr, /--from must be a real date/);
    assert.equal(server.requests.length, 0);
  });
});

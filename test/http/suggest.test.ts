// Search-as-you-type: GET /api/v1/suggest on each database (the order of suggestions, limits, hostile input
// never a 500, the OpenAPI entry), and the TitleSuggester itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { suggestKey, TitleSuggester, type IndexedDoc } from '../../src/search/search-index.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const BASE = 'https://papers.example.org';
const config = loadConfig({
  env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PUBLIC_URL: BASE },
  ensureDataDir: false,
});
const SCRIPT = '<script>alert(1)</script>';

const PAPERS = [
  { id: '2507.10001', title: 'Attention Is All You Need, Again', day: '2025-07-01' },
  { id: '2507.10002', title: 'Attention Sinks in Long-Context Transformers', day: '2025-07-03' },
  { id: '2507.10003', title: 'Sparse Attention at Scale', day: '2025-07-02' },
  { id: '2507.10004', title: 'Graph Attention Networks Revisited', day: '2025-07-02' },
  { id: '2507.10005', title: 'Schrödinger Bridges for Generative Modelling', day: '2025-07-01' },
  { id: '2507.10006', title: `Zebrafish ${SCRIPT} & "Tracking"`, day: '2025-07-01' },
  { id: '2507.10007', title: "Robert'); DROP TABLE papers;-- A Study of Injection", day: '2025-07-01' },
  { id: 'hep-th/9901001', title: 'Strings Attention Old and New', day: '1999-01-04' },
];

forEachDatabase('GET /api/v1/suggest', (fx) => {
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ method: 'GET', url });
  const suggest = async (q: string, extra = '') => {
    const res = await get(`/api/v1/suggest?q=${encodeURIComponent(q)}${extra}`);
    assert.equal(res.statusCode, 200, `${q}: ${res.body.slice(0, 300)}`);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    return res.json() as { query: string; suggestions: { id: string; title: string; url: string }[] };
  };

  before(async () => {
    await fx.db.transaction((tx) =>
      writePapers(tx, PAPERS.map((p) => record({ id: p.id, title: p.title, abstract: `About ${p.title}.`, firstListed: p.day }))),
    );
    // Many titles beginning alike, to check the limit.
    await fx.db.transaction((tx) =>
      writePapers(
        tx,
        Array.from({ length: 30 }, (_, i) =>
          record({ id: `2507.${20000 + i}`, title: `Quokka Behaviour Study ${i}`, abstract: 'Marsupials.', firstListed: '2025-07-01' }),
        ),
      ),
    );
    app = await buildApp(await createContext(config, { db: fx.db }));
  });
  after(async () => {
    await app?.close();
  });

  test('titles starting with the text come first, then the words in a row, then in any order; newer first', async () => {
    const r = await suggest('atten');
    assert.equal(r.query, 'atten');
    // Starts with: 10002 (07-03) before 10001 (07-01); then a word beginning "atten" inside: newer first, and on
    // one day the later id first.
    assert.deepEqual(r.suggestions.map((s) => s.id), ['2507.10002', '2507.10001', '2507.10004', '2507.10003', 'hep-th/9901001']);
    const first = r.suggestions[0];
    assert.deepEqual(first, { id: '2507.10002', title: 'Attention Sinks in Long-Context Transformers', url: `${BASE}/papers/2507.10002` });
    assert.equal(r.suggestions[4].url, `${BASE}/papers/hep-th/9901001`);
    // Every word must begin a title word, in any order.
    assert.deepEqual((await suggest('attention sp')).suggestions.map((s) => s.id), ['2507.10003']);
    assert.deepEqual((await suggest('attention spx')).suggestions.map((s) => s.id), []);
    assert.deepEqual((await suggest('sparse atten')).suggestions.map((s) => s.id), ['2507.10003']);
    assert.deepEqual((await suggest('atten graph')).suggestions.map((s) => s.id), ['2507.10004']);
    assert.deepEqual((await suggest('graph atten')).suggestions.map((s) => s.id), ['2507.10004']);
    assert.deepEqual((await suggest('long context trans')).suggestions.map((s) => s.id), ['2507.10002']);
    assert.deepEqual((await suggest('ttention')).suggestions, [], 'a word must begin with what was typed');
  });

  test('case, accents and punctuation do not matter', async () => {
    for (const q of ['schrodinger', 'SCHRÖDINGER BRID', 'schrödinger-bridges', '  schrodinger   bridges  ']) {
      assert.deepEqual((await suggest(q)).suggestions.map((s) => s.id), ['2507.10005'], q);
    }
    assert.deepEqual((await suggest('all you need again')).suggestions.map((s) => s.id), ['2507.10001']);
  });

  test('at most 8 by default, ?limit= up to 20', async () => {
    assert.equal((await suggest('quokka')).suggestions.length, 8);
    assert.equal((await suggest('quokka', '&limit=3')).suggestions.length, 3);
    assert.equal((await suggest('quokka', '&limit=20')).suggestions.length, 20);
    const tooMany = await get('/api/v1/suggest?q=quokka&limit=500');
    assert.equal(tooMany.statusCode, 400);
    assert.equal(tooMany.json().error.code, 'INVALID_PARAMETER');
  });

  test('hostile or empty input gets a sane answer, never a 500', async () => {
    assert.deepEqual((await suggest('')).suggestions, []);
    assert.deepEqual((await get('/api/v1/suggest')).json(), { query: '', suggestions: [] });
    for (const q of ['   ', '%', '%%_\\', '"', '""', '-', 'OR', '*', '\u0000', '\u202e', '🙂', '<', '&amp;']) {
      const r = await suggest(q);
      assert.ok(Array.isArray(r.suggestions), q);
    }
    // Markup is read as words ("script alert 1 script"), which this title happens to hold.
    assert.deepEqual((await suggest(SCRIPT)).suggestions.map((s) => s.id), ['2507.10006']);
    assert.deepEqual((await suggest('<img src=x onerror=alert(1)>')).suggestions, []);
    const zebra = await suggest('zebrafish <script');
    assert.deepEqual(zebra.suggestions.map((s) => s.id), ['2507.10006']);
    assert.equal(zebra.suggestions[0].title, PAPERS[5].title, 'the title comes back as text, for textContent');
    const sql = await suggest("robert'); drop table");
    assert.deepEqual(sql.suggestions.map((s) => s.id), ['2507.10007']);
    assert.deepEqual((await suggest("' OR 1=1 --")).suggestions, []);
    const long = await suggest('attention '.repeat(90));
    assert.ok(long.suggestions.length <= 8);
    const tooLong = await get(`/api/v1/suggest?q=${'a'.repeat(1001)}`);
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.json().error.code, 'INVALID_PARAMETER');
    assert.equal(tooLong.json().error.parameter, 'q');
    const twice = await get('/api/v1/suggest?q=a&q=b');
    assert.ok(twice.statusCode === 200 || twice.statusCode === 400, `${twice.statusCode}`);
    // Papers still load after all that.
    assert.equal((await suggest('atten')).suggestions.length, 5);
  });

  test('cacheable, readable from any origin, and in the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/suggest?q=atten', headers: { origin: 'https://elsewhere.example' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(res.headers['cache-control'] as string, /max-age=\d+/);
    const etag = res.headers.etag as string;
    assert.ok(etag);
    const again = await app.inject({ method: 'GET', url: '/api/v1/suggest?q=atten', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    const doc = (await get('/api/openapi.json')).json();
    const op = doc.paths['/api/v1/suggest']?.get;
    assert.ok(op, 'documented');
    assert.deepEqual(op.tags, ['Search']);
    assert.ok(op.responses['200'].content);
  });
});

describe('TitleSuggester', () => {
  const doc = (id: string, title: string, firstListed: string): IndexedDoc =>
    ({ id, title, firstListed, abstract: '', authors: [], authorKeys: [], categories: [], titleKey: '' }) as IndexedDoc;

  test('keys fold case, accents and punctuation', () => {
    assert.equal(suggestKey('  Schrödinger’s CAT: a—Study '), 'schrodinger s cat a study');
    assert.equal(suggestKey('<script>'), 'script');
    assert.equal(suggestKey('%%'), '');
  });

  test('ranks starts-with, then in a row, then any order; ties by newer listing day, then later row', () => {
    const s = new TitleSuggester([
      doc('a', 'Deep Graph Networks', '2025-01-01'),
      doc('b', 'Networks of Deep Graphs', '2025-03-01'),
      doc('c', 'On Deep Graph Learning', '2025-02-01'),
      doc('d', 'Deep Graphical Models', '2025-01-01'),
      doc('e', '', '2025-05-01'),
    ]);
    const ids = (q: string, k = 8) => s.suggest(q, k).map((r) => ['a', 'b', 'c', 'd', 'e'][r]);
    assert.deepEqual(ids('deep gra'), ['d', 'a', 'b', 'c']);
    assert.deepEqual(ids('deep gra', 2), ['d', 'a']);
    assert.deepEqual(ids('graph'), ['b', 'c', 'd', 'a']);
    assert.deepEqual(ids('graph deep'), ['b', 'c', 'd', 'a']);
    assert.deepEqual(ids('of deep'), ['b']);
    assert.deepEqual(ids('graphs'), ['b']);
    assert.deepEqual(ids('networks deep'), ['b', 'a']);
    assert.deepEqual(ids(''), []);
    assert.deepEqual(ids('zzz'), []);
    assert.deepEqual(ids('deep', 0), []);
  });

  test('fast on many titles', () => {
    const words = 'learning language large model models graph neural network diffusion attention vision transformer agent reasoning'.split(' ');
    let seed = 7;
    const r = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const docs = Array.from({ length: 60_000 }, (_, i) =>
      doc(String(i), Array.from({ length: 8 }, () => words[Math.floor(r() * words.length)]).join(' '), `2025-0${1 + (i % 9)}-01`),
    );
    const s = new TitleSuggester(docs);
    const queries = ['l', 'la', 'large lang', 'mo', 'a b', 'graph neural network diffusion attention', 'xq'];
    for (let i = 0; i < 30; i++) for (const q of queries) s.suggest(q); // warm (JIT)
    // CPU time, not wall time: other processes share the machine.
    const before = process.cpuUsage();
    for (let i = 0; i < 20; i++) for (const q of queries) s.suggest(q);
    const used = process.cpuUsage(before);
    const perQuery = (used.user + used.system) / 1000 / (20 * queries.length);
    assert.ok(perQuery < 10, `${perQuery.toFixed(2)} ms of CPU per suggestion`);
  });
});

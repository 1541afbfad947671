// The search page (/papers?q=) with highlighting and filters, the paper page's similar papers, and
// GET /api/v1/papers/{id}/similar, on each database, before and after a model is trained.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { trainAndActivate } from '../../src/search/model.service.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const config = loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false });
const SCRIPT = '<script>alert(1)</script>';

const TOPICS: Record<string, string[]> = {
  'cs.CL': 'language translation parsing syntax grammar sentence lexicon dialogue tokenizer corpus morphology summarization'.split(' '),
  'cs.CV': 'image pixel segmentation camera video detection convolution texture depth optical lidar photograph'.split(' '),
  'q-bio.GN': 'genome protein sequencing gene chromosome mutation enzyme cell tissue molecule rna dna'.split(' '),
};

function papers() {
  let s = 11;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const cats = Object.keys(TOPICS);
  const out = Array.from({ length: 90 }, (_, i) => {
    const cat = cats[i % 3];
    const w = TOPICS[cat];
    const pick = () => w[Math.floor(r() * w.length)];
    return record({
      id: `2507.${String(20000 + i)}`,
      title: `${Array.from({ length: 4 }, pick).join(' ')} study ${i}`,
      abstract: Array.from({ length: 30 }, pick).join(' '),
      authors: [`Writer Number${i}`],
      categories: [cat],
      firstListed: `2025-07-${String(1 + (i % 20)).padStart(2, '0')}`,
    });
  });
  out.push(
    record({ id: '2507.29999', title: `Zebrafish ${SCRIPT} tracking`, abstract: `Zebrafish <b>bold</b> & ${SCRIPT} larvae.`, categories: ['q-bio.GN'], firstListed: '2025-07-05' }),
  );
  return out;
}

forEachDatabase('search pages', (fx) => {
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ method: 'GET', url });
  const all = papers();

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, all));
    app = await buildApp(await createContext(config, { db: fx.db }));
  });
  after(async () => {
    await app?.close();
  });

  test('results with <mark> on escaped text, a result count, sorts and filters', async () => {
    const res = await get('/papers?q=zebrafish');
    assert.equal(res.statusCode, 200);
    assert.ok(res.body.includes('data-paper-id="2507.29999"'));
    assert.ok(res.body.includes(`<mark>Zebrafish</mark> &lt;script&gt;alert(1)&lt;/script&gt; tracking`), 'title marked, escaped');
    assert.ok(res.body.includes('<mark>Zebrafish</mark> &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;'), 'excerpt marked, escaped');
    assert.ok(!res.body.includes(SCRIPT));
    assert.match(res.body, /<span class="result-count">1 result<\/span>/);
    const gene = await get('/papers?q=gene&sort=newest&cat=q-bio.GN&from=2025-07-02&to=2025-07-10');
    assert.equal(gene.statusCode, 200);
    assert.ok(gene.body.includes('name="cat" value="q-bio.GN"'));
    const ids = [...gene.body.matchAll(/data-paper-id="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.length > 0);
    for (const id of ids) {
      const p = all.find((x) => x.id === id)!;
      assert.equal(p.categories[0], 'q-bio.GN');
      assert.ok(p.firstListed >= '2025-07-02' && p.firstListed <= '2025-07-10');
    }
    assert.equal((await get('/papers?q=gene&from=yesterday')).statusCode, 400);
  });

  test('no results suggest loosening filters; hostile queries never fail; arXiv ids redirect', async () => {
    const none = await get('/papers?q=galaxy%20cat:cs.CL');
    assert.equal(none.statusCode, 200);
    assert.ok(none.body.includes('No papers match'));
    assert.ok(none.body.includes('loosening the filters'));
    for (const q of ['"unbalanced', "'; DROP TABLE papers; --", '<b>gene</b>', 'the of and', '-', 'author:', 'x'.repeat(300), '%', 'OR']) {
      const r = await get(`/papers?q=${encodeURIComponent(q)}`);
      assert.ok(r.statusCode === 200, `${q.slice(0, 20)}: ${r.statusCode}`);
      assert.ok(!r.body.includes('<b>gene</b>'));
    }
    const go = await get('/papers?q=https%3A%2F%2Farxiv.org%2Fabs%2F2507.20003v1');
    assert.equal(go.statusCode, 302);
    assert.equal(go.headers.location, '/papers/2507.20003');
    const api = await app.inject({ method: 'GET', url: '/api/v1/search?q=%22unbalanced' });
    assert.equal(api.statusCode, 200);
  });

  test('similar papers: a hint before training, then 10 papers of the same topic (page and API)', async () => {
    const before1 = await get('/papers/2507.20000');
    assert.ok(before1.body.includes('<section id="similar"'));
    assert.ok(before1.body.includes('paperpulse model train'));
    const api0 = await app.inject({ method: 'GET', url: '/api/v1/papers/2507.20000/similar' });
    assert.equal(api0.statusCode, 200);
    assert.equal(api0.json().model, null);
    assert.deepEqual(api0.json().papers, []);

    await trainAndActivate(fx.db, { seed: 1, dim: 32, epochs: 4, batchSize: 32 });
    const page = await app.inject({ method: 'GET', url: '/papers/2507.20000', headers: { 'cache-control': 'no-cache' } });
    // The page cache may still hold the page from before training for its TTL; the API is not cached.
    const api = await app.inject({ method: 'GET', url: '/api/v1/papers/2507.20000/similar' });
    assert.equal(api.statusCode, 200);
    const body = api.json();
    assert.match(body.model, /^static-/);
    assert.equal(body.papers.length, 10);
    assert.equal(body.scores.length, 10);
    assert.ok(!body.papers.some((p: { id: string }) => p.id === '2507.20000'));
    const same = body.papers.filter((p: { id: string }) => all.find((x) => x.id === p.id)!.categories[0] === 'cs.CL').length;
    assert.ok(same >= 8, `same topic: ${same} of 10`);
    assert.ok(page.statusCode === 200);
    const other = await get('/papers/2507.20001');
    assert.match(other.body, /<section id="similar"[^]*<ol class="similar-list">[^]*href="\/papers\/2507\.2\d{4}"/);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/papers/2507.99999/similar' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/papers/2507.20000/similar?limit=500' })).statusCode, 400);
    const doc = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(doc.statusCode, 200);
    assert.ok(doc.body.includes('/api/v1/papers/{id}/similar'), 'in the OpenAPI document');
  });
});

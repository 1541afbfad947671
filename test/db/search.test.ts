// Search on both databases: training and the atomic model switch, keyword ranking, the query syntax, hostile
// queries, and similar papers from the same topic, on a synthetic corpus of 200 papers in 5 topics.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { shouldRetrain, startRetrainJob } from '../../src/jobs/retrain-job.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { loadActive, trainAndActivate } from '../../src/search/model.service.ts';
import { listModels } from '../../src/search/search.repository.ts';
import { search, searchIndex, similarPapers } from '../../src/search/search.service.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const TOPICS: Record<string, string[]> = {
  'cs.CL': 'language translation parsing syntax grammar sentence lexicon dialogue tokenizer corpus morphology semantics summarization speech transcript'.split(' '),
  'cs.CV': 'image pixel segmentation camera video detection convolution texture depth optical lidar photograph scene rendering stereo'.split(' '),
  'cs.CR': 'encryption cipher malware attacker firewall intrusion password cryptographic signature phishing exploit vulnerability ransomware botnet authentication'.split(' '),
  'q-bio.GN': 'genome protein sequencing gene chromosome mutation enzyme cell tissue molecule rna dna expression phenotype biomarker'.split(' '),
  'astro-ph.GA': 'galaxy star telescope nebula cosmic redshift supernova planet orbit stellar quasar halo luminosity spectroscopy accretion'.split(' '),
};
const COMMON = 'method approach results propose novel model framework analysis performance evaluate study experiments data'.split(' ');

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function corpus(n: number) {
  const r = rng(7);
  const cats = Object.keys(TOPICS);
  const pick = (a: string[]) => a[Math.floor(r() * a.length)];
  return Array.from({ length: n }, (_, i) => {
    const cat = cats[i % cats.length];
    const words = TOPICS[cat];
    const title = Array.from({ length: 5 }, () => pick(words)).join(' ');
    const abstract = Array.from({ length: 40 }, () => (r() < 0.7 ? pick(words) : pick(COMMON))).join(' ') + '.';
    return record({
      id: `2507.${String(10000 + i)}`,
      title: `${title[0].toUpperCase()}${title.slice(1)} number ${i}`,
      abstract,
      authors: [`Author Number${i}`, i % 10 === 0 ? 'Grace Hopper' : 'Alan Turing'],
      categories: [cat],
      firstListed: `2025-07-${String(1 + (i % 28)).padStart(2, '0')}`,
    });
  });
}

forEachDatabase('search', (fx) => {
  const papers = corpus(200);
  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, papers.slice(0, 100)));
    await fx.db.transaction((tx) => writePapers(tx, papers.slice(100)));
  });

  test('keyword search works before any model: exact title first, result count, pages', async () => {
    const target = papers[37];
    const res = await search(fx.db, { q: target.title, limit: 5 });
    assert.equal(res.ids[0], target.id);
    assert.equal(res.semantic, false);
    const all = await search(fx.db, { q: TOPICS['cs.CV'][0], limit: 500 });
    assert.ok(all.total > 0 && all.total === all.ids.length);
    const page2 = await search(fx.db, { q: TOPICS['cs.CV'][0], limit: 3, offset: 3 });
    assert.deepEqual(page2.ids, all.ids.slice(3, 6));
    assert.equal((await similarPapers(fx.db, target.id)).available, false);
  });

  test('the weighted full-text document is kept up to date by the database', async () => {
    const rows = await fx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM papers WHERE search_doc @@ to_tsquery('english', 'hopper') AND id = '2507.10000'`,
    );
    assert.equal(rows[0].n, 1, 'authors are in the document');
    await fx.db.query(`UPDATE papers SET title = 'Quokka title' WHERE id = '2507.10001'`);
    const q = await fx.db.query<{ id: string }>(`SELECT id FROM papers WHERE search_doc @@ to_tsquery('english', 'quokka')`);
    assert.deepEqual(q.map((r) => r.id), ['2507.10001']);
  });

  test('the query syntax: phrases, exclusions, OR, author:, cat:, filters, sorts, arXiv ids', async () => {
    const t = papers[12];
    const phrase = t.title.split(' ').slice(0, 2).join(' ');
    const withPhrase = await search(fx.db, { q: `"${phrase}"`, limit: 500 });
    assert.ok(withPhrase.ids.includes(t.id));
    for (const id of withPhrase.ids) {
      const p = papers.find((x) => x.id === id)!;
      assert.ok(`${p.title} ${p.abstract}`.toLowerCase().includes(phrase.toLowerCase()), id);
    }
    const word = TOPICS['cs.CR'][0];
    const base = await search(fx.db, { q: 'method', limit: 500 });
    const excl = await search(fx.db, { q: `method -${word}`, limit: 500 });
    assert.ok(excl.total < base.total);
    for (const id of excl.ids) assert.ok(!papers.find((x) => x.id === id)!.abstract.includes(word));
    const cat = await search(fx.db, { q: 'method cat:q-bio.GN', limit: 500 });
    assert.ok(cat.total > 0);
    for (const id of cat.ids) assert.deepEqual(papers.find((x) => x.id === id)!.categories, ['q-bio.GN']);
    const filtered = await search(fx.db, { q: 'method', category: 'astro-ph.GA', from: '2025-07-10', to: '2025-07-12', limit: 500 });
    for (const id of filtered.ids) {
      const p = papers.find((x) => x.id === id)!;
      assert.equal(p.categories[0], 'astro-ph.GA');
      assert.ok(p.firstListed >= '2025-07-10' && p.firstListed <= '2025-07-12');
    }
    const hopper = await search(fx.db, { q: 'method author:"grace hopper"', limit: 500 });
    assert.ok(hopper.total > 0);
    for (const id of hopper.ids) assert.ok(papers.find((x) => x.id === id)!.authors.includes('Grace Hopper'));
    const either = await search(fx.db, { q: `${TOPICS['cs.CL'][1]} OR ${TOPICS['cs.CV'][1]}`, limit: 500 });
    const cats = new Set(either.ids.map((id) => papers.find((x) => x.id === id)!.categories[0]));
    assert.ok(cats.has('cs.CL') && cats.has('cs.CV'));
    const newest = await search(fx.db, { q: 'method', sort: 'newest', limit: 500 });
    const days = newest.ids.map((id) => papers.find((x) => x.id === id)!.firstListed);
    assert.deepEqual(days, [...days].sort().reverse());
    const trending = await search(fx.db, { q: 'method', sort: 'trending', limit: 5 });
    assert.equal(trending.ids.length, 5);
    assert.equal((await search(fx.db, { q: 'https://arxiv.org/abs/2507.10003v2' })).redirect, '2507.10003');
  });

  test('hostile queries give sane results', async () => {
    const queries = [
      'x'.repeat(5000),
      'the of and a an',
      '"unbalanced quote galaxy',
      "'; DROP TABLE papers; --",
      '<script>alert(1)</script> galaxy',
      '-',
      '""',
      'author:',
      'cat:../../etc',
      'OR OR OR',
      '\u0000 galaxy \u202e',
      Array.from({ length: 500 }, (_, i) => `w${i}`).join(' '),
    ];
    for (const q of queries) {
      const r = await search(fx.db, { q, limit: 10 });
      assert.ok(Array.isArray(r.ids), q.slice(0, 30));
      assert.ok(r.ids.length <= 10);
    }
    assert.ok((await search(fx.db, { q: '"unbalanced quote galaxy' })).total >= 0);
    assert.equal((await search(fx.db, { q: 'the of and' })).total, 0);
  });

  test('training stores a model, embeds every paper, and similar papers share the topic', async () => {
    const summary = await trainAndActivate(fx.db, { seed: 3, dim: 32, epochs: 4, batchSize: 64, writeBatch: 64 });
    assert.equal(summary.papers, 200);
    const loaded = await loadActive(fx.db);
    assert.ok(loaded, "loaded");
    assert.equal(loaded.vectors.length, 200);
    let same = 0;
    let total = 0;
    for (const p of papers.slice(0, 20)) {
      const sim = await similarPapers(fx.db, p.id, 10);
      assert.ok(sim.available, "available");
      assert.equal(sim.items.length, 10, "ten");
      assert.ok(!sim.items.some((s) => s.id === p.id), 'the paper itself is left out');
      for (const s of sim.items) {
        total++;
        if (papers.find((x) => x.id === s.id)!.categories[0] === p.categories[0]) same++;
      }
    }
    assert.ok(same / total >= 0.9, `same-topic share ${same}/${total}`);
    assert.equal((await similarPapers(fx.db, '2507.99999')).available, false, 'unknown paper');
  });

  test('a second training switches the active model atomically and is deterministic given a seed', async () => {
    const before1 = await loadActive(fx.db);
    const second = await trainAndActivate(fx.db, { seed: 3, dim: 32, epochs: 4, batchSize: 64 });
    const models = await listModels(fx.db);
    assert.equal(models.filter((m) => m.active).length, 1);
    assert.equal(models.find((m) => m.active)!.id, second.modelId);
    const after1 = await loadActive(fx.db);
    assert.ok(before1 && after1);
    assert.equal(after1.vectors.length, 200);
    assert.deepEqual(Buffer.from(after1.model.serialize()), Buffer.from(before1.model.serialize()), 'same seed, same model');
    const rows = await fx.db.query<{ n: number }>('SELECT count(DISTINCT model_id)::int AS n FROM paper_embeddings');
    assert.equal(rows[0].n, 1);
    // A failing switch leaves the previous model active.
    await assert.rejects(
      trainAndActivate(fx.db, { seed: 3, dim: 32, epochs: 1, batchSize: 64, onProgress: (p) => { if (p.phase === 'activate') throw new Error('boom'); } }),
      /boom/,
    );
    assert.equal((await listModels(fx.db)).find((m) => m.active)!.id, second.modelId);
    assert.equal((await loadActive(fx.db))!.vectors.length, 200);
    const index = await searchIndex(fx.db, true);
    assert.equal(index.modelId, second.modelId);
    assert.equal(index.vectorCount, 200);
  });

  test('serve retrains in the background once the corpus grew by 20%', async () => {
    assert.equal(shouldRetrain(999, null), false);
    assert.equal(shouldRetrain(1000, null), true);
    assert.equal(shouldRetrain(1199, 1000), false);
    assert.equal(shouldRetrain(1200, 1000), true);
    const config = loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false });
    const ctx = await createContext(config, { db: fx.db });
    const job = startRetrainJob(ctx, { minPapers: 10, timer: false, train: { seed: 3, dim: 32, epochs: 2, batchSize: 64 } });
    try {
      assert.equal(await job.check(), 'not-needed', 'the model covers all 200 papers');
      const more = corpus(240).slice(200);
      await fx.db.transaction((tx) => writePapers(tx, more));
      const before1 = (await listModels(fx.db)).find((m) => m.active)!.id;
      assert.equal(await job.check(), 'trained');
      const now = (await listModels(fx.db)).find((m) => m.active)!;
      assert.notEqual(now.id, before1);
      assert.equal(now.papersCount, 240);
      assert.equal(await job.check(), 'not-needed');
    } finally {
      await job.stop();
    }
  });
});

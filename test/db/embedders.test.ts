// Embedders on both databases: an OpenAI-compatible endpoint (local fake) and a tiny generated ONNX model embed every
// paper and switch atomically; the stored model records which embedder made the vectors; similar papers use them;
// papers that arrive later get a vector (external and built-in); a failing embedder leaves the old vectors; serve's
// job switches to the configured embedder once; training in a worker thread gives the same model as in process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { startRetrainJob } from '../../src/jobs/retrain-job.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { OnnxEmbedder } from '../../src/search/embedder-onnx.ts';
import { OpenAiEmbedder } from '../../src/search/embedder-openai.ts';
import { embedAndActivate, embedMissing, loadActive, trainAndActivate } from '../../src/search/model.service.ts';
import { activeModelInfo, listModels } from '../../src/search/search.repository.ts';
import { searchIndex, similarPapers } from '../../src/search/search.service.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { FakeEmbeddings } from '../helpers/fake-embeddings.ts';
import { record } from '../helpers/records.ts';
import { writeTinyModel } from '../helpers/tiny-onnx.ts';

// Topics in the tiny ONNX model's vocabulary, so that both embedders can tell them apart.
const TOPICS: Record<string, string[]> = {
  'cs.LG': ['graph', 'neural', 'network'],
  'q-bio.BM': ['protein', 'folding'],
  'astro-ph.GA': ['galaxy', 'telescope'],
  'cs.CV': ['image', 'segmentation'],
  'cs.CL': ['language', 'token'],
};
const FILLER = ['the', 'of', 'for', 'and', 'a', 'paper', 'model'];

function corpus(n: number, from = 0) {
  let s = 11 + from;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const cats = Object.keys(TOPICS);
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const cat = cats[i % cats.length];
    const words = TOPICS[cat];
    const pick = (a: string[]) => a[Math.floor(r() * a.length)];
    const title = Array.from({ length: 4 }, () => pick(words)).join(' ');
    const abstract = Array.from({ length: 30 }, () => (r() < 0.6 ? pick(words) : pick(FILLER))).join(' ') + '.';
    return record({ id: `2508.${String(10000 + i)}`, title: `${title} ${i}`, abstract, categories: [cat], firstListed: `2025-08-${String(1 + (i % 28)).padStart(2, '0')}` });
  });
}

async function sameTopicShare(db: Parameters<typeof similarPapers>[0], papers: ReturnType<typeof corpus>, all: ReturnType<typeof corpus>): Promise<number> {
  let same = 0;
  let total = 0;
  for (const p of papers) {
    const sim = await similarPapers(db, p.id, 5);
    assert.ok(sim.available, `similar papers for ${p.id}`);
    for (const s of sim.items) {
      total++;
      if (all.find((x) => x.id === s.id)!.categories[0] === p.categories[0]) same++;
    }
  }
  return same / total;
}

forEachDatabase('embedders', (fx) => {
  const papers = corpus(100);
  const fake = new FakeEmbeddings(64);
  let tmp: string;
  let onnx: OnnxEmbedder;
  before(async () => {
    await fake.start();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-embedders-'));
    onnx = await OnnxEmbedder.open(writeTinyModel(path.join(tmp, 'tiny'), { dim: 32, seed: 5 }).dir, { threads: 1 });
    await fx.db.transaction((tx) => writePapers(tx, papers));
  });
  after(async () => {
    await onnx?.close();
    await fake.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const openai = () => new OpenAiEmbedder({ url: fake.url, model: 'fake-embed', batchSize: 16, backoffMs: 5, retries: 1 });
  const contextFor = (embedder: string) =>
    createContext(
      loadConfig({
        env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', EMBEDDER: embedder, EMBEDDINGS_URL: fake.url, EMBEDDINGS_MODEL: 'fake-embed' },
        ensureDataDir: false,
      }),
      { db: fx.db },
    );

  test('an OpenAI-compatible endpoint embeds every paper; the model records it; similar papers use its vectors', async (t) => {
    const e = openai();
    const s = await embedAndActivate(fx.db, e, { writeBatch: 30 });
    assert.equal(s.papers, 100);
    assert.equal(s.dim, 64);
    assert.equal(s.embedder, `openai:fake-embed@${fake.url}/embeddings`);
    assert.match(s.version, /^openai-fake-embed-\d{8}T\d{6}Z-n100$/);
    t.diagnostic(`fake endpoint through embedAndActivate: ${s.papersPerSecond} papers/s, write+switch ${s.writeMs} ms`);
    const active = (await listModels(fx.db)).find((m) => m.active)!;
    assert.deepEqual([active.kind, active.embedder, active.dim, active.vectors, active.size], ['openai', e.identity, 64, 100, 0]);
    const index = await searchIndex(fx.db, true);
    assert.equal(index.dim, 64);
    assert.equal(index.model, null, 'no trained model: the vectors are the endpoint\'s');
    assert.ok((await sameTopicShare(fx.db, papers.slice(0, 10), papers)) >= 0.9);
    // A query vector from the same embedder ranks the papers of its topic first.
    const q = await e.embedQuery('galaxy telescope');
    const near = index.nearestToVector(q, 5);
    assert.ok(near.every((n) => papers.find((p) => p.id === n.id)!.categories[0] === 'astro-ph.GA'));
  });

  test('papers that arrive later get a vector under the active model, and the index reloads', async () => {
    const more = corpus(7, 100);
    await fx.db.transaction((tx) => writePapers(tx, more));
    assert.equal((await similarPapers(fx.db, more[0].id)).available, false, 'no vector yet');
    const before1 = (await activeModelInfo(fx.db))!;
    // Another embedder's vectors are never added under this model.
    assert.deepEqual(await embedMissing(fx.db, onnx), { modelId: null, added: 0 });
    const r = await embedMissing(fx.db, openai(), { batch: 4 });
    assert.deepEqual(r, { modelId: before1.id, added: 7 });
    const after1 = (await activeModelInfo(fx.db))!;
    assert.equal(after1.id, before1.id);
    assert.ok(after1.revision > before1.revision, 'revision bumped');
    const sim = await similarPapers(fx.db, more[0].id, 5);
    assert.ok(sim.available && sim.items.length === 5, 'the index picked the new vectors up');
    assert.deepEqual(await embedMissing(fx.db, openai()), { modelId: before1.id, added: 0 });
  });

  test('switching to an ONNX model folder replaces the vectors in one go; a failing embedder leaves them', async () => {
    const s = await embedAndActivate(fx.db, onnx);
    assert.equal(s.papers, 107);
    assert.equal(s.dim, 32);
    const models = await listModels(fx.db);
    const active = models.find((m) => m.active)!;
    assert.deepEqual([active.kind, active.embedder, active.vectors], ['onnx', onnx.identity, 107]);
    assert.equal(models.filter((m) => m.vectors > 0).length, 1, "the previous model's vectors are gone");
    assert.ok((await sameTopicShare(fx.db, papers.slice(0, 10), corpus(107))) >= 0.8);
    fake.faults = Array(10).fill('500');
    await assert.rejects(embedAndActivate(fx.db, openai()), /answered 500/);
    fake.faults = [];
    const still = (await listModels(fx.db)).find((m) => m.active)!;
    assert.equal(still.id, active.id);
    assert.equal(still.vectors, 107);
    assert.equal((await searchIndex(fx.db, true)).vectorCount, 107);
  });

  test("serve's job switches to the configured embedder once, then embeds new papers as imports announce them", async () => {
    const ctx = await contextFor('openai');
    const job = startRetrainJob(ctx, { timer: false, embedder: openai(), debounceMs: 10 });
    try {
      assert.equal(await job.check(), 'embedded', 'the ONNX vectors are replaced by the configured endpoint\'s');
      const active = (await activeModelInfo(fx.db))!;
      assert.equal(active.kind, 'openai');
      assert.equal(await job.check(), 'not-needed');
      const more = corpus(3, 107);
      await fx.db.transaction((tx) => writePapers(tx, more));
      let changed = 0;
      ctx.events.on('papers-changed', () => changed++);
      ctx.events.emit('papers-changed', {});
      for (let i = 0; i < 100 && (await similarPapers(fx.db, more[2].id)).available === false; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await similarPapers(fx.db, more[2].id)).available, true, 'embedded after the import event');
      assert.ok(changed >= 2, 'and cached pages were told');
      assert.equal(await job.embedNew(), 0);
    } finally {
      await job.stop();
    }
  });

  test('built-in: the worker thread trains the same model as in process; later papers get its vectors', async () => {
    const opts = { seed: 3, dim: 32, epochs: 2, batchSize: 64 };
    await trainAndActivate(fx.db, opts);
    const inProcess = Buffer.from((await loadActive(fx.db))!.model.serialize());
    const s = await trainAndActivate(fx.db, { ...opts, worker: true });
    const loaded = (await loadActive(fx.db))!;
    assert.equal(loaded.id, s.modelId);
    assert.deepEqual(Buffer.from(loaded.model.serialize()), inProcess, 'same seed and papers, same model');
    assert.equal(loaded.vectors.length, 110);
    const ctx = await contextFor('builtin');
    const job = startRetrainJob(ctx, { timer: false, minPapers: 10_000 });
    try {
      await fx.db.transaction((tx) => writePapers(tx, corpus(2, 110)));
      assert.equal(await job.embedNew(), 2);
      assert.equal((await loadActive(fx.db))!.vectors.length, 112);
      assert.equal(await job.check(), 'not-needed');
    } finally {
      await job.stop();
    }
    const ac = new AbortController();
    const p = trainAndActivate(fx.db, { ...opts, epochs: 50, worker: true, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await assert.rejects(p, /stop/);
    assert.equal((await activeModelInfo(fx.db))!.id, s.modelId, 'an aborted training changes nothing');
  });
});

// EMBEDDER=onnx on a tiny ONNX model the test writes itself (test/helpers/tiny-onnx.ts): loading with remote models
// disabled and no network, mean pooling over the attention mask, normalisation, the sentence-transformers metadata
// (pooling, maximum length, prompts), clear errors for broken folders.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmbedderError } from '../../src/search/embedder.ts';
import { OnnxEmbedder, poolTokens } from '../../src/search/embedder-onnx.ts';
import { expectedMean, writeTinyModel, type TinyModel } from '../helpers/tiny-onnx.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));
function assertClose(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${what}: [${i}] ${a[i]} vs ${b[i]}`);
}

describe('ONNX embedder (tiny generated model)', () => {
  let tmp: string;
  let m: TinyModel;
  let e: OnnxEmbedder;
  const realFetch = globalThis.fetch;
  let fetches = 0;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-onnx-'));
    m = writeTinyModel(path.join(tmp, 'tiny'), { dim: 16 });
    // Nothing may be fetched: loading and embedding use local files only.
    globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
      fetches++;
      throw new Error(`unexpected fetch ${String(args[0])}`);
    }) as typeof fetch;
    e = await OnnxEmbedder.open(m.dir, { batchSize: 4, threads: 1 });
  });
  after(async () => {
    globalThis.fetch = realFetch;
    await e?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('vectors are the mean of the token rows, unit length, of the model dimension', async () => {
    const texts = ['graph neural network', 'protein folding', 'Graph neural networks for protein folding'];
    const vecs = await e.embedTexts(texts);
    assert.equal(vecs.length, 3);
    for (const [i, v] of vecs.entries()) {
      assert.equal(v.length, 16);
      assert.ok(Math.abs(norm(v) - 1) < 1e-5, 'normalised');
      assertClose(v, expectedMean(m, m.ids(texts[i])), texts[i]);
    }
    assert.equal(fetches, 0, 'no fetch');
  });

  test('texts sharing tokens are closer than unrelated ones', async () => {
    const [a, b, c] = await e.embedTexts(['graph neural network model', 'neural network model for graph search', 'galaxy telescope image']);
    assert.ok(dot(a, b) > dot(a, c) + 0.2, `${dot(a, b)} vs ${dot(a, c)}`);
  });

  test('padding is ignored: a text embeds the same alone and in a batch with longer texts', async () => {
    const short = 'protein';
    const long = 'the retrieval of the paper for the search of a galaxy and a telescope image segmentation model';
    const [alone] = await e.embedTexts([short]);
    const batch = await e.embedTexts([long, short, 'graph', long]);
    assertClose(batch[1], alone, 'short text in a padded batch');
    assertClose(batch[0], batch[3], 'same text twice');
    // The [PAD] row is large: had padding been pooled, the vector would point along it.
    const pad = expectedMean(m, [0]);
    assert.ok(Math.abs(dot(batch[1], pad)) < 0.9);
    // And the pooling function itself, on a hand-made batch.
    const hidden = Float32Array.from([1, 0, 0, 1, 9, 9, /* second text */ 0, 2, 0, 2, 0, 2]);
    const pooled = poolTokens(hidden, [2, 3, 2], [1, 1, 0, 1, 1, 1], 'mean');
    assertClose(pooled[0], Float32Array.from([Math.SQRT1_2, Math.SQRT1_2]), 'masked mean');
    assertClose(pooled[1], Float32Array.from([0, 1]), 'full mean');
  });

  test('papers embed title and abstract; order is kept across length-sorted batches', async () => {
    const docs = Array.from({ length: 11 }, (_, i) => ({ title: i % 2 ? 'Graph networks' : 'Galaxy', abstract: 'search '.repeat(i) + 'model' }));
    const vecs = await e.embedDocuments(docs);
    const one = await Promise.all(docs.map(async (d) => (await e.embedDocuments([d]))[0]));
    vecs.forEach((v, i) => assertClose(v, one[i], `paper ${i}`));
    assert.ok(e.identity.startsWith('onnx:tiny:'), e.identity);
  });

  test('throughput on the tiny model (figure only)', async (t) => {
    const texts = Array.from({ length: 512 }, (_, i) => `graph neural network ${'search paper '.repeat(i % 20)}model`);
    const t0 = performance.now();
    const vecs = await e.embedTexts(texts);
    const s = (performance.now() - t0) / 1000;
    assert.equal(vecs.length, 512);
    t.diagnostic(`tiny ONNX model: ${Math.round(512 / s)} texts/s (batch 4, 1 thread)`);
  });
});

describe('ONNX embedder: sentence-transformers metadata and broken folders', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-onnx-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('CLS pooling, max_seq_length and prompts come from the export', async () => {
    const m = writeTinyModel(path.join(tmp, 'cls'), { pooling: 'cls', prompts: { query: 'search ', document: 'paper ' } });
    const e = await OnnxEmbedder.open(m.dir, { threads: 1 });
    try {
      assert.equal(e.info.pooling, 'cls');
      const [a, b] = await e.embedTexts(['graph', 'galaxy telescope']);
      assertClose(a, b, 'CLS pooling: the [CLS] row whatever the text');
      assert.equal(e.info.queryPrefix, 'search ');
      assert.equal(e.info.documentPrefix, 'paper ');
    } finally {
      await e.close();
    }
    const t = writeTinyModel(path.join(tmp, 'short'), { maxSeqLength: 4 });
    const e2 = await OnnxEmbedder.open(t.dir, { threads: 1 });
    try {
      const [q] = await e2.embedTexts(['graph neural network model search']);
      assertClose(q, expectedMean(t, [2, t.ids('graph neural')[1], t.ids('graph neural')[2], 3]), 'truncated to 4 tokens');
      // Prompts: the query prefix is part of what is embedded.
    } finally {
      await e2.close();
    }
    const p = writeTinyModel(path.join(tmp, 'prompted'), { pooling: 'mean', prompts: { query: 'search ' } });
    const e3 = await OnnxEmbedder.open(p.dir, { threads: 1 });
    try {
      assertClose(await e3.embedQuery('galaxy'), expectedMean(p, p.ids('search galaxy')), 'query prompt prepended');
    } finally {
      await e3.close();
    }
  });

  test('a folder without the model files or with a broken model says so', async () => {
    await assert.rejects(OnnxEmbedder.open(path.join(tmp, 'nope')), (err: Error) => err instanceof EmbedderError && /does not exist/.test(err.message));
    const m = writeTinyModel(path.join(tmp, 'broken'));
    rmSync(path.join(m.dir, 'tokenizer.json'));
    await assert.rejects(OnnxEmbedder.open(m.dir), /tokenizer\.json missing/);
    const b = writeTinyModel(path.join(tmp, 'garbage'));
    writeFileSync(path.join(b.dir, 'onnx', 'model.onnx'), 'not a model');
    await assert.rejects(OnnxEmbedder.open(b.dir, { threads: 1 }), (err: Error) => err instanceof EmbedderError && /cannot load the ONNX model/.test(err.message));
  });
});

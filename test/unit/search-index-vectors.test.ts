// The in-process index with vectors from an external embedder: no trained model, any dimension (a dimension that
// is not a multiple of the SIMD kernel's 4 lanes is zero-padded), nearest papers and re-ranking by cosine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SearchIndex } from '../../src/search/search-index.ts';

const row = (id: string) => ({
  id, title: `Paper ${id}`, abstract: 'words', authors: ['A B'], author_keys: ['a b'], categories: ['cs.LG'], first_listed: '2025-07-01', published_at: null,
});
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};
const bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(0));

test('vectors of dimension 6 without a model: similar papers, nearest to a query vector, re-ranking', () => {
  const vecs: Record<string, Float32Array> = {
    a: unit([1, 0, 0, 0, 0, 1]),
    b: unit([1, 0, 0, 0, 0, 0.9]),
    c: unit([0, 1, 0, 0, 0, 0]),
    d: unit([0, 0, 1, 1, 0, 0]),
    e: unit([0.9, 0, 0, 0, 0, 1]),
  };
  const index = new SearchIndex(
    Object.keys(vecs).map(row),
    { model: null, dim: 6, id: 7, version: 'onnx-x', vectors: Object.entries(vecs).map(([paper_id, v]) => ({ paper_id, vector: bytes(v) })) },
  );
  assert.equal(index.dim, 6);
  assert.equal(index.vectorCount, 5);
  assert.equal(index.model, null);
  const sim = index.similar('a', 2)!;
  assert.deepEqual(sim.map((s) => s.id), ['b', 'e']);
  assert.ok(Math.abs(sim[0].score - vecs.a.reduce((s, x, i) => s + x * vecs.b[i], 0)) < 1e-5);
  // asked again (kept answers): the same, and what a caller did to the first answer does not leak into it
  sim[0].id = 'changed';
  assert.deepEqual(index.similar('a', 2)!.map((s) => s.id), ['b', 'e']);
  assert.deepEqual(index.similar('a', 1)!.map((s) => s.id), ['b']);
  assert.deepEqual(index.nearestToVector(unit([0, 0, 1, 0.8, 0, 0]), 1).map((s) => s.id), ['d']);
  assert.deepEqual(index.nearestToVector(new Float32Array(5), 1), [], 'a vector of another dimension finds nothing');
  assert.deepEqual(index.rankAmong('c', ['a', 'd', 'c']), ['c', 'a', 'd']);
  assert.deepEqual(index.semantic('text', 3), [], 'no query encoder without a trained model');
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STOP_WORDS, stem, tokenize } from '../../src/search/text.ts';
import { buildTfidfMatrix, buildVocabulary, smoothIdf, tfidf, toIds, vocabularyFrom, weighIds } from '../../src/search/vocab.ts';

describe('tokenize', () => {
  it('lowercases, splits on non-alphanumerics, drops stop words and 1-character tokens, stems', () => {
    assert.deepEqual(tokenize('The Transformers are LEARNING: a survey of x-ray imaging!'), [
      'transform',
      'learn',
      'survei',
      'rai',
      'imag',
    ]);
  });

  it('keeps digits and mixed tokens, which name models and datasets', () => {
    assert.deepEqual(tokenize('GPT-4 beats 3D U-Net on COCO2017'), ['gpt', 'beat', '3d', 'net', 'coco2017']);
  });

  it('conflates inflections of a word', () => {
    assert.deepEqual(tokenize('connection connected connecting connections'), ['connect', 'connect', 'connect', 'connect']);
    assert.equal(stem('generalization'), stem('generalizations'));
  });

  it('folds diacritics and compatibility characters instead of splitting words', () => {
    assert.deepEqual(tokenize('Schrödinger équation naïve ﬁeld'), tokenize('Schrodinger equation naive field'));
    assert.deepEqual(tokenize('Schrödinger'), ['schroding']);
  });

  it('gives nothing for empty, punctuation-only or stop-word-only text', () => {
    assert.deepEqual(tokenize(''), []);
    assert.deepEqual(tokenize('  -- !? ... '), []);
    assert.deepEqual(tokenize('and the of to in is it a an'), []);
    assert.deepEqual(tokenize('" OR -( ) <script>'), ['script']);
  });

  it('has a fixed English stop-word list without content words', () => {
    for (const w of ['the', 'and', 'of', 'which', 'were', 'however']) assert.ok(STOP_WORDS.has(w), w);
    for (const w of ['model', 'learning', 'network', 'data', 'results']) assert.ok(!STOP_WORDS.has(w), w);
  });

  it('copes with long input', () => {
    const long = 'neural '.repeat(100_000);
    const tokens = tokenize(long);
    assert.equal(tokens.length, 100_000);
    assert.equal(tokens[0], 'neural');
  });
});

describe('vocabulary and tf-idf', () => {
  const docs = [
    ['graph', 'neural', 'network', 'graph'],
    ['neural', 'network', 'vision'],
    ['graph', 'database'],
    ['quantum'],
  ];

  it('keeps stems in at least minDf documents, most frequent first, and caps the size', () => {
    const v = buildVocabulary(docs);
    assert.deepEqual(v.terms, ['graph', 'network', 'neural']); // df 2 each; ties alphabetical
    assert.deepEqual([...v.df], [2, 2, 2]);
    assert.equal(v.nDocs, 4);
    assert.deepEqual(buildVocabulary(docs, { minDf: 1, maxSize: 2 }).terms, ['graph', 'network']);
  });

  it('uses the smoothed idf ln((N + 1) / (df + 1)) + 1', () => {
    const v = buildVocabulary(docs);
    assert.ok(Math.abs(v.idf[0] - (Math.log(5 / 3) + 1)) < 1e-6);
    assert.equal(smoothIdf(0, 0), 1);
    const back = vocabularyFrom(v.terms, v.df, v.nDocs);
    assert.deepEqual(back.idf, v.idf);
    assert.throws(() => vocabularyFrom(['a', 'a'], new Uint32Array([1, 1]), 2), /duplicate/);
  });

  it('weighs (1 + ln tf) · idf, ids ascending, optionally L2-normalised', () => {
    const v = buildVocabulary(docs);
    const ids = toIds(['graph', 'unknown', 'graph', 'neural'], v);
    assert.deepEqual([...ids], [0, 0, 2]);
    const raw = weighIds(ids, v);
    assert.deepEqual([...raw.indices], [0, 2]);
    assert.ok(Math.abs(raw.values[0] - (1 + Math.log(2)) * v.idf[0]) < 1e-5);
    assert.ok(Math.abs(raw.values[1] - v.idf[2]) < 1e-6);
    const unit = tfidf('Graph graphs neural', v);
    assert.ok(Math.abs(Math.hypot(...unit.values) - 1) < 1e-6);
  });

  it('builds a CSR matrix with one normalised row per document', () => {
    const v = buildVocabulary(docs);
    const m = buildTfidfMatrix(docs.map((d) => toIds(d, v)), v);
    assert.equal(m.rows, 4);
    assert.equal(m.cols, 3);
    assert.deepEqual([...m.indptr], [0, 3, 5, 6, 6]); // the last document has no known stem
    for (let r = 0; r < 3; r++) {
      let n = 0;
      for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) n += m.data[p] ** 2;
      assert.ok(Math.abs(n - 1) < 1e-6);
    }
  });
});

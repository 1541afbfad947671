import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bm25Index, topK } from '../../src/search/bm25.ts';

const docs = [
  { id: 'a', title: 'Graph neural networks for molecules', abstract: 'We study message passing on molecular graphs.' },
  { id: 'b', title: 'Vision transformers', abstract: 'Transformers applied to images. Graph methods are not used.' },
  { id: 'c', title: 'A survey', abstract: 'Graph graph graph graph graph: a long survey of graph learning and more graph.' },
  { id: 'd', title: 'Quantum error correction', abstract: 'Surface codes and decoders.' },
];

describe('BM25 index', () => {
  const index = Bm25Index.build(docs);

  it('ranks matching documents by BM25F with title weight, best first', () => {
    const res = index.search('graph neural', 10);
    assert.deepEqual(
      res.map((r) => r.id),
      ['a', 'c', 'b'],
    );
    assert.ok(res[0].score > res[1].score && res[1].score > res[2].score);
    assert.deepEqual(index.search('quantum decoders').map((r) => r.id), ['d']);
  });

  it('matches the BM25 formula on a single field', () => {
    const one = Bm25Index.build(
      [
        { id: 'x', abstract: 'cat cat dog' },
        { id: 'y', abstract: 'dog' },
        { id: 'z', abstract: 'bird' },
      ],
      { titleWeight: 0 },
    );
    const [x] = one.search('cat');
    const N = 3;
    const idf = Math.log(1 + (N - 1 + 0.5) / (1 + 0.5));
    const avg = (3 + 1 + 1) / 3;
    const tf = 2 / (1 - 0.75 + (0.75 * 3) / avg);
    assert.ok(Math.abs(x.score - (idf * tf) / (1.2 + tf)) < 1e-6, `${x.score}`);
  });

  it('saturates term frequency and normalises by length', () => {
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler${i}`).join(' ');
    const idx = Bm25Index.build(
      [
        { id: 'once', abstract: `graph ${filler(9)}` },
        { id: 'twenty', abstract: `${'graph '.repeat(20)}` },
        { id: 'long', abstract: `graph ${filler(99)}` },
        { id: 'none', abstract: 'other words' },
      ],
      { titleWeight: 0 },
    );
    const score = new Map(idx.search('graph').map((r) => [r.id, r.score]));
    const idf = idx.idf('graph');
    // twenty occurrences score more than one, but stay under the idf ceiling and under twice one
    assert.ok(score.get('twenty')! > score.get('once')!);
    assert.ok(score.get('twenty')! < idf && score.get('twenty')! < 2 * score.get('once')!);
    // the same single occurrence counts less in a ten times longer abstract
    assert.ok(score.get('long')! < score.get('once')!);
  });

  it('returns top k, nothing for unknown or stop-word queries', () => {
    assert.equal(index.search('graph', 1).length, 1);
    assert.deepEqual(index.search('the of and'), []);
    assert.deepEqual(index.search('zzzz'), []);
    assert.deepEqual(index.search('graph', 0), []);
  });

  it('reranks candidates, keeps non-matching ones last in their order, drops unknown ids', () => {
    const res = index.rerank('graph molecules', ['d', 'b', 'a', 'nope', 'c']);
    assert.deepEqual(
      res.map((r) => r.id),
      ['a', 'c', 'b', 'd'],
    );
    assert.equal(res[3].score, 0);
    // the same scores as a full search
    const full = new Map(index.search('graph molecules').map((r) => [r.id, r.score]));
    for (const r of res.slice(0, 3)) assert.ok(Math.abs(r.score - full.get(r.id)!) < 1e-9);
  });

  it('leaves a field out with weight 0 (known-item evaluation indexes abstracts only)', () => {
    const abstractsOnly = Bm25Index.build(docs, { titleWeight: 0 });
    assert.deepEqual(abstractsOnly.search('vision').map((r) => r.id), []);
    assert.deepEqual(index.search('vision').map((r) => r.id), ['b']);
  });

  it('rejects duplicate ids and bad parameters', () => {
    assert.throws(() => Bm25Index.build([{ id: 'a' }, { id: 'a' }]), /duplicate/);
    assert.throws(() => Bm25Index.build(docs, { b: 2 }), /bad parameters/);
  });

  it('an empty index answers nothing', () => {
    assert.deepEqual(Bm25Index.build([]).search('graph'), []);
  });
});

describe('topK', () => {
  it('picks the k best indices, ties to the smaller index', () => {
    const scores = [0.5, 0.9, 0.1, 0.9, 0.7];
    assert.deepEqual(topK([0, 1, 2, 3, 4], scores, 3), [1, 3, 4]);
    assert.deepEqual(topK([4, 3, 2, 1, 0], scores, 2), [1, 3]);
    assert.deepEqual(topK([2], scores, 5), [2]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../src/search/prng.ts';
import { vocabularyFrom } from '../../src/search/vocab.ts';
import {
  InternedDocs,
  STATIC_MODEL_FORMAT,
  StaticEmbeddingModel,
  trainStaticModel,
  type TokenizedDoc,
  type TrainOptions,
  vocabularyIdsOf,
} from '../../src/search/static-model.ts';

// A synthetic corpus where the right neighbours are known: 5 topics x 40 papers. Each topic has 60 words of its
// own, a paper uses 8 of them and 20 of 100 shared "noise" words, so plain word overlap is dominated by noise
// (two papers share ~4 noise words but ~1 topic word). Titles: 3 topic words and 1 noise word.
const TOPICS = 5;
const PER_TOPIC = 40;

function corpus(seed: number): { docs: TokenizedDoc[]; topic: number[] } {
  const rng = new Prng(seed);
  const docs: TokenizedDoc[] = [];
  const topic: number[] = [];
  const pick = (prefix: string, n: number, k: number) => Array.from({ length: k }, () => `${prefix}${rng.int(n)}`);
  for (let t = 0; t < TOPICS; t++) {
    for (let i = 0; i < PER_TOPIC; i++) {
      const own = pick(`t${t}w`, 60, 8);
      const abstract = rng.shuffle([...own, ...own.slice(0, 4), ...pick('noise', 100, 20)]);
      docs.push({ title: [...pick(`t${t}w`, 60, 3), ...pick('noise', 100, 1)], abstract });
      topic.push(t);
    }
  }
  return { docs, topic };
}

/** Share of papers whose 5 nearest neighbours (by abstract vectors, cosine) are all from their own topic. */
function neighbourAccuracy(model: StaticEmbeddingModel, docs: TokenizedDoc[], topic: number[]): number {
  const vecs = docs.map((d) => model.encodeTokens(d.abstract));
  let good = 0;
  for (let i = 0; i < docs.length; i++) {
    const sims = vecs.map((v, j) => ({ j, s: j === i ? -Infinity : v.reduce((acc, x, d) => acc + x * vecs[i][d], 0) }));
    sims.sort((a, b) => b.s - a.s);
    if (sims.slice(0, 5).every(({ j }) => topic[j] === topic[i])) good++;
  }
  return good / docs.length;
}

const small: TrainOptions = { dim: 32, batchSize: 64, epochs: 30, learningRate: 1e-2, seed: 7 };

describe('static embedding model', () => {
  const { docs, topic } = corpus(1);

  it('learns the topics from random vectors: neighbours come from the same topic after training', async () => {
    const untrained = await trainStaticModel(docs, { ...small, init: 'random', epochs: 0 });
    const losses: number[] = [];
    const trained = await trainStaticModel(docs, {
      ...small,
      init: 'random',
      onProgress: (p) => p.phase === 'train' && p.batch === p.batches && losses.push(p.loss),
    });
    const before = neighbourAccuracy(untrained, docs, topic);
    const after = neighbourAccuracy(trained, docs, topic);
    assert.ok(before < 0.6, `random vectors should not already find the topics (${before})`);
    assert.ok(after >= 0.95, `after training, ${after} of papers have 5 same-topic neighbours`);
    assert.equal(losses.length, 30);
    assert.ok(losses.at(-1)! < losses[0] * 0.7, `loss ${losses[0]} -> ${losses.at(-1)}`);
  });

  it('starts from LSA by default and ranks same-topic papers first; a title finds its own topic', async () => {
    const model = await trainStaticModel(docs, small);
    assert.ok(neighbourAccuracy(model, docs, topic) >= 0.95);
    // a query made of one topic's title words is closest to that topic's abstracts
    const held = corpus(99); // unseen papers, same topic vocabularies
    let right = 0;
    for (let i = 0; i < held.docs.length; i += 7) {
      const q = model.encodeTokens(held.docs[i].title);
      const best = docs
        .map((d, j) => ({ j, s: model.encodeTokens(d.abstract).reduce((a, x, k) => a + x * q[k], 0) }))
        .sort((a, b) => b.s - a.s)[0];
      if (topic[best.j] === held.topic[i]) right++;
    }
    assert.ok(right / Math.ceil(held.docs.length / 7) >= 0.9, `titles to topics: ${right}`);
  });

  it('is deterministic: the same seed gives the same bytes, another seed other bytes', async () => {
    const options = { ...small, epochs: 3 };
    const a = (await trainStaticModel(docs, options)).serialize();
    const b = (await trainStaticModel(docs, options)).serialize();
    const c = (await trainStaticModel(docs, { ...options, seed: 8 })).serialize();
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
    const twoThreads = (await trainStaticModel(docs, { ...options, threads: 2 })).serialize();
    assert.ok(a.equals(twoThreads), 'a second thread must not change the result');
  });

  it('trains on a subset of interned documents exactly as on those documents, and encodes numbers as it encodes stems', async () => {
    // Training holds texts as stem numbers and leaves evaluation targets out by index: same bytes as the plain path.
    const interned = new InternedDocs();
    const other = { title: ['t0w1', 'unseen'], abstract: ['t0w2', 'only', 'here', 'only'] };
    interned.addTokens(other.title, other.abstract); // index 0: left out of training
    for (const d of docs) interned.addTokens(d.title, d.abstract);
    const subset = Int32Array.from(docs.keys(), (i) => i + 1);
    const options = { ...small, epochs: 2 };
    const plain = await trainStaticModel(docs, options);
    const fromNumbers = await trainStaticModel(interned, options, subset);
    assert.ok(fromNumbers.serialize().equals(plain.serialize()));
    assert.equal(fromNumbers.vocab.index.get('only'), undefined, 'a left-out document adds nothing to the vocabulary');
    assert.deepEqual(interned.stems, [...plain.vocab.terms], 'the interned texts now hold vocabulary ids');
    const toVocab = vocabularyIdsOf(interned, plain.vocab);
    for (const i of [0, 5, 77]) {
      const stems = [...(i === 0 ? other : docs[i - 1]).title, ...(i === 0 ? other : docs[i - 1]).abstract];
      assert.deepEqual(plain.encodeNumbers([interned.title(i), interned.abstract(i)], toVocab), plain.encodeTokens(stems));
    }
  });

  it('holds long corpora in blocks and keeps only the stems of a vocabulary, in place', () => {
    // 4 documents of 400k stems do not fit in one block of numbers: the third starts a new one.
    const long = Array.from({ length: 400_000 }, (_, i) => ['aa', 'bb', 'cc'][i % 3]);
    const interned = new InternedDocs();
    for (let d = 0; d < 4; d++) interned.addTokens([`t${d}`, 'aa'], long);
    interned.addTokens(['x'], ['y', 'aa']);
    assert.equal(interned.length, 5);
    const stemsOf = (ids: Int32Array) => [...ids].map((n) => interned.stems[n]);
    assert.deepEqual(stemsOf(interned.title(3)), ['t3', 'aa']);
    assert.deepEqual(stemsOf(interned.abstract(2).subarray(0, 4)), ['aa', 'bb', 'cc', 'aa']);
    assert.equal(interned.abstract(3).length, 400_000);
    assert.deepEqual(stemsOf(interned.text(4)), ['x', 'y', 'aa']);

    interned.restrictTo(vocabularyFrom(['aa', 'cc'], Uint32Array.of(5, 4), 5));
    assert.deepEqual(interned.stems, ['aa', 'cc']);
    for (let d = 0; d < 4; d++) {
      assert.deepEqual([...interned.title(d)], [0]);
      const abs = interned.abstract(d);
      assert.equal(abs.length, 266_667);
      assert.deepEqual([...abs.subarray(0, 4)], [0, 1, 0, 1]);
    }
    assert.deepEqual([...interned.text(4)], [0]);
  });

  it('encodes to unit vectors, weighs repeated stems, and gives zeros for unknown text', async () => {
    const model = await trainStaticModel(docs, { ...small, epochs: 1 });
    const v = model.encodeTokens(['t0w1', 't0w2', 'noise3']);
    assert.equal(v.length, 32);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
    assert.deepEqual([...model.encodeTokens(['never-seen', 'x'])], new Array(32).fill(0));
    assert.deepEqual([...model.encode('')], new Array(32).fill(0));
    // out-of-vocabulary stems are ignored; order does not matter (up to float rounding)
    const w = model.encodeTokens(['noise3', 'unknown', 't0w1', 't0w2']);
    assert.ok(w.every((x, d) => Math.abs(x - v[d]) < 1e-6));
    // a repeated stem weighs (1 + ln 2) times more: the vector moves towards it
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((acc, x, d) => acc + x * b[d], 0);
    const single = model.encodeTokens(['noise3']);
    assert.ok(cos(model.encodeTokens(['t0w1', 't0w2', 'noise3', 'noise3']), single) > cos(v, single));
  });

  it('round-trips through its binary form', async () => {
    const model = await trainStaticModel(docs, { ...small, epochs: 2 });
    const bytes = model.serialize();
    assert.equal(bytes.readUInt32LE(0), 0x45535050);
    const back = StaticEmbeddingModel.deserialize(bytes);
    assert.equal(back.info.format, STATIC_MODEL_FORMAT);
    assert.deepEqual(back.vocab.terms, model.vocab.terms);
    assert.deepEqual(back.embeddings, model.embeddings);
    assert.deepEqual(back.vocab.idf, model.vocab.idf);
    assert.deepEqual(back.encodeTokens(docs[3].abstract), model.encodeTokens(docs[3].abstract));
    assert.ok(back.serialize().equals(bytes));
    // about 4 bytes per weight plus the vocabulary
    assert.ok(bytes.length < model.embeddings.byteLength + 20_000);

    assert.throws(() => StaticEmbeddingModel.deserialize(Buffer.from('not a model')), /not a paperpulse model/);
    assert.throws(() => StaticEmbeddingModel.deserialize(bytes.subarray(0, bytes.length - 4)), /truncated/);
    const other = Buffer.from(bytes);
    const headerLength = other.readUInt32LE(4);
    const header = other.subarray(8, 8 + headerLength).toString('utf8').replace(STATIC_MODEL_FORMAT, 'paperpulse-static-embedding/0');
    other.write(header, 8, 'utf8');
    assert.throws(() => StaticEmbeddingModel.deserialize(other), /format paperpulse-static-embedding\/0/);
  });

  it('rejects an unusable corpus or dimension', async () => {
    await assert.rejects(trainStaticModel([{ title: ['a'], abstract: ['b'] }], small), /no stem in two documents/);
    await assert.rejects(trainStaticModel(docs, { ...small, dim: 30 }), /multiple of 32/);
  });
});

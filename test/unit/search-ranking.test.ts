// The keyword ranking's parts (docs/search.md): Bm25Index.match (counting, minimum match, filters, top k and
// its tie rule), phrases as runs of words (the same answers as a substring test on the normalised text), word
// pairs side by side re-ranking the best matches, the newest-first order, and the semantic nudge of long queries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Queryable } from '../../src/db/client.ts';
import { Bm25Index } from '../../src/search/bm25.ts';
import type { CorpusRow } from '../../src/search/search.repository.ts';
import { normalizeText, SearchIndex, WordTable } from '../../src/search/search-index.ts';
import { searchIn } from '../../src/search/search.service.ts';
import { tokenizeDoc, trainStaticModel } from '../../src/search/static-model.ts';

const row = (id: string, title: string, abstract: string, extra: Partial<CorpusRow> = {}): CorpusRow => ({
  id,
  title,
  abstract,
  authors: ['Ada Lovelace'],
  author_keys: ['ada lovelace'],
  categories: ['cs.LG'],
  first_listed: '2025-07-01',
  published_at: null,
  ...extra,
});

/** searchIn needs a database only for the trending order of one-word queries. */
const noDb: Queryable = {
  query: async () => {
    throw new Error('no database in this test');
  },
} as unknown as Queryable;

describe('Bm25Index.match', () => {
  const docs = [
    { id: 'a', fields: [['graph', 'neural', 'network'], []] },
    { id: 'b', fields: [['graph'], ['network']] },
    { id: 'c', fields: [['neural'], []] },
    { id: 'd', fields: [['graph', 'neural'], ['graph']] },
    { id: 'e', fields: [['other'], []] },
  ];
  const bm = Bm25Index.fromTokens(docs, [1, 1]);
  const ids = (r: { docs: Int32Array }) => Array.from(r.docs, (d) => docs[d].id);

  test('counts the documents with enough distinct terms, ranks the best k as searchTerms does', () => {
    const q = ['graph', 'neural', 'network'];
    const all = bm.match(q, { minMatch: 1, k: 10 });
    assert.equal(all.total, 4);
    assert.deepEqual(ids(all), bm.searchTerms(q, 10).map((r) => r.id));
    for (let i = 1; i < all.scores.length; i++) assert.ok(all.scores[i - 1] >= all.scores[i]);
    const two = bm.match(q, { minMatch: 2, k: 10 });
    assert.deepEqual(ids(two).sort(), ['a', 'b', 'd']);
    assert.equal(two.total, 3);
    assert.equal(bm.match(q, { minMatch: 3, k: 10 }).total, 1);
    assert.equal(bm.match(q, { minMatch: 2, k: 1 }).docs.length, 1);
    assert.equal(bm.match(q, { minMatch: 2, k: 1 }).total, 3, 'the total does not depend on k');
    assert.equal(bm.match(q, { minMatch: 2, k: 0 }).total, 3);
    assert.deepEqual(ids(bm.match(['nothing'], { minMatch: 1, k: 5 })), []);
  });

  test('filters and left-out documents are neither counted nor ranked; k = -1 gives every match', () => {
    const q = ['graph', 'neural'];
    const r = bm.match(q, { minMatch: 1, k: 10, accept: (d) => docs[d].id !== 'a', skip: (d) => docs[d].id === 'd' });
    assert.deepEqual(ids(r).sort(), ['b', 'c']);
    assert.equal(r.total, 2);
    const every = bm.match(q, { minMatch: 1, k: -1 });
    assert.deepEqual(ids(every).sort(), ['a', 'b', 'c', 'd']);
    // The scratch arrays are clean afterwards: the same query gives the same scores.
    const again = bm.match(q, { minMatch: 1, k: 10 });
    assert.deepEqual(Array.from(again.scores), Array.from(bm.match(q, { minMatch: 1, k: 10 }).scores));
  });

  test('equal scores: the later-built document first', () => {
    const same = Bm25Index.fromTokens(
      ['p', 'q', 'r', 's'].map((id) => ({ id, fields: [['word'], []] })),
      [1, 1],
    );
    const r = same.match(['word'], { minMatch: 1, k: 3 });
    assert.deepEqual(Array.from(r.docs), [3, 2, 1]);
  });

  test('docsWith lists a stem\'s documents, in one field when asked', () => {
    assert.deepEqual(Array.from(bm.docsWith('graph')), [0, 1, 3]);
    assert.deepEqual(Array.from(bm.docsWith('network', 1)), [1]);
    assert.deepEqual(Array.from(bm.docsWith('network', 0)), [0]);
    assert.deepEqual(Array.from(bm.docsWith('zzz')), []);
  });
});

describe('phrases as runs of words', () => {
  const texts = [
    ['State-of-the-Art Graph Models', 'We study the state of the art in graph models. Out-of-distribution detection, too.'],
    ['Naïve Bayes, Revisited', 'Schrödinger’s cat meets GPT-4 and “large language models”.'],
    ['Ends with a title word', 'begins the abstract: words across the boundary.'],
  ];
  const corpus = texts.map(([t, a], i) => row(`2507.0000${i}`, t, a, { authors: ['José Müller', 'Grace Hopper'] }));
  const index = new SearchIndex(corpus, null);
  const haystack = (r: CorpusRow) => ` ${normalizeText(`${r.title} ${r.abstract} ${r.authors.join(' ')}`)} `;
  const phrases = [
    'state of the art', 'the art in', 'graph models', 'models graph', 'out of distribution', 'naïve bayes', 'naive bayes',
    'gpt 4 and', 'GPT-4', 'large language models', 'language model', 'title word begins', 'word begins the abstract',
    'josé müller grace', 'Müller Grace Hopper', 'hopper', 'the', 'of the', 'cat meets', 'schrödinger s cat', 'zzz', 'art in graph models we',
  ];

  test('the same answers as a substring test on the normalised text', () => {
    for (const p of phrases) {
      const ids = Int32Array.from(normalizeText(p).split(' ').filter(Boolean), (w) => index.wordId(w));
      corpus.forEach((r, i) => {
        const expected = haystack(r).includes(` ${normalizeText(p)} `);
        const got = !ids.some((x) => x < 0) && index.hasWordRun(i, ids);
        assert.equal(got, expected, `"${p}" in paper ${i}`);
      });
    }
  });

  test('through search: phrases filter, exclusions drop', async () => {
    const ids = async (q: string) => (await searchIn(noDb, index, { q, limit: 10 })).ids.sort();
    assert.deepEqual(await ids('"state of the art" graph'), ['2507.00000']);
    assert.deepEqual(await ids('"the state of art" graph'), []);
    assert.deepEqual(await ids('"Out-of-Distribution detection"'), ['2507.00000']);
    assert.deepEqual(await ids('"large language models"'), ['2507.00001']);
    assert.deepEqual(await ids('"word begins the abstract"'), ['2507.00002']);
    assert.deepEqual(await ids('graph -"state of the art"'), []);
    assert.deepEqual(await ids('"grace hopper"'), [], 'a phrase needs its words in the title or abstract to be searched for');
    assert.deepEqual(await ids('"grace hopper" naive bayes'), ['2507.00001']);
    assert.deepEqual(await ids('"never written anywhere" graph'), []);
  });
});

describe('ranking', () => {
  // Two papers hold the same words as often, in texts as long; only the first holds "contrastive decoding" side
  // by side. BM25 ties them, and a tie goes to the later paper.
  const corpus = [
    row('2507.00002', 'Contrastive decoding for speech', 'We study objectives for speech models.'),
    row('2507.00001', 'Decoding contrastive speech', 'We study objectives for speech models.'),
    ...Array.from({ length: 20 }, (_, i) => row(`2507.001${String(i).padStart(2, '0')}`, `Filler paper ${i}`, `Unrelated text number ${i} about galaxies.`)),
  ];

  test('query words side by side lift a paper above one holding them apart', async () => {
    const withPairs = new SearchIndex(corpus, null);
    const without = new SearchIndex(corpus, null, { pairWeight: 0 });
    const q = 'contrastive decoding objectives';
    const a = await searchIn(noDb, withPairs, { q, limit: 5 });
    const b = await searchIn(noDb, without, { q, limit: 5 });
    assert.deepEqual(b.ids, ['2507.00001', '2507.00002'], 'BM25 alone: a tie, the later paper first');
    assert.deepEqual(a.ids, ['2507.00002', '2507.00001'], 'the pair "contrastive decoding" decides');
    assert.equal(a.total, b.total);
    assert.equal(a.semantic, false);
  });

  test('minimum match: all of two stems, a third (at least two) of more; half and any on request', async () => {
    const index = new SearchIndex(corpus, null);
    const total = async (q: string, minimumMatch?: 'default' | 'half' | 'any') => (await searchIn(noDb, index, { q, minimumMatch })).total;
    assert.equal(await total('contrastive galaxies'), 0);
    assert.equal(await total('contrastive galaxies', 'any'), 22);
    // Six stems: two must match with the default rule, three with "half" (the fillers hold filler, unrelated
    // and galaxies; the two papers contrastive, decoding and speech).
    assert.equal(await total('contrastive decoding speech galaxies filler unrelated'), 22);
    assert.equal(await total('contrastive decoding speech galaxies filler unrelated', 'half'), 22);
    assert.equal(await total('contrastive decoding speech galaxies filler objectives'), 22);
    assert.equal(await total('contrastive decoding speech galaxies filler objectives', 'half'), 2);
    assert.equal(await total('contrastive OR galaxies'), 22);
  });

  test('pages are consistent: page 2 continues page 1', async () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      row(`2508.${String(10000 + i)}`, `Graph study ${i}`, `${i % 3 ? 'graph neural' : 'neural graph'} networks ${'x'.repeat(i % 7)} number ${i}.`, {
        first_listed: `2025-08-${String(1 + (i % 28)).padStart(2, '0')}`,
      }),
    );
    const index = new SearchIndex(many, null);
    const all = await searchIn(noDb, index, { q: 'graph neural networks', limit: 200 });
    for (const offset of [0, 20, 180]) {
      const page = await searchIn(noDb, index, { q: 'graph neural networks', limit: 20, offset });
      assert.deepEqual(page.ids, all.ids.slice(offset, offset + 20), `offset ${offset}`);
    }
    const newest = await searchIn(noDb, index, { q: 'graph neural networks', limit: 30, sort: 'newest' });
    const days = newest.ids.map((id) => many.find((p) => p.id === id)!.first_listed);
    assert.deepEqual(days, [...days].sort().reverse());
    const second = await searchIn(noDb, index, { q: 'graph neural networks', limit: 30, offset: 30, sort: 'newest' });
    const all60 = await searchIn(noDb, index, { q: 'graph neural networks', limit: 60, sort: 'newest' });
    assert.deepEqual([...newest.ids, ...second.ids], all60.ids);
  });

  test('the model nudges long queries only', async () => {
    const topics = ['galaxy star telescope orbit planet', 'protein gene cell enzyme tissue', 'graph network node edge path'];
    const docs = Array.from({ length: 60 }, (_, i) => {
      const w = topics[i % 3].split(' ');
      return row(`2509.${String(10000 + i)}`, `${w[i % 5]} ${w[(i + 1) % 5]} study ${i}`, `${w.join(' ')} ${w[(i + 2) % 5]} results ${i}.`);
    });
    const model = await trainStaticModel(docs.map((d) => tokenizeDoc({ title: d.title, abstract: d.abstract })), {
      dim: 32,
      epochs: 2,
      batchSize: 16,
      seed: 1,
      minDf: 1,
    });
    const vectors = docs.map((d) => {
      const v = model.encode(`${d.title} ${d.abstract}`);
      return { paper_id: d.id, vector: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
    });
    const withModel = new SearchIndex(docs, { model, id: 1, version: 'test', vectors });
    const short = await searchIn(noDb, withModel, { q: 'galaxy star', limit: 10 });
    assert.equal(short.semantic, false, 'two stems: no nudge');
    const long = await searchIn(noDb, withModel, { q: 'galaxy star telescope orbit planet results', limit: 10 });
    assert.equal(long.semantic, true, 'six stems: the model takes part');
    const off = new SearchIndex(docs, { model, id: 1, version: 'test', vectors }, { semanticWeight: 0 });
    assert.equal((await searchIn(noDb, off, { q: 'galaxy star telescope orbit planet results', limit: 10 })).semantic, false);
    assert.equal(long.total, (await searchIn(noDb, off, { q: 'galaxy star telescope orbit planet results', limit: 10 })).total, 'the model never changes what matches');
  });
});

describe('WordTable', () => {
  test('numbers the words of normalizeText, ASCII scanned as is, the rest normalised; grows past its first size', () => {
    const table = new WordTable();
    const scan = (text: string) => {
      const ids: number[] = [];
      table.scan(text, (id) => ids.push(id));
      return ids.map((id) => table.list[id]);
    };
    for (const text of ['Hello, World! GPT-4o_x', 'Naïve Schrödinger’s ﬁne cat', '  ', 'ÀB-c 3½ ǅx', 'a\u00a0b']) {
      assert.deepEqual(scan(text), normalizeText(text).split(' ').filter(Boolean), text);
    }
    assert.equal(table.get('hello'), table.list.indexOf('hello'));
    assert.equal(table.get('Hello'), -1, 'lookups take normalised words');
    assert.equal(table.get('nowhere'), -1);
    const before = table.size;
    const many = Array.from({ length: 600_000 }, (_, i) => `w${i.toString(36)}`);
    for (let i = 0; i < many.length; i += 1000) table.scan(many.slice(i, i + 1000).join(' '), () => {});
    assert.equal(table.size, before + many.length);
    for (const w of [many[0], many[123_456], many[599_999]]) assert.equal(table.list[table.get(w)], w);
    assert.equal(table.get('hello'), table.list.indexOf('hello'), 'words keep their numbers when the table grows');
  });
});

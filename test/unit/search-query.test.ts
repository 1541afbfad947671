// The search box's syntax (src/search/query.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_QUERY_TERMS, parseQuery } from '../../src/search/query.ts';

test('words, phrases, exclusions, OR, author:, cat:', () => {
  const q = parseQuery('  graph "neural network" -survey -"large language" author:"Jane Doe" au:smith cat:cs.cl category:math OR trees ');
  assert.deepEqual(q.words, ['graph', 'trees']);
  assert.deepEqual(q.phrases, ['neural network']);
  assert.deepEqual(q.exclude, ['survey', 'large language']);
  assert.deepEqual(q.authors, ['Jane Doe', 'smith']);
  assert.deepEqual(q.categories, ['cs.CL', 'math']);
  assert.equal(q.hasOr, true);
  assert.equal(q.text, 'graph neural network trees');
  assert.equal(q.arxivId, null);
});

test('arXiv ids and URLs go straight to the paper', () => {
  assert.equal(parseQuery('2501.00001').arxivId, '2501.00001');
  assert.equal(parseQuery('arXiv:2501.00001v3').arxivId, '2501.00001');
  assert.equal(parseQuery('https://arxiv.org/pdf/2501.00001v2.pdf').arxivId, '2501.00001');
  assert.equal(parseQuery('hep-th/9901001').arxivId, 'hep-th/9901001');
  assert.equal(parseQuery('2501.00001 transformers').arxivId, null);
});

test('hostile input reads as words', () => {
  assert.deepEqual(parseQuery('"unbalanced quote').phrases, ['unbalanced quote']);
  assert.deepEqual(parseQuery('""').words, []);
  assert.deepEqual(parseQuery('-').words, ['-']);
  assert.deepEqual(parseQuery('author:').words, ['author:']);
  assert.deepEqual(parseQuery('cat:../../x').categories, []);
  assert.equal(parseQuery('or').hasOr, false, 'lowercase or is a word');
  assert.deepEqual(parseQuery("'; DROP TABLE papers; --").words, ["';", 'DROP', 'TABLE', 'papers;']);
  assert.equal(parseQuery(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).words.length, MAX_QUERY_TERMS);
  assert.ok(parseQuery('x'.repeat(10_000)).raw.length <= 1000);
  assert.equal(parseQuery('   ').text, '');
});

// Digest composition is pure: candidates + period + preferences + history -> the list. Fixed clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeDigest, foldText, prepareCandidates, type DigestCandidate } from '../../src/digest/compose.ts';
import { digestPeriod, digestPeriodAt, endsListingWeek, latestAnnouncedDay } from '../../src/digest/period.ts';
import { DEFAULT_PREFERENCES, parseKeywords, parsePreferences } from '../../src/subscriptions/subscription.ts';

const paper = (id: string, over: Partial<DigestCandidate> = {}): DigestCandidate => ({
  id,
  title: `Paper ${id}`,
  authors: ['Ada Lovelace'],
  abstract: 'An abstract.',
  categories: ['cs.LG'],
  firstListed: '2025-07-02',
  upvotes: 0,
  trendingScore: 182,
  ...over,
});

// Wednesday 2025-07-02 22:00 US Eastern: after the announcement of Thursday 2025-07-03's listing.
const NOW = new Date('2025-07-03T02:00:00Z');

test('the period follows the announcement calendar on a fixed clock', () => {
  assert.equal(latestAnnouncedDay(NOW), '2025-07-03');
  // Before Wednesday's 20:00 ET announcement the latest listing is Wednesday's.
  assert.equal(latestAnnouncedDay(new Date('2025-07-02T23:00:00Z')), '2025-07-02');
  // Saturday: the last announcement was Thursday evening, listing Friday.
  assert.equal(latestAnnouncedDay(new Date('2025-07-05T15:00:00Z')), '2025-07-04');
  assert.deepEqual(digestPeriodAt('daily', NOW), { frequency: 'daily', key: '2025-07-03', start: '2025-07-03', end: '2025-07-03', label: 'Thu 3 Jul' });
  assert.deepEqual(digestPeriod('weekly', '2025-07-03'), { frequency: 'weekly', key: '2025-W27', start: '2025-06-30', end: '2025-07-06', label: 'week of 30 Jun' });
  assert.equal(digestPeriod('daily', '2026-06-16').label, 'Tue 16 Jun');
  assert.equal(endsListingWeek('2025-07-04'), true);
  assert.equal(endsListingWeek('2025-07-03'), false);
});

test('highest trending score first, then upvotes, the first N, only papers of the period', () => {
  const period = digestPeriodAt('daily', NOW);
  const candidates = [
    paper('a', { firstListed: '2025-07-03', trendingScore: 183.0, upvotes: 1 }),
    paper('b', { firstListed: '2025-07-03', trendingScore: 184.5, upvotes: 30 }),
    paper('c', { firstListed: '2025-07-03', trendingScore: 183.0, upvotes: 5 }),
    paper('old', { firstListed: '2025-07-02', trendingScore: 999 }),
    paper('d', { firstListed: '2025-07-03', trendingScore: 182.9 }),
  ];
  const list = composeDigest({ candidates, period, preferences: { ...DEFAULT_PREFERENCES, paperCount: 3 } });
  assert.deepEqual(list.map((p) => p.id), ['b', 'c', 'a']);
  const all = composeDigest({ candidates, period, preferences: DEFAULT_PREFERENCES });
  assert.deepEqual(all.map((p) => p.id), ['b', 'c', 'a', 'd'], 'a paper of another day is never included');
});

test('categories, keywords (whole words, any case and accents) and history filter the list', () => {
  const period = { start: '2025-07-03', end: '2025-07-03' };
  const day = { firstListed: '2025-07-03' };
  const candidates = prepareCandidates([
    paper('gnn', { ...day, title: 'Graph Neural Networks at Scale', categories: ['cs.LG'], trendingScore: 190 }),
    paper('para', { ...day, title: 'A paragraph of text', abstract: 'No graphs here.', categories: ['cs.CL'], trendingScore: 189 }),
    paper('cv', { ...day, title: 'Vision', abstract: 'We train a GRAPH neural network on images.', categories: ['cs.CV', 'cs.LG'], trendingScore: 188 }),
    paper('naive', { ...day, title: 'Naïve Bayes revisited', categories: ['stat.ML'], trendingScore: 187 }),
  ]);
  const pick = (prefs: Partial<typeof DEFAULT_PREFERENCES>, sent?: Set<string>) =>
    composeDigest({ candidates, period, preferences: { ...DEFAULT_PREFERENCES, ...prefs }, alreadySent: sent }).map((p) => p.id);
  assert.deepEqual(pick({ categories: ['cs.CV'] }), ['cv'], 'a cross-listed category counts');
  assert.deepEqual(pick({ categories: ['cs.LG'] }), ['gnn', 'cv']);
  assert.deepEqual(pick({ keywords: ['graph neural'] }), ['gnn', 'cv'], 'phrases match across title and abstract, any case');
  assert.deepEqual(pick({ keywords: ['graph'] }), ['gnn', 'cv'], '"graph" matches the word, not "paragraph" or "graphs"');
  assert.deepEqual(pick({ keywords: ['naive'] }), ['naive'], 'accents are ignored');
  assert.deepEqual(pick({ keywords: ['graph neural'], categories: ['cs.CV'] }), ['cv'], 'both filters apply');
  assert.deepEqual(pick({}, new Set(['gnn', 'naive'])), ['para', 'cv'], 'papers sent before are left out');
  assert.deepEqual(pick({ keywords: ['nothing matches this'] }), []);
});

test('each paper appears at most once, even if the candidates repeat it', () => {
  const period = { start: '2025-07-03', end: '2025-07-03' };
  const p = paper('x', { firstListed: '2025-07-03' });
  assert.deepEqual(composeDigest({ candidates: [p, p, { ...p }], period, preferences: DEFAULT_PREFERENCES }).map((c) => c.id), ['x']);
});

test('composition does not depend on the order of the candidates', () => {
  const period = { start: '2025-07-01', end: '2025-07-07' };
  const list = Array.from({ length: 40 }, (_, i) => paper(`p${i}`, { firstListed: `2025-07-0${1 + (i % 5)}`, trendingScore: 180 + (i % 7), upvotes: i % 3 }));
  const a = composeDigest({ candidates: list, period, preferences: DEFAULT_PREFERENCES }).map((p) => p.id);
  const b = composeDigest({ candidates: [...list].reverse(), period, preferences: DEFAULT_PREFERENCES }).map((p) => p.id);
  assert.deepEqual(a, b);
  assert.equal(a.length, 10);
});

test('preferences from a form: clear errors, cleaned keywords', () => {
  assert.deepEqual(parseKeywords(' diffusion ,  "graph neural"\nLLM, llm,, '), ['diffusion', 'graph neural', 'LLM']);
  const ok = parsePreferences({ frequency: 'weekly', count: '25', categories: ['cs.CL', 'stat.ML'], keywords: 'rag' });
  assert.deepEqual(ok, { ok: true, value: { frequency: 'weekly', paperCount: 25, categories: ['cs.CL', 'stat.ML'], keywords: ['rag'] } });
  const bad = parsePreferences({ frequency: 'hourly', count: '0', categories: ['cs.CL\r\nBcc: x'], keywords: 'k,'.repeat(30) });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.match(bad.errors.frequency!, /daily or weekly/);
    assert.match(bad.errors.paperCount!, /1 to 50/);
    assert.match(bad.errors.categories!, /Not arXiv categories/);
  }
  const many = parsePreferences({ frequency: 'daily', count: '10', keywords: Array.from({ length: 21 }, (_, i) => `k${i}`).join(',') });
  assert.equal(many.ok, false);
  assert.equal(foldText('Ünïcode — Text!'), 'unicode text');
});

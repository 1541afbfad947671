// The pieces that let planning and sending share work between subscribers, all pure: compositions
// shared by subscribers with the same preferences, paper entries rendered once, and the small
// description of a digest its outbox row keeps. Each must give exactly what the plain path gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeDigest, createComposer, preferenceKey, prepareCandidates, type DigestCandidate } from '../../src/digest/compose.ts';
import { asDigestContent, digestContent } from '../../src/digest/content.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { DigestRenderCache, digestHeaders, digestSubject, renderDigest, renderDigestBody } from '../../src/digest/render.ts';

let seed = 42;
const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)];
const WORDS = ['graph', 'neural', 'networks', 'diffusion', 'language', 'model', 'reasoning', 'robot', 'Naïve', 'paragraph', '<b>', '&', '—', 'séance'];
const text = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const CATEGORIES = ['cs.AI', 'cs.CL', 'cs.CV', 'cs.LG', 'cs.RO', 'cs.IR'];

const candidates: DigestCandidate[] = Array.from({ length: 120 }, (_, i) => ({
  id: `2606.${String(10000 + i)}`,
  title: text(3 + rnd(8)),
  authors: Array.from({ length: 1 + rnd(6) }, () => `${pick(['Ada', 'José', 'Li'])} ${pick(['Lovelace', 'Müller', 'Wei'])}`),
  abstract: text(20 + rnd(80)),
  categories: Array.from({ length: 1 + rnd(3) }, () => pick(CATEGORIES)),
  firstListed: pick(['2026-06-15', '2026-06-16', '2026-06-16', '2026-06-17']),
  upvotes: rnd(40),
  trendingScore: 500 + rnd(20),
}));
const period = digestPeriod('daily', '2026-06-16');

const randomPreferences = () => ({
  paperCount: pick([1, 5, 10, 20]),
  categories: pick([[], [], ['cs.CL'], ['cs.LG', 'cs.AI'], ['cs.RO']]),
  keywords: pick([[], [], ['graph'], ['language model', 'reasoning'], ['naive'], ['nothing matches']]),
});

test('shared compositions: the same lists as composing for each subscriber, one per distinct preference set', () => {
  const prepared = prepareCandidates(candidates);
  const compose = createComposer(prepared, period);
  const lists = new Map<string, readonly DigestCandidate[]>();
  for (let i = 0; i < 400; i++) {
    const prefs = randomPreferences();
    const history = i % 4 === 0 ? new Set(candidates.filter(() => rnd(3) === 0).map((c) => c.id)) : undefined;
    const shared = compose(prefs, history);
    assert.deepEqual(shared.map((p) => p.id), composeDigest({ candidates: prepared, period, preferences: prefs, alreadySent: history }).map((p) => p.id), `subscriber ${i}`);
    if (!history) {
      const key = preferenceKey(prefs);
      if (lists.has(key)) assert.equal(shared, lists.get(key), 'composed once per preference set');
      lists.set(key, shared);
    }
  }
  // An empty history is no history.
  const prefs = randomPreferences();
  assert.equal(compose(prefs, new Set()), compose(prefs));
});

test('paper entries rendered once: the same message as rendering each digest on its own', () => {
  const cache = new DigestRenderCache();
  for (let i = 0; i < 200; i++) {
    const papers = Array.from({ length: 1 + rnd(20) }, () => pick(candidates));
    const input = {
      papers,
      period: i % 2 ? period : digestPeriod('weekly', '2026-06-16'),
      publicUrl: i % 3 ? 'https://pp.example.org' : 'http://127.0.0.1:3000',
      links: { manage: `https://pp.example.org/subscription/m.${i}?a=1&b=2`, unsubscribe: `https://pp.example.org/unsubscribe/u.${i}` },
      listDomain: 'example.org',
    };
    const alone = renderDigest(input);
    assert.deepEqual(renderDigest(input, cache), alone, `digest ${i}`);
    // What the sender renders from a stored row: the body from the papers and the stored subject.
    assert.deepEqual(renderDigestBody({ ...input, subject: digestSubject(input.period, papers) }, cache), { text: alone.text, html: alone.html });
    assert.deepEqual(digestHeaders(input.period.frequency, input.links.unsubscribe, input.listDomain), alone.headers);
  }
  assert.throws(() => renderDigestBody({ papers: [], period, publicUrl: 'https://x.org', links: { manage: 'm', unsubscribe: 'u' }, subject: 's' }), /empty digest/);
});

test('a digest row keeps a small description of the message, read back only when well-formed', () => {
  const papers = candidates.slice(0, 20);
  const links = { manage: 'https://pp.example.org/subscription/m', unsubscribe: 'https://pp.example.org/unsubscribe/u' };
  const content = digestContent(period, 'https://pp.example.org', papers, links);
  const stored = JSON.parse(JSON.stringify(content)) as unknown;
  assert.deepEqual(asDigestContent(stored), content);
  assert.deepEqual(content.papers, papers.map((p) => [p.id, p.upvotes]), 'ids and the upvotes shown, in order');
  assert.ok(JSON.stringify(content).length < 1500, `about 1 kB for 20 papers (${JSON.stringify(content).length} bytes)`);
  for (const bad of [null, 'x', {}, { ...content, digest: 2 }, { ...content, papers: [['id', 'three']] }, { ...content, links: {} }, { ...content, period: { ...period, frequency: 'hourly' } }]) {
    assert.equal(asDigestContent(bad), null, JSON.stringify(bad).slice(0, 80));
  }
});

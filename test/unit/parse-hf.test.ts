import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseHfDailyPapers, UNKNOWN_CATEGORY } from '../../src/ingest/parse-hf.ts';
import { DocumentError, type ParseItem } from '../../src/ingest/types.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test/fixtures', name), 'utf8');

function records(items: ParseItem[]): PaperRecord[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good record, got ${JSON.stringify(item)}`);
    return item.record;
  });
}

describe('parseHfDailyPapers on the recorded /api/daily_papers excerpt', { skip: skipWithoutShared }, () => {
  const read = () => readFileSync(sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'utf8');

  it('reads each item from its nested paper, listed on the day it went onto the daily list', () => {
    const items = parseHfDailyPapers(read(), 'daily.json');
    const rs = records(items);
    assert.deepEqual(rs.map((r) => r.id), ['2410.17243', '2410.16251', '2410.18533']);
    assert.deepEqual(items.map((i) => i.where), [1, 2, 3].map((n) => ({ file: 'daily.json', record: n })));
    const r = rs[0];
    assert.equal(r.title, 'Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss');
    assert.equal(r.authors.length, 9);
    assert.deepEqual(r.authors.slice(0, 4), ['Zesen Cheng', 'Hang Zhang', 'Kehan Li', 'Sicong Leng']);
    assert.equal(r.authors[8], 'Lidong Bing');
    assert.equal(r.firstListed, '2024-10-25'); // the daily list's day, not the arXiv day (2024-10-22)
    assert.equal(r.publishedAt, '2024-10-22T17:59:30.000Z');
    assert.match(r.abstract, /^Contrastive loss is a powerful approach/);
    assert.deepEqual(r.categories, [UNKNOWN_CATEGORY]);
    assert.equal(r.version, null);
    assert.equal(r.source, 'hf');
    assert.equal(rs[2].title, 'LOGO -- Long cOntext aliGnment via efficient preference Optimization');
  });
});

describe('parseHfDailyPapers on hand-written input', () => {
  it('reads a pretty-printed /api/papers/{id} object, hidden authors included', () => {
    const [item] = parseHfDailyPapers(fixture('hf-paper-single.json'), 'one.json');
    assert.ok(item.ok);
    const r = item.record;
    assert.equal(r.id, '2601.00042');
    assert.deepEqual(r.authors, ['Solo Author', 'Hidden Helper']);
    assert.equal(r.firstListed, '2026-01-05'); // submittedOnDailyAt
    assert.equal(r.publishedAt, '2026-01-02T16:00:00.000Z');
    assert.equal(r.githubRepo, 'https://github.com/example/naive-bayes');
    assert.equal(r.projectPage, 'https://example.org/nb');
    assert.equal(r.organization, 'Example Lab');
    assert.deepEqual(item.where, { file: 'one.json', record: 1 });
  });

  it('reads code links and organization from inside paper (newer daily items)', () => {
    const text = JSON.stringify([
      {
        paper: {
          id: '2601.00042',
          title: 'T',
          summary: 'S',
          authors: [{ name: 'A' }],
          publishedAt: '2026-01-02T16:00:00.000Z',
          githubRepo: 'https://github.com/x/y',
          organization: { name: 'lab' },
          categories: ['cs.CL'],
        },
        publishedAt: '2026-01-06T01:00:00.000Z',
      },
    ]);
    const [r] = records(parseHfDailyPapers(text, 'd.json'));
    assert.equal(r.githubRepo, 'https://github.com/x/y');
    assert.equal(r.organization, 'lab');
    assert.deepEqual(r.categories, ['cs.CL']);
    assert.equal(r.firstListed, '2026-01-06');
  });

  it('derives the arXiv listing day when no daily-list date is given', () => {
    const text = JSON.stringify({ id: '2601.00042', title: 'T', summary: 'S', authors: [{ name: 'A' }], publishedAt: '2026-01-02T16:00:00.000Z' });
    const [r] = records(parseHfDailyPapers(text, 'p.json'));
    assert.equal(r.firstListed, '2026-01-05'); // Friday 11:00 New York time -> Monday
  });

  it('rejects bad items one by one', () => {
    const text = JSON.stringify([
      { paper: { id: '2601.00042', title: 'T', summary: 'S', authors: [{ name: 'A' }], publishedAt: '2026-01-02T16:00:00Z' } },
      { paper: { id: 'not-an-id', title: 'T', summary: 'S', authors: [{ name: 'A' }] } },
      { paper: { id: '2601.00044', title: 'T', summary: 'S', authors: [], publishedAt: '2026-01-02T16:00:00Z' } },
      { paper: { id: '2601.00045', title: 'T', summary: 'S', authors: [{ name: 'A' }], githubRepo: 'javascript:alert(1)', publishedAt: '2026-01-02T16:00:00Z' } },
      'junk',
    ]);
    const items = parseHfDailyPapers(text, 'd.json');
    assert.deepEqual(items.map((i) => (i.ok ? 'ok' : i.field)), ['ok', 'id', 'authors', 'githubRepo', '(json)']);
    assert.deepEqual(items[4].where, { file: 'd.json', record: 5 });
  });

  it('reads JSON lines of daily items', () => {
    const item = { paper: { id: '2601.00042', title: 'T', summary: 'S', authors: [{ name: 'A' }] }, publishedAt: '2026-01-06T01:00:00Z' };
    const items = parseHfDailyPapers(`${JSON.stringify(item)}\n\n{broken\n`, 'd.jsonl');
    assert.equal(items.length, 2);
    assert.ok(items[0].ok);
    assert.deepEqual(items[0].where, { file: 'd.jsonl', line: 1 });
    assert.ok(!items[1].ok && items[1].field === '(json)');
    assert.deepEqual(items[1].where, { file: 'd.jsonl', line: 3 });
  });

  it('throws DocumentError for text that is not JSON, truncated JSON and error envelopes', () => {
    const whole = fixture('hf-paper-single.json');
    const cases = ['', '<!DOCTYPE html><html>', whole.slice(0, 200), '[{"paper": {"id": "2601.00042"', '{"error": "Invalid date"}', '42'];
    for (const text of cases) assert.throws(() => parseHfDailyPapers(text, 'bad.json'), DocumentError, JSON.stringify(text));
    assert.throws(() => parseHfDailyPapers('{"error": "Invalid date"}', 'bad.json'), /bad\.json: Hugging Face API error: Invalid date/);
  });

  it('gives no items for an empty day', () => {
    assert.deepEqual(parseHfDailyPapers('[]', 'empty.json'), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listingDayFor } from '../../src/papers/listing.ts';
import {
  mergePaper,
  normalizeRecord,
  RecordError,
  type PaperRecord,
  type RecordInput,
} from '../../src/papers/paper.ts';

const input = (over: Partial<RecordInput> = {}): RecordInput => ({
  id: '2501.01234',
  title: 'A Title',
  abstract: 'An abstract.',
  authors: ['Ada Lovelace'],
  categories: ['cs.LG'],
  firstListed: '2025-01-07',
  source: 'test',
  ...over,
});

const normalize = (over: Partial<RecordInput> = {}) => normalizeRecord(input(over), listingDayFor);

function fieldOf(over: Partial<RecordInput>): string {
  try {
    normalize(over);
  } catch (err) {
    assert.ok(err instanceof RecordError, String(err));
    return err.field;
  }
  assert.fail(`expected a RecordError for ${JSON.stringify(over)}`);
}

describe('normalizeRecord', () => {
  it('collapses whitespace and strips control characters', () => {
    const r = normalize({ title: '  Deep\n  Learning\u0000 for\tAll ', abstract: 'Line one\nline two.\u0007' });
    assert.equal(r.title, 'Deep Learning for All');
    assert.equal(r.abstract, 'Line one line two.');
  });

  it('derives the version, listing day and dates from the version history', () => {
    const r = normalize({
      firstListed: undefined,
      versions: [
        { version: 'v2', date: 'Tue, 13 Jan 2026 09:00:00 GMT' },
        { version: 'v1', date: 'Mon, 5 Jan 2026 19:30:00 GMT' },
      ],
    });
    assert.equal(r.version, 2);
    assert.deepEqual(r.versions.map((v) => v.version), [1, 2]);
    assert.equal(r.publishedAt, '2026-01-05T19:30:00.000Z');
    assert.equal(r.updatedAt, '2026-01-13T09:00:00.000Z');
    assert.equal(r.firstListed, '2026-01-07'); // Mon 14:30 ET -> Wed
  });

  it('takes the version from a versioned id or a "vN" string', () => {
    assert.deepEqual([normalize({ id: 'https://arxiv.org/abs/2501.01234v3' }).version, normalize({ id: '2501.01234v3' }).id], [3, '2501.01234']);
    assert.equal(normalize({ version: 'v4' }).version, 4);
    assert.equal(normalize().version, null);
  });

  it('keeps the given listing day over the derived one', () => {
    assert.equal(normalize({ firstListed: '2025-07-01', publishedAt: '2020-01-01T00:00:00Z' }).firstListed, '2025-07-01');
  });

  it('skips MSC/ACM classes after the first category and de-duplicates', () => {
    const r = normalize({ categories: ['cs.CV', '68T45 (Computer Vision)', 'cs.CV', 'I.4.8', 'eess.IV'] });
    assert.deepEqual(r.categories, ['cs.CV', 'eess.IV']);
  });

  it('names the first bad field', () => {
    assert.equal(fieldOf({ id: 'abc' }), 'id');
    assert.equal(fieldOf({ id: '2513.00001' }), 'id');
    assert.equal(fieldOf({ id: undefined }), 'id');
    assert.equal(fieldOf({ title: '  \n ' }), 'title');
    assert.equal(fieldOf({ title: 'x'.repeat(2001) }), 'title');
    assert.equal(fieldOf({ abstract: undefined }), 'abstract');
    assert.equal(fieldOf({ authors: [] }), 'authors');
    assert.equal(fieldOf({ authors: 'Ada Lovelace' }), 'authors');
    assert.equal(fieldOf({ authors: ['Ada', ''] }), 'authors[1]');
    assert.equal(fieldOf({ categories: ['68T45'] }), 'categories[0]');
    assert.equal(fieldOf({ categories: [] }), 'categories');
    assert.equal(fieldOf({ firstListed: '2025-02-30' }), 'first_listed');
    assert.equal(fieldOf({ firstListed: undefined }), 'first_listed'); // and no date to derive it from
    assert.equal(fieldOf({ publishedAt: 'yesterday' }), 'publishedAt');
    assert.equal(fieldOf({ publishedAt: '1900-01-01' }), 'publishedAt');
    assert.equal(fieldOf({ version: 'v0' }), 'version');
    assert.equal(fieldOf({ versions: [{ version: 'vx', date: '2025-01-01' }] }), 'versions[0].version');
    assert.equal(fieldOf({ githubRepo: 'javascript:alert(1)' }), 'githubRepo');
    assert.equal(fieldOf({ projectPage: 'not a url' }), 'projectPage');
  });
});

const base = (over: Partial<PaperRecord> = {}): PaperRecord => ({
  id: '2501.01234',
  version: 1,
  title: 'Old title',
  abstract: 'Old abstract.',
  authors: ['Ada Lovelace'],
  categories: ['cs.LG'],
  comment: null,
  journalRef: null,
  doi: null,
  license: null,
  publishedAt: '2025-01-06T12:00:00.000Z',
  updatedAt: '2025-01-06T12:00:00.000Z',
  firstListed: '2025-01-07',
  versions: [{ version: 1, date: '2025-01-06T12:00:00.000Z' }],
  githubRepo: null,
  projectPage: null,
  organization: null,
  source: 'arxiv-api',
  ...over,
});

describe('mergePaper', () => {
  it('inserts a paper it has not seen', () => {
    const r = base();
    assert.deepEqual(mergePaper(null, r), { action: 'insert', row: r });
  });

  it('lets a newer version replace the content but not the listing day', () => {
    const stored = base({ doi: '10.1000/x' });
    const incoming = base({
      version: 2,
      title: 'New title',
      firstListed: '2025-03-01',
      versions: [{ version: 2, date: '2025-02-27T12:00:00.000Z' }],
      updatedAt: '2025-02-27T12:00:00.000Z',
    });
    const { action, row } = mergePaper(stored, incoming);
    assert.equal(action, 'update');
    assert.equal(row.title, 'New title');
    assert.equal(row.version, 2);
    assert.equal(row.firstListed, '2025-01-07');
    assert.equal(row.doi, '10.1000/x'); // not lost because the new copy lacks it
    assert.deepEqual(row.versions.map((v) => v.version), [1, 2]);
  });

  it('only fills gaps from the same version or an unversioned copy', () => {
    const stored = base({ version: 2 });
    const same = mergePaper(stored, base({ version: 2, title: 'Other title', doi: '10.1000/y', githubRepo: 'https://github.com/a/b' }));
    assert.equal(same.action, 'update');
    assert.equal(same.row.title, 'Old title');
    assert.equal(same.row.doi, '10.1000/y');
    assert.equal(same.row.githubRepo, 'https://github.com/a/b');

    const hf = mergePaper(stored, base({ version: null, title: 'HF title', source: 'hf', organization: 'Lab' }));
    assert.equal(hf.action, 'update');
    assert.equal(hf.row.title, 'Old title');
    assert.equal(hf.row.organization, 'Lab');
    assert.equal(hf.row.version, 2);
  });

  it('ignores an older version and an identical copy', () => {
    const stored = base({ version: 3 });
    assert.equal(mergePaper(stored, base({ version: 2, title: 'Older' })).action, 'unchanged');
    assert.deepEqual(mergePaper(stored, base({ version: 3 })), { action: 'unchanged', row: stored });
  });

  it('upgrades a paper from our corpus (no version) when arXiv sends a versioned copy', () => {
    const stored = base({ version: null, source: 'jsonl', versions: [], firstListed: '2025-01-07' });
    const { action, row } = mergePaper(stored, base({ version: 1, title: 'Fresh', firstListed: '2025-01-08' }));
    assert.equal(action, 'update');
    assert.equal(row.title, 'Fresh');
    assert.equal(row.firstListed, '2025-01-07');
  });
});

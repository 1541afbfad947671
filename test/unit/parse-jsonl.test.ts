import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { createGunzip } from 'node:zlib';
import { detectJsonlFormat, parseJsonlLine, splitAuthorList } from '../../src/ingest/parse-jsonl.ts';
import type { ParseItem } from '../../src/ingest/types.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test/fixtures', name), 'utf8');

function record(item: ParseItem | null): PaperRecord {
  assert.ok(item, 'expected an item, got null');
  assert.ok(item.ok, `expected a good record, got ${JSON.stringify(item)}`);
  return item.record;
}

async function firstLines(file: string, n: number): Promise<string[]> {
  const stream = createReadStream(file).pipe(createGunzip());
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const lines: string[] = [];
  for await (const line of rl) {
    lines.push(line);
    if (lines.length === n) break;
  }
  rl.close();
  stream.destroy();
  return lines;
}

const where = (line: number) => ({ file: 'f.jsonl', line });

describe('parseJsonlLine, our corpus shape', () => {
  const line = JSON.stringify({
    id: '2507.01234',
    title: 'A  title\n  wrapped',
    authors: ['Ada Lovelace', 'Alan Turing'],
    categories: ['cs.LG', 'cs.AI', '68T05'],
    comment: null,
    summary: 'An abstract\nwith hard wraps.',
    first_listed: '2025-07-02',
  });

  it('reads a record and keeps its listing day', () => {
    const r = record(parseJsonlLine(line, where(3), 'jsonl'));
    assert.equal(r.id, '2507.01234');
    assert.equal(r.version, null);
    assert.equal(r.title, 'A title wrapped');
    assert.equal(r.abstract, 'An abstract with hard wraps.');
    assert.deepEqual(r.authors, ['Ada Lovelace', 'Alan Turing']);
    assert.deepEqual(r.categories, ['cs.LG', 'cs.AI']);
    assert.equal(r.firstListed, '2025-07-02');
    assert.equal(r.comment, null);
    assert.equal(r.source, 'jsonl');
  });

  it('returns null for blank lines', () => {
    assert.equal(parseJsonlLine('', where(1), 'jsonl'), null);
    assert.equal(parseJsonlLine('   \t\r', where(1), 'jsonl'), null);
  });

  it('rejects malformed JSON with the JSON error and where it happened', () => {
    const item = parseJsonlLine('{"id": "2507.01234", "title": ', where(7), 'jsonl');
    assert.ok(item && !item.ok);
    assert.equal(item.field, '(json)');
    assert.deepEqual(item.where, { file: 'f.jsonl', line: 7 });
    assert.match(item.message, /^not valid JSON: .*JSON/);
  });

  it('rejects a line that is JSON but not an object', () => {
    for (const text of ['[1,2]', '42', '"x"', 'null']) {
      const item = parseJsonlLine(text, where(1), 'jsonl');
      assert.ok(item && !item.ok && item.field === '(json)', text);
    }
  });

  it('names the bad field of an invalid record', () => {
    const bad = (o: object) => parseJsonlLine(JSON.stringify(o), where(2), 'jsonl');
    const base = JSON.parse(line) as Record<string, unknown>;
    const cases: [object, string][] = [
      [{ ...base, title: undefined }, 'title'],
      [{ ...base, id: 'abc' }, 'id'],
      [{ ...base, authors: 'Ada Lovelace' }, 'authors'],
      [{ ...base, categories: ['68T05', 'cs.LG'] }, 'categories[0]'],
      [{ ...base, first_listed: '2025-02-30' }, 'first_listed'],
    ];
    for (const [obj, field] of cases) {
      const item = bad(obj);
      assert.ok(item && !item.ok, field);
      assert.equal(item.field, field);
    }
  });

  it('parses the first lines of the real corpus', { skip: skipWithoutShared }, async () => {
    const lines = await firstLines(sharedPath('data/arxiv-cs-2025-07_2026-06.jsonl.gz'), 2);
    const first = record(parseJsonlLine(lines[0], where(1), 'jsonl'));
    assert.equal(first.id, '2504.15071');
    assert.equal(first.title, 'Aria-MIDI: A Dataset of Piano MIDI Files for Symbolic Music Modeling');
    assert.deepEqual(first.authors, ['Louis Bradshaw', 'Simon Colton']);
    assert.deepEqual(first.categories, ['cs.SD', 'cs.AI', 'cs.LG']);
    assert.equal(first.firstListed, '2025-07-01');
    assert.ok(!first.abstract.includes('\n'));
    assert.match(first.abstract, /^We introduce an extensive new dataset of MIDI files, created by transcribing audio recordings/);

    const second = record(parseJsonlLine(lines[1], where(2), 'jsonl'));
    assert.equal(second.id, '2506.22437');
    assert.deepEqual(second.categories, ['cs.CV']); // "68T45 (Computer Vision)" is an MSC class, not a category
    assert.equal(second.firstListed, '2025-07-01');
    assert.equal(
      second.comment,
      '43 pages, 5 figures, 19 tables. Submitted to NDT&E International. This work may also be of interest to researchers in optical NDE and civil engineering SHM',
    );
  });
});

describe('parseJsonlLine, Kaggle snapshot shape', () => {
  const lines = fixture('kaggle-sample.jsonl').split('\n');

  it('builds names from authors_parsed and the listing day from v1', () => {
    const r = record(parseJsonlLine(lines[0], where(1), 'kaggle'));
    assert.equal(r.id, '0704.0001');
    assert.deepEqual(r.authors, ['C. Balázs', 'E. L. Berger', 'P. M. Nadolsky', 'C. -P. Yuan']);
    assert.equal(r.title, 'Calculation of prompt diphoton production cross sections at Tevatron and LHC energies');
    assert.deepEqual(r.categories, ['hep-ph']);
    assert.equal(r.version, 2);
    assert.deepEqual(r.versions, [
      { version: 1, date: '2007-04-02T19:18:42.000Z' },
      { version: 2, date: '2007-07-24T20:10:27.000Z' },
    ]);
    assert.equal(r.publishedAt, '2007-04-02T19:18:42.000Z');
    assert.equal(r.updatedAt, '2007-07-24T20:10:27.000Z');
    // Monday 15:18 New York time (EDT), after the cut-off: listed Wednesday.
    assert.equal(r.firstListed, '2007-04-04');
    assert.equal(r.journalRef, 'Phys.Rev.D76:013009,2007');
    assert.equal(r.doi, '10.1103/PhysRevD.76.013009');
    assert.equal(r.comment, '37 pages, 15 figures; published version');
    assert.equal(r.license, null);
    assert.equal(r.source, 'kaggle');
  });

  it('falls back to the authors string, dropping affiliations and keeping "Jr." with its name', () => {
    const r = record(parseJsonlLine(lines[1], where(2), 'kaggle'));
    assert.deepEqual(r.authors, ['Jane Roe', 'John Smith Jr.', 'Ada Lovelace']);
    assert.deepEqual(r.categories, ['cs.LG', 'stat.ML']);
    assert.equal(r.doi, '10.1000/first');
    assert.equal(r.license, 'http://creativecommons.org/licenses/by/4.0/');
    // Friday 11:30 New York time: listed Monday.
    assert.equal(r.firstListed, '2019-12-09');
  });

  it('rejects a record whose title is blank', () => {
    const item = parseJsonlLine(lines[2], where(3), 'kaggle');
    assert.deepEqual(item, { ok: false, where: { file: 'f.jsonl', line: 3 }, field: 'title', message: 'is missing or empty' });
  });
});

describe('splitAuthorList', () => {
  it('splits on commas and "and" outside parentheses', () => {
    assert.deepEqual(splitAuthorList('A. One, B. Two, and C. Three'), ['A. One', 'B. Two', 'C. Three']);
    assert.deepEqual(splitAuthorList('A. One and B. Two'), ['A. One', 'B. Two']);
    assert.deepEqual(splitAuthorList('Alexandra Anderson'), ['Alexandra Anderson']); // "and" inside a name
    assert.deepEqual(splitAuthorList('A. One (Dept. of X and Y, Univ. Z), B. Two'), ['A. One', 'B. Two']);
    assert.deepEqual(splitAuthorList('A. One, B. Two, et al.'), ['A. One', 'B. Two']);
    assert.deepEqual(splitAuthorList('ATLAS Collaboration: , G. Aad'), ['ATLAS Collaboration:', 'G. Aad']);
  });
});

describe('detectJsonlFormat', () => {
  it('tells the three shapes apart from a first line', () => {
    const kaggle = JSON.parse(fixture('kaggle-sample.jsonl').split('\n')[0]) as unknown;
    assert.equal(detectJsonlFormat(kaggle), 'kaggle');
    assert.equal(detectJsonlFormat({ id: 'x', versions: [{ version: 'v1', created: 'Mon, 2 Apr 2007 19:18:42 GMT' }] }), 'kaggle');
    assert.equal(detectJsonlFormat({ id: 'x', title: 't', authors: ['A'], summary: 's', first_listed: '2025-07-01' }), 'jsonl');
    assert.equal(detectJsonlFormat({ id: 'x', authors: ['A'], summary: 's' }), 'jsonl');
    assert.equal(detectJsonlFormat({ paper: { id: 'x' }, publishedAt: '2024-10-25T00:00:00Z' }), 'hf-daily');
    assert.equal(detectJsonlFormat({ id: 'x', authors: [{ name: 'A' }], summary: 's', upvotes: 3 }), 'hf-daily');
    assert.equal(detectJsonlFormat({ url: 'u', status_code: 200, body: '<feed/>' }), null);
    assert.equal(detectJsonlFormat([{ paper: {} }]), null);
    assert.equal(detectJsonlFormat('text'), null);
  });
});

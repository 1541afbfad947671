import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseArxivAtom } from '../../src/ingest/parse-atom.ts';
import { DocumentError, type ParseItem } from '../../src/ingest/types.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test/fixtures', name), 'utf8');
const body = (name: string) => readFileSync(sharedPath('fixtures/arxiv-api/bodies', name), 'utf8');
const legacy = (name: string) => readFileSync(sharedPath('fixtures/arxiv-api/legacy-2016', name), 'utf8');

function records(items: ParseItem[]): PaperRecord[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good record, got ${JSON.stringify(item)}`);
    return item.record;
  });
}

function only(items: ParseItem[]): PaperRecord {
  assert.equal(items.length, 1);
  return records(items)[0];
}

describe('parseArxivAtom on recorded arXiv API responses', { skip: skipWithoutShared }, () => {
  it('reads a single-entry, single-author, single-category feed whose title is "0"', () => {
    const page = parseArxivAtom(body('id_2104.12255v1_s0_m100_6ae69987ffe1.atom.xml'), 'a.xml');
    const r = only(page.items);
    assert.equal(r.id, '2104.12255');
    assert.equal(r.version, 1);
    assert.equal(r.title, '0'); // a string, not the number 0
    assert.deepEqual(r.authors, ['Quan Thoi Minh Nguyen']);
    assert.deepEqual(r.categories, ['cs.CR']);
    assert.equal(r.publishedAt, '2021-04-20T16:07:14.000Z');
    assert.equal(r.source, 'arxiv-api');
    assert.equal(page.totalResults, 1);
    assert.deepEqual(page.items[0].where, { file: 'a.xml', record: 1 });
  });

  it('keeps authors in order and the comment', () => {
    const r = only(parseArxivAtom(body('id_1707.08567_s0_m100_6a1afebfc6a3.atom.xml'), 'a.xml').items);
    assert.equal(r.authors.length, 34);
    assert.equal(r.authors[0], 'Kees A. Schouhamer Immink');
    assert.equal(r.authors[4], 'Peter H. N. de With');
    assert.equal(r.authors[33], 'Hirosuke Yamamoto');
    assert.equal(r.comment, '44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck');
    assert.equal(r.title, 'Proceedings of Workshop AEW10: Concepts in Information Theory and Communications');
  });

  it('reads old-style ids, cross-lists, journal refs and decodes entities; affiliations are not names', () => {
    const q = only(parseArxivAtom(body('id_quant-ph_0201082v1_s0_m100_86989fe779ef.atom.xml'), 'q.xml').items);
    assert.equal(q.id, 'quant-ph/0201082');
    assert.deepEqual(q.categories, ['quant-ph', 'cs.PL']);

    const a = only(parseArxivAtom(body('id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml'), 'a.xml').items);
    assert.equal(a.id, 'astro-ph/0601001');
    assert.deepEqual(a.authors, ['Andrew Gould', 'Susan Dorsher', 'B. Scott Gaudi', 'Andrzej Udalski']);
    assert.equal(a.journalRef, 'ActaAstron.56:1-50,2006');
    assert.match(a.abstract, /^We derive the frequencies/); // leading whitespace gone
    assert.match(a.abstract, /following Gould & Morgan \(2003\)/);
    assert.match(a.abstract, /V_max<17\.5/);
  });

  it('orders the primary category first and drops nothing else', () => {
    const r = only(parseArxivAtom(body('id_1605.08386_s0_m100_199195aa31ad.atom.xml'), 'a.xml').items);
    assert.deepEqual(r.categories, ['math.CO', 'math.ST']);
    assert.deepEqual(r.authors, ['Caprice Stanley', 'Tobias Windisch']);
  });

  it('takes the version from the entry id and dates it with <updated>', () => {
    const page = parseArxivAtom(body('q_testing_s20_m10_348a237fecab.atom.xml'), 's20.xml');
    const r = records(page.items).find((x) => x.id === '2409.05654');
    assert.ok(r);
    assert.equal(r.version, 9);
    assert.equal(r.title, 'Continuous Testing: Unifying Tests and E-values');
    assert.deepEqual(r.versions, [
      { version: 1, date: '2024-09-09T14:21:19.000Z' },
      { version: 9, date: '2025-05-08T20:52:40.000Z' },
    ]);
    assert.equal(r.publishedAt, '2024-09-09T14:21:19.000Z');
    assert.equal(r.updatedAt, '2025-05-08T20:52:40.000Z');
    // Monday 10:21 New York time, before the 14:00 cut-off: listed Tuesday.
    assert.equal(r.firstListed, '2024-09-10');
  });

  it('reads the opensearch paging numbers and the DOI of a search page', () => {
    const page = parseArxivAtom(body('q_testing_s0_m10_bc5a6c384fe9.atom.xml'), 's0.xml');
    assert.equal(page.totalResults, 214881);
    assert.equal(page.startIndex, 0);
    assert.equal(page.itemsPerPage, 10);
    const rs = records(page.items);
    assert.equal(rs.length, 10);
    assert.equal(rs[0].id, '2202.12139');
    assert.equal(rs[0].title, 'Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques');
    assert.deepEqual(rs[0].categories, ['cs.SE', 'cs.LG']);
    assert.equal(rs[0].doi, '10.1109/ICSTW55395.2022.00035');
    assert.deepEqual(rs.map((_, i) => page.items[i].where.record), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(parseArxivAtom(body('q_testing_s10_m10_34e56e15aaac.atom.xml'), 's10.xml').startIndex, 10);
  });

  it('gives no items for unknown ids', () => {
    for (const f of ['id_0000.0000_s0_m100_8b51d9633a68.atom.xml', 'id_0808.05394_s0_m100_7b0c7d0a7cdd.atom.xml']) {
      const page = parseArxivAtom(body(f), f);
      assert.deepEqual(page.items, []);
      assert.equal(page.totalResults, 0);
    }
    // Two ids, one unknown: only the known one comes back.
    const two = parseArxivAtom(body('id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml'), 'two.xml');
    assert.deepEqual(records(two.items).map((r) => r.id), ['1707.08567']);
  });

  it("throws arXiv's error entry for the invalid id 'abc'", () => {
    assert.throws(
      () => parseArxivAtom(body('id_abc_s0_m100_b79c8dcf6bc3.atom.xml'), 'abc.xml'),
      (err: unknown) => {
        assert.ok(err instanceof DocumentError);
        assert.match(err.message, /incorrect id format for abc/);
        assert.match(err.message, /abc\.xml/);
        assert.deepEqual(err.where, { file: 'abc.xml' });
        assert.equal(err.code, 'incorrect_id_format_for_abc');
        return true;
      },
    );
  });

  it('parses every recorded response body like its saved copy, and every good record validates', () => {
    const dir = sharedPath('fixtures/arxiv-api/recorded');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 20);
    for (const f of files) {
      const rec = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { status_code: number; body: string };
      if (rec.status_code !== 200) {
        assert.throws(() => parseArxivAtom(rec.body, f), DocumentError, f);
        continue;
      }
      const page = parseArxivAtom(rec.body, f);
      const rs = records(page.items);
      assert.equal(rs.length, Math.min(page.totalResults!, page.itemsPerPage!), f);
      const saved = parseArxivAtom(body(f.replace(/\.json$/, '.atom.xml')), f);
      assert.deepEqual(saved.items, page.items, f);
    }
  });
});

describe('parseArxivAtom on the 2016 output format', { skip: skipWithoutShared }, () => {
  it('reads http links, namespaces declared on each element, and versions', () => {
    const page = parseArxivAtom(legacy('id_list=1111.2011v2.xml'), 'old.xml');
    const r = only(page.items);
    assert.equal(r.id, '1111.2011');
    assert.equal(r.version, 2);
    assert.equal(r.title, 'Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit');
    assert.deepEqual(r.authors, ['James M. Murray', 'Adrian Del Maestro', 'Zlatko Tesanovic']);
    assert.deepEqual(r.categories, ['cond-mat.str-el', 'cond-mat.stat-mech']);
    assert.equal(r.doi, '10.1103/PhysRevB.85.115117');
    assert.equal(r.journalRef, 'Phys. Rev. B 85, 115117 (2012)');
    assert.deepEqual(r.versions.map((v) => v.version), [1, 2]);
    assert.equal(page.totalResults, 1);
    assert.equal(page.itemsPerPage, 10);
  });

  it('parses every 2016 search page with no rejected entries', () => {
    const dir = sharedPath('fixtures/arxiv-api/legacy-2016');
    for (const f of readdirSync(dir)) {
      const page = parseArxivAtom(readFileSync(path.join(dir, f), 'utf8'), f);
      const rs = records(page.items);
      assert.equal(rs.length, Math.min(page.totalResults!, page.itemsPerPage!), f);
      for (const r of rs) assert.ok(r.authors.some((a) => /^A(drian|\.) Del Maestro$/.test(a)), `${f} ${r.id}`);
    }
  });
});

describe('parseArxivAtom on hand-written feeds', () => {
  it('handles one author and one category, keeps markup in a title as text and decodes references', () => {
    const page = parseArxivAtom(fixture('atom-edge-cases.xml'), 'edge.xml');
    assert.equal(page.items.length, 3);
    const first = page.items[0];
    assert.ok(first.ok);
    assert.equal(first.record.title, '<script>alert(1)</script> Naïve Bayes & cafés');
    assert.deepEqual(first.record.authors, ['Solo Author']);
    assert.deepEqual(first.record.categories, ['cs.LG']);
    assert.equal(first.record.version, 3);
    assert.deepEqual(first.record.versions, [
      { version: 1, date: '2026-01-02T16:00:00.000Z' },
      { version: 3, date: '2026-01-20T09:00:00.000Z' },
    ]);
    // Friday 11:00 New York time: announced Sunday evening, listed Monday.
    assert.equal(first.record.firstListed, '2026-01-05');
  });

  it('rejects an entry without a title and goes on with the next', () => {
    const page = parseArxivAtom(fixture('atom-edge-cases.xml'), 'edge.xml');
    assert.deepEqual(page.items[1], {
      ok: false,
      where: { file: 'edge.xml', record: 2 },
      field: 'title',
      message: 'is missing or empty',
    });
    const third = page.items[2];
    assert.ok(third.ok);
    assert.equal(third.record.title, '0');
    assert.deepEqual(third.record.categories, ['cs.CR', 'cs.LG']); // primary first, ACM class D.4.6 dropped
    assert.equal(third.record.doi, '10.1000/a');
  });

  it('throws DocumentError for a truncated feed, naming the file', () => {
    assert.throws(
      () => parseArxivAtom(fixture('atom-truncated.xml'), 'cut.xml'),
      (err: unknown) => err instanceof DocumentError && /^cut\.xml: /.test(err.message) && /truncated/.test(err.message),
    );
  });

  it('refuses DOCTYPE entity declarations instead of expanding them', () => {
    assert.throws(
      () => parseArxivAtom(fixture('atom-entity-bomb.xml'), 'bomb.xml'),
      (err: unknown) => err instanceof DocumentError && /DOCTYPE entity/.test(err.message),
    );
  });

  it('throws DocumentError for empty text, non-XML, broken XML and a non-Atom root', () => {
    for (const text of ['', '   \n', 'Service Unavailable', '<feed><entry></feed>', '<html><body>Rate exceeded</body></html>']) {
      assert.throws(() => parseArxivAtom(text, 'x.xml'), DocumentError, JSON.stringify(text));
    }
  });

  it('accepts a byte-order mark and an empty feed', () => {
    const page = parseArxivAtom('\ufeff<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', 'x.xml');
    assert.deepEqual(page, { items: [], totalResults: null, startIndex: null, itemsPerPage: null });
  });
});

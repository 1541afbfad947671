import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseOaiPmh } from '../../src/ingest/parse-oai.ts';
import { DocumentError, type ParseItem } from '../../src/ingest/types.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test/fixtures', name), 'utf8');
const oai = (name: string) => readFileSync(sharedPath('fixtures/arxiv-oai-pmh', name), 'utf8');

function records(items: ParseItem[]): PaperRecord[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good record, got ${JSON.stringify(item)}`);
    return item.record;
  });
}

describe('parseOaiPmh on recorded arXiv OAI-PMH responses', { skip: skipWithoutShared }, () => {
  it('reads the resumption token and list size of an arXivRaw ListRecords page', () => {
    const page = parseOaiPmh(oai('ListRecordsResponse.xml'), 'list.xml');
    assert.equal(page.resumptionToken, '726959|1001');
    assert.equal(page.completeListSize, 58011);
    assert.equal(page.cursor, 0);
    const rs = records(page.items);
    assert.deepEqual(rs.map((r) => r.id), ['0704.0471', '0704.0716', '0704.0874', '0704.1109', '0704.1114', '0704.1586']);
    assert.deepEqual(page.items.map((i) => i.where), [1, 2, 3, 4, 5, 6].map((n) => ({ file: 'list.xml', record: n })));
  });

  it('takes the version history from arXivRaw <version> elements', () => {
    const r = records(parseOaiPmh(oai('ListRecordsResponse.xml'), 'list.xml').items)[1];
    assert.equal(r.id, '0704.0716');
    assert.equal(r.version, 4);
    assert.deepEqual(r.versions, [
      { version: 1, date: '2007-04-05T12:45:03.000Z' },
      { version: 2, date: '2007-09-28T15:13:43.000Z' },
      { version: 3, date: '2008-02-29T16:05:39.000Z' },
      { version: 4, date: '2008-11-14T09:07:25.000Z' },
    ]);
    assert.equal(r.publishedAt, '2007-04-05T12:45:03.000Z');
    assert.equal(r.updatedAt, '2008-11-14T09:07:25.000Z');
    // Thursday 08:45 New York time: listed Friday.
    assert.equal(r.firstListed, '2007-04-06');
    assert.equal(r.journalRef, 'Polygons, polyominoes and polycubes, 247-299, Lecture Notes in Phys., 775, Springer, Dordrecht, 2009');
    assert.equal(r.license, 'http://arxiv.org/licenses/nonexclusive-distrib/1.0/');
    assert.equal(r.source, 'arxiv-oai');
  });

  it('splits the arXivRaw author string, with or without a serial comma', () => {
    const rs = records(parseOaiPmh(oai('ListRecordsResponse.xml'), 'list.xml').items);
    assert.deepEqual(rs[0].authors, ['D.V. Shetty', 'S.J. Yennello', 'G.A. Souliotis']);
    assert.deepEqual(rs[5].authors, ['N.C. Summers', 'F.M. Nunes']);
    // "10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902": the article's DOI, not the erratum's.
    assert.equal(rs[0].doi, '10.1103/PhysRevC.76.024606');
    assert.deepEqual(rs[0].categories, ['nucl-ex', 'nucl-th']);
    assert.match(rs[0].abstract, /extremely " stiff " and " soft " form/);

    const g = parseOaiPmh(oai('GetRecordResponse.xml'), 'get.xml');
    const [r] = records(g.items);
    assert.equal(r.id, '1302.2146');
    assert.deepEqual(r.authors, ['Joshua Berger', 'Maxim Perelstein', 'Michael Saelim', 'Philip Tanedo']);
    assert.equal(r.version, 2);
    assert.deepEqual(r.categories, ['hep-ph', 'hep-ex']);
    assert.equal(g.resumptionToken, null);
  });

  it('reads the arXiv format: structured names, created and updated dates, no version', () => {
    const page = parseOaiPmh(oai('arxiv-single.xml'), 'single.xml');
    const [r] = records(page.items);
    assert.equal(r.id, '1401.2122');
    assert.deepEqual(r.authors, ['A. Sergyeyev']);
    assert.equal(r.title, 'New integrable (3+1)-dimensional systems and contact geometry');
    assert.deepEqual(r.categories, ['math.AP', 'hep-th', 'math-ph', 'math.DG', 'math.MP', 'nlin.SI']);
    assert.equal(r.version, null);
    assert.equal(r.publishedAt, '2014-01-09T00:00:00.000Z');
    assert.equal(r.updatedAt, '2017-10-23T00:00:00.000Z');
    assert.deepEqual(r.versions, [{ version: 1, date: '2014-01-09T00:00:00.000Z' }]);
    assert.equal(r.doi, '10.1007/s11005-017-1013-4');
    assert.equal(r.journalRef, 'Lett. Math. Phys. 108 (2018), no. 2, 359-376');
    assert.match(r.comment ?? '', /^16 pages, LaTeX, no figures, revised and abridged, in this version \(v5\)/);
  });

  it('reads ListRecords in the arXiv format, forenames before keyname', () => {
    const page = parseOaiPmh(oai('arxiv-physics-hep-th.xml'), 'hep-th.xml');
    const rs = records(page.items);
    assert.equal(rs.length, 3);
    assert.equal(rs[0].id, '1412.8323');
    assert.deepEqual(rs[0].authors, ['Philipp A Hoehn']);
    assert.equal(rs[0].title, 'Toolbox for reconstructing quantum theory from rules on information acquisition');
    assert.equal(records(parseOaiPmh(oai('arxiv-physics-hep-ex.xml'), 'hep-ex.xml').items).length, 3);
  });

  it('copes with the hand-edited 12-record envelope; ":" separators are not authors', () => {
    const rs = records(parseOaiPmh(oai('sample_arxiv_record.xml'), 'sample.xml').items);
    assert.equal(rs.length, 12);
    assert.deepEqual(rs[0].authors, ['Planck Collaboration', 'Jieci Wang', 'Zehua Tian', 'Jiliang Jing', 'Heng Fan']);
    for (const r of rs) for (const a of r.authors) assert.match(a, /[A-Za-z]/, `${r.id}: ${JSON.stringify(a)}`);
    const superK = rs.find((r) => r.id === '1606.07538');
    assert.ok(superK);
    assert.equal(superK.authors[0], 'Super-Kamiokande Collaboration');
    assert.equal(superK.authors[1], 'K. Abe');
  });

  const errors: [string, string][] = [
    ['ErrorResponseBadArgument.xml', 'badArgument'],
    ['ErrorResponseBadResumptionToken.xml', 'badResumptionToken'],
    ['ErrorResponseBadVerb.xml', 'badVerb'],
    ['ErrorResponseIdDoesNotExist.xml', 'idDoesNotExist'],
  ];
  for (const [file, code] of errors) {
    it(`throws DocumentError with code ${code} for ${file}`, () => {
      assert.throws(
        () => parseOaiPmh(oai(file), file),
        (err: unknown) => {
          assert.ok(err instanceof DocumentError);
          assert.equal(err.code, code);
          assert.match(err.message, new RegExp(`arXiv OAI-PMH error ${code}: \\S`));
          assert.ok(err.message.includes(file));
          return true;
        },
      );
    });
  }

  it('says what the token error was', () => {
    assert.throws(() => parseOaiPmh(oai('ErrorResponseBadResumptionToken.xml'), 'x.xml'), {
      message: 'x.xml: arXiv OAI-PMH error badResumptionToken: The resumptionToken supplied is illegal for this repository',
    });
  });

  it('treats noRecordsMatch as an empty, complete list', () => {
    assert.deepEqual(parseOaiPmh(oai('ErrorResponseNoRecordsMatch.xml'), 'none.xml'), {
      items: [],
      resumptionToken: null,
      completeListSize: null,
      cursor: null,
    });
  });
});

describe('parseOaiPmh on hand-written responses', () => {
  const page = () => parseOaiPmh(fixture('oai-arxivraw-small.xml'), 'small.xml');

  it('skips deleted records and numbers the rest by their place in the document', () => {
    assert.deepEqual(page().items.map((i) => i.where.record), [1, 3, 4]);
  });

  it('reads an arXivRaw record with affiliations in the author string', () => {
    const first = page().items[0];
    assert.ok(first.ok);
    const r = first.record;
    assert.equal(r.id, '2601.01234');
    assert.equal(r.title, 'Compilers for Everyone & Everything');
    assert.deepEqual(r.authors, ['Grace Hopper', 'Alan Turing', 'Barbara Liskov']);
    assert.equal(r.version, 2);
    // Monday 14:30 New York time, after the cut-off: listed Wednesday.
    assert.equal(r.firstListed, '2026-01-07');
    assert.equal(r.comment, '12 pages; v2: typos fixed');
    assert.equal(r.doi, '10.5555/jic.2026.1');
  });

  it('rejects a record without a title, naming the record', () => {
    assert.deepEqual(page().items[1], {
      ok: false,
      where: { file: 'small.xml', record: 3 },
      field: 'title',
      message: 'is missing or empty',
    });
  });

  it('keeps escaped markup in a title as plain text', () => {
    const last = page().items[2];
    assert.ok(last.ok);
    assert.equal(last.record.title, '<script>alert("pwned")</script> Cross-site <b>scripting</b> in café menus');
  });

  it('treats an empty resumptionToken as the end of the list but keeps its counts', () => {
    const p = page();
    assert.equal(p.resumptionToken, null);
    assert.equal(p.completeListSize, 2004);
    assert.equal(p.cursor, 2000);
  });

  it('throws other OAI errors with their code', () => {
    assert.throws(() => parseOaiPmh(fixture('oai-error-cannot-disseminate.xml'), 'e.xml'), {
      name: 'DocumentError',
      code: 'cannotDisseminateFormat',
      message: "e.xml: arXiv OAI-PMH error cannotDisseminateFormat: Format 'marc' is not supported by this repository",
    });
  });

  it('rejects records in a metadata format it does not read', () => {
    const xml = `<OAI-PMH><ListRecords><record><header><identifier>oai:arXiv.org:2601.00001</identifier></header>
      <metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"><title>T</title></oai_dc:dc></metadata>
      </record></ListRecords></OAI-PMH>`;
    const [item] = parseOaiPmh(xml, 'dc.xml').items;
    assert.equal(item.ok, false);
    assert.ok(!item.ok && item.field === '(metadata)' && /unsupported metadata format <dc>/.test(item.message));
  });

  it('throws DocumentError for truncated and non-OAI documents', () => {
    const whole = fixture('oai-arxivraw-small.xml');
    assert.throws(() => parseOaiPmh(whole.slice(0, whole.length / 2), 'cut.xml'), DocumentError);
    assert.throws(() => parseOaiPmh('<feed xmlns="http://www.w3.org/2005/Atom"/>', 'atom.xml'), /not an OAI-PMH response/);
    assert.throws(() => parseOaiPmh('{"records": []}', 'json.xml'), DocumentError);
    assert.throws(() => parseOaiPmh('<OAI-PMH><Identify><repositoryName>arXiv</repositoryName></Identify></OAI-PMH>', 'id.xml'), /no ListRecords or GetRecord/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { constants, gunzipSync } from 'node:zlib';
import { detectFormat } from '../../src/ingest/detect.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const HEAD = 64 * 1024;
const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test/fixtures', name), 'utf8');
const head = (text: string) => text.slice(0, HEAD);

describe('detectFormat on real files', { skip: skipWithoutShared }, () => {
  it('recognises every recorded arXiv API body, old and new, as Atom', () => {
    for (const dir of ['fixtures/arxiv-api/bodies', 'fixtures/arxiv-api/legacy-2016']) {
      for (const f of readdirSync(sharedPath(dir))) {
        assert.equal(detectFormat(head(readFileSync(sharedPath(dir, f), 'utf8'))), 'arxiv-atom', f);
      }
    }
  });

  it('recognises every OAI-PMH response, including one without an XML declaration', () => {
    for (const f of readdirSync(sharedPath('fixtures/arxiv-oai-pmh'))) {
      assert.equal(detectFormat(head(readFileSync(sharedPath('fixtures/arxiv-oai-pmh', f), 'utf8'))), 'arxiv-oai', f);
    }
  });

  it('recognises the Hugging Face daily papers array', () => {
    const text = readFileSync(sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'utf8');
    assert.equal(detectFormat(text), 'hf-daily');
  });

  it('recognises the corpus from its first 64 KB', () => {
    // Read only the start of the gzip file; a partial gzip stream still yields its first lines.
    const fd = openSync(sharedPath('data/arxiv-cs-2025-07_2026-06.jsonl.gz'), 'r');
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const text = gunzipSync(buf.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    assert.equal(detectFormat(head(text)), 'jsonl');
  });

  it('does not mistake a recorded {url, status_code, body} wrapper for papers', () => {
    const f = sharedPath('fixtures/arxiv-api/recorded/id_1605.08386_s0_m100_199195aa31ad.json');
    assert.equal(detectFormat(readFileSync(f, 'utf8')), null);
    const big = sharedPath('fixtures/arxiv-api/recorded/q_testing_s0_m100_cfe7536492ca.json');
    assert.equal(detectFormat(head(readFileSync(big, 'utf8'))), null);
  });
});

describe('detectFormat on hand-written input', () => {
  it('tells Kaggle lines from our corpus lines', () => {
    assert.equal(detectFormat(fixture('kaggle-sample.jsonl')), 'kaggle');
    const corpus = '{"id": "2504.15071", "title": "T", "authors": ["A"], "categories": ["cs.SD"], "comment": null, "summary": "S", "first_listed": "2025-07-01"}\n';
    assert.equal(detectFormat(corpus + corpus), 'jsonl');
  });

  it('takes a pretty-printed single paper object for Hugging Face, even when cut at the head limit', () => {
    const text = fixture('hf-paper-single.json');
    assert.equal(detectFormat(text), 'hf-daily');
    const long = text.replace('"summary": "', `"summary": "${'x'.repeat(HEAD)}`);
    assert.equal(detectFormat(head(long)), 'hf-daily');
  });

  it('goes by the keys of a first line longer than the head', () => {
    const line = JSON.stringify({ id: '0704.0001', abstract: 'x'.repeat(HEAD), authors_parsed: [['A', 'B', '']] });
    const keysFirst = JSON.stringify({ id: '0704.0001', authors_parsed: [['A', 'B', '']], abstract: 'x'.repeat(HEAD) });
    assert.equal(detectFormat(head(keysFirst)), 'kaggle');
    assert.equal(detectFormat(head(line)), null); // nothing recognisable in the part we saw
  });

  it('skips a byte-order mark, comments and whitespace before the root element', () => {
    assert.equal(detectFormat('\ufeff\n  <?xml version="1.0"?>\n<!-- saved 2026 -->\n<feed xmlns="http://www.w3.org/2005/Atom">'), 'arxiv-atom');
    assert.equal(detectFormat(fixture('oai-arxivraw-small.xml')), 'arxiv-oai'); // comment before <OAI-PMH>
    assert.equal(detectFormat('<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">'), 'arxiv-atom');
  });

  it('returns null for what it does not know', () => {
    for (const text of ['', 'id,title\n1,x', '<html><body>Rate limited</body></html>', '<rss version="2.0">', '{"hello": "world"}', '{\n  "hello": "world"\n}']) {
      assert.equal(detectFormat(text), null, JSON.stringify(text));
    }
  });
});

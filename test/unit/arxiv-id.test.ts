import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absUrl, isArxivId, parseArxivId, pdfUrl } from '../../src/papers/arxiv-id.ts';

describe('parseArxivId', () => {
  it('reads bare and versioned new-style ids', () => {
    assert.deepEqual(parseArxivId('2501.00001'), { id: '2501.00001', version: null });
    assert.deepEqual(parseArxivId('2501.00001v2'), { id: '2501.00001', version: 2 });
    assert.deepEqual(parseArxivId(' 2409.05654v9 '), { id: '2409.05654', version: 9 });
    assert.deepEqual(parseArxivId('0704.0001'), { id: '0704.0001', version: null }); // 4 digits until 2014
    assert.deepEqual(parseArxivId('arXiv:1707.08567v1'), { id: '1707.08567', version: 1 });
    assert.deepEqual(parseArxivId('ARXIV: 1707.08567'), { id: '1707.08567', version: null });
  });

  it('reads abs, pdf and html URLs, old and new hosts', () => {
    assert.deepEqual(parseArxivId('https://arxiv.org/abs/2104.12255v1'), { id: '2104.12255', version: 1 });
    assert.deepEqual(parseArxivId('http://arxiv.org/abs/1111.2011v2'), { id: '1111.2011', version: 2 });
    assert.deepEqual(parseArxivId('https://arxiv.org/pdf/2501.00001v3.pdf'), { id: '2501.00001', version: 3 });
    assert.deepEqual(parseArxivId('https://arxiv.org/pdf/2501.00001'), { id: '2501.00001', version: null });
    assert.deepEqual(parseArxivId('https://export.arxiv.org/abs/2501.00001/'), { id: '2501.00001', version: null });
    assert.deepEqual(parseArxivId('www.arxiv.org/html/2501.00001v1#S2'), { id: '2501.00001', version: 1 });
    assert.deepEqual(parseArxivId('https://arxiv.org/abs/2501.00001?context=cs'), { id: '2501.00001', version: null });
    assert.deepEqual(parseArxivId('http://arxiv.org/abs/quant-ph/0201082v1'), { id: 'quant-ph/0201082', version: 1 });
  });

  it('reads old-style ids, dropping the subject class', () => {
    assert.deepEqual(parseArxivId('hep-th/9901001'), { id: 'hep-th/9901001', version: null });
    assert.deepEqual(parseArxivId('astro-ph/0601001v1'), { id: 'astro-ph/0601001', version: 1 });
    assert.deepEqual(parseArxivId('math.GT/0309136'), { id: 'math/0309136', version: null });
    assert.deepEqual(parseArxivId('cs.LG/0101001'), { id: 'cs/0101001', version: null });
  });

  it('rejects what is not an arXiv id', () => {
    for (const s of [
      '',
      'abc',
      '2513.00001', // month 13
      '2500.00001', // month 0
      '1501.0001', // four digits after 2014
      '1412.00001', // five digits before 2015
      '2501.000001',
      'hep-th/9913001', // month 13
      'hep-th/990100',
      'HEP-TH/9901001',
      'https://example.com/abs/2501.00001',
      '10.1103/PhysRevB.85.115117',
      'x'.repeat(400),
    ]) {
      assert.equal(parseArxivId(s), null, s);
      assert.equal(isArxivId(s), false, s);
    }
  });

  it('builds links with and without a version', () => {
    assert.equal(absUrl('2501.00001'), 'https://arxiv.org/abs/2501.00001');
    assert.equal(pdfUrl('hep-th/9901001', 2), 'https://arxiv.org/pdf/hep-th/9901001v2');
  });
});
